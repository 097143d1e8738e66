"""The foreign key carries the name PostgreSQL generated, not one chosen by a person.

What it does
    Recomputes the name PostgreSQL gives an unnamed foreign key — `<table>_<col1>_<col2>…_fkey`,
    each part shortened (the longer first) to fit 63 bytes without splitting a character, and
    `fkey1`, `fkey2` … when the name was taken — and fires when the constraint's name is exactly
    that. ORM-generated names (Django's `…_fk_…`, Rails' `fk_rails_<hash>`) are explicit names
    and do not fire. Partition copies and the internal per-partition rows of a foreign key that
    references a partitioned table are never reported.

Why it matters
    Generated names depend on creation order (`_fkey1` on one server, `_fkey` on another), so
    migrations that drop or alter them by name break between environments, and error messages
    (`violates foreign key constraint "orders_customer_id_fkey1"`) say little about intent.

How to fix
    Rename it to a conventional, stable name:
    `ALTER TABLE orders RENAME CONSTRAINT orders_customer_id_fkey TO fk_orders_customer_id;`
    and name constraints explicitly in future migrations.

Example
    CREATE TABLE orders (id int PRIMARY KEY, customer_id int REFERENCES customers);
    -- fires: orders_customer_id_fkey
    ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id)
        REFERENCES customers;                          -- does not fire

Known limits
    When a naming convention is configured (FK202), generated names that follow it are
    accepted and the suggested name is the convention's. A constraint named before its table
    was renamed no longer matches the pattern and is not
    reported; a person who typed the generated name by hand is reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.findings import Finding, Severity, SuggestedName
from fkaudit.fixsql import rename_constraint
from fkaudit.rules import ForeignKeyRule, Rule
from fkaudit.rules.fk202_foreign_key_name_convention import ForeignKeyNameConvention
from fkaudit.rules.names import (
    NAMEDATALEN,
    constraint_names_by_schema,
    make_object_name,
    unique_name,
)
from fkaudit.rules.wording import fk_columns

_LABEL = re.compile(r"_(fkey(?:[1-9]\d*)?)$")  # collision suffixes count from 1


def fk_name_addition(columns: Sequence[str]) -> str:
    """PostgreSQL's ChooseForeignKeyConstraintNameAddition: column names joined by `_`.

    Each name is copied up to 63 bytes and joining stops once 64 bytes are reached.
    """
    joined_text = "_".join(columns)
    if len(joined_text) < NAMEDATALEN and joined_text.isascii():
        return joined_text  # the usual case: nothing clipped, nothing dropped
    joined = b""
    for column in columns:
        if joined:
            joined += b"_"
        joined += column.encode()[: NAMEDATALEN - 1]
        if len(joined) >= NAMEDATALEN:
            break
    return joined.decode(errors="ignore")


def generated_name(table: str, columns: Sequence[str], label: str = "fkey") -> str:
    """The name PostgreSQL generates for an unnamed foreign key with this label."""
    return make_object_name(table, fk_name_addition(columns), label)


def is_generated_name(name: str, table: str, columns: Sequence[str]) -> bool:
    match = _LABEL.search(name)
    return match is not None and name == generated_name(table, columns, match.group(1))


class AutoNamedForeignKey(ForeignKeyRule):
    code = "FK201"
    name = "auto-named-foreign-key"
    default_severity = Severity.WARNING
    convention: ForeignKeyNameConvention | None = None
    taken: dict[str, set[str]]  # per schema: names a suggested name must avoid, as suggested

    def bind(self, rules: Sequence[Rule]) -> None:
        """Agree with a configured naming convention (FK202) instead of fighting it."""
        self.convention = next((r for r in rules if isinstance(r, ForeignKeyNameConvention)), None)

    def start(self, catalog: Catalog) -> None:
        """Two renames in one run must not suggest the same new name."""
        self.taken = constraint_names_by_schema(catalog)

    def finish(self, catalog: Catalog) -> None:
        self.taken = {}

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        child = catalog.table(fk.table_oid)
        columns = fk_columns(catalog, fk)
        if not is_generated_name(fk.name, child.name, columns):
            return
        if self.convention is not None and self.convention.conforms(catalog, fk):
            return  # the team's convention is PostgreSQL's own naming
        new_name = self._new_name(catalog, fk, columns, self.taken[fk.schema])
        yield self.finding_for(
            catalog,
            fk,
            f"{fk.name} is the name PostgreSQL generated; it depends on creation order and "
            f"says nothing of intent — give it an explicit name such as {new_name}",
            fix=rename_constraint(child, fk.name, new_name),
            columns=columns,
            details=SuggestedName(new_name),
        )

    def _new_name(
        self, catalog: Catalog, fk: ForeignKey, columns: Sequence[str], taken: set[str]
    ) -> str:
        """The convention's name when one is configured, else `fk_<table>_<columns>`."""
        if self.convention is not None:
            name = self.convention.conventional_name(catalog, fk, taken)
            if name is not None:
                return name
        child = catalog.table(fk.table_oid)
        # Shorten the longer of table and columns, as PostgreSQL does, so both stay visible.
        base = make_object_name("fk_" + child.name, "_".join(columns), None)
        name = unique_name(base, taken)
        taken.add(name)
        return name
