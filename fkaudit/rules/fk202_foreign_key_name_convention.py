"""The foreign key's name does not follow the team's naming convention (off until configured).

What it does
    Compares every foreign key's name with the `convention` option. A convention starting with
    `^` is a regular expression the name must match (`^fk_[a-z0-9_]+$`). Anything else is a
    template with the placeholders `{table}`, `{columns}` (referencing columns joined by `_`),
    `{referenced_table}`, `{referenced_columns}` and `{schema}`, e.g. `fk_{table}_{columns}`;
    the name must equal the expanded template clipped to 63 bytes, optionally followed by
    `_2`, `_3` … where names collide. The rule is off until a convention is configured:

        [tool.fkaudit.rules.FK202]
        convention = "fk_{table}_{columns}"

Why it matters
    Predictable names make migrations portable (they can drop and alter constraints by name on
    every environment), make error messages self-explanatory, and let reviewers spot a missing
    or duplicate key at a glance. ORM-generated names (`fk_rails_0a1b2c3d`) hide which columns
    are involved.

How to fix
    With a template, rename to the expanded name (the fix does it):
    `ALTER TABLE orders RENAME CONSTRAINT fk_rails_0a1b2c3d TO fk_orders_customer_id;`.
    With a regular expression, choose a matching name yourself.

Options
    convention (default empty: rule off): a template or a `^…` regular expression.

Example
    convention = "fk_{table}_{columns}"
    ALTER TABLE orders ADD CONSTRAINT orders_customer FOREIGN KEY (customer_id)
        REFERENCES customers;                           -- fires
    ALTER TABLE orders ADD CONSTRAINT fk_orders_customer_id FOREIGN KEY (customer_id)
        REFERENCES customers;                           -- does not fire

Known limits
    Names are compared byte for byte (case-sensitive). When this rule is configured, FK201
    accepts generated names that follow the convention and suggests the convention's name, so
    the two never disagree. New names are checked against the names of foreign keys and
    indexes (which include primary key and unique constraints); a CHECK constraint of the same
    name would make the rename fail.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from fkaudit.catalog.model import Catalog, ForeignKey
from fkaudit.errors import FkauditError
from fkaudit.findings import Finding, Severity, SuggestedName
from fkaudit.fixsql import rename_constraint
from fkaudit.rules import ForeignKeyRule
from fkaudit.rules.names import NAMEDATALEN, clip_utf8, constraint_names_by_schema, unique_name

PLACEHOLDERS = ("table", "columns", "referenced_table", "referenced_columns", "schema")
_NUMBERED = re.compile(r"(.*)_([2-9]|[1-9]\d+)", re.S)  # the suffix unique_name() appends


class ForeignKeyNameConvention(ForeignKeyRule):
    code = "FK202"
    name = "foreign-key-name-convention"
    default_severity = Severity.WARNING
    enabled_by_default = False
    option_defaults: ClassVar[Mapping[str, Any]] = {"convention": ""}
    taken: dict[str, set[str]]  # per schema: names a suggested name must avoid, as suggested

    def __init__(self, severity: Severity | None = None, options: Mapping[str, Any] | None = None):
        super().__init__(severity, options)
        convention = self.options["convention"]
        if not convention:
            raise FkauditError(
                'FK202 needs a naming convention: set convention = "fk_{table}_{columns}" '
                "(or a ^regex) in its configuration section"
            )
        self.pattern: re.Pattern[str] | None = None
        self.placeholders: frozenset[str] = frozenset()
        if convention.startswith("^"):
            try:
                self.pattern = re.compile(convention)
            except re.error as exc:
                raise FkauditError(f"FK202 convention {convention!r}: bad regex: {exc}") from None
        else:
            fields = {f for _, f, _, _ in string.Formatter().parse(convention) if f is not None}
            self.placeholders = frozenset(fields)
            unknown = fields - set(PLACEHOLDERS)
            if unknown:
                raise FkauditError(
                    f"FK202 convention {convention!r}: unknown placeholder(s) "
                    f"{', '.join(sorted(unknown))} (known: {', '.join(PLACEHOLDERS)})"
                )

    def start(self, catalog: Catalog) -> None:
        """Two renames in one run must not suggest the same new name."""
        self.taken = constraint_names_by_schema(catalog)

    def finish(self, catalog: Catalog) -> None:
        self.taken = {}

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        # The template expanded once per key (`conforms` and `conventional_name` each would).
        expected = None if self.pattern is not None else self.expand(catalog, fk)
        if self._conforms(fk, expected):
            return
        new_name = None if expected is None else self._free(expected, self.taken[fk.schema])
        if new_name is None:
            yield self.finding_for(
                catalog, fk, f"{fk.name} does not match {self.options['convention']}"
            )
            return
        yield self.finding_for(
            catalog,
            fk,
            f"{fk.name} does not follow the naming convention: expected {new_name}",
            fix=rename_constraint(catalog.table(fk.table_oid), fk.name, new_name),
            details=SuggestedName(new_name),
        )

    def conforms(self, catalog: Catalog, fk: ForeignKey) -> bool:
        """The name matches the regex, or is the expanded template (with a collision suffix)."""
        return self._conforms(fk, None if self.pattern is not None else self.expand(catalog, fk))

    def _conforms(self, fk: ForeignKey, expected: str | None) -> bool:
        """`conforms`, given the expanded template (None: the convention is a regex)."""
        if expected is None:  # a regex
            return self.pattern is not None and self.pattern.search(fk.name) is not None
        if fk.name == expected:
            return True
        numbered = _NUMBERED.fullmatch(fk.name)
        if numbered is None:
            return False
        suffix = "_" + numbered.group(2)
        return numbered.group(1) == clip_utf8(expected, NAMEDATALEN - 1 - len(suffix))

    def conventional_name(self, catalog: Catalog, fk: ForeignKey, taken: set[str]) -> str | None:
        """A free name following the template (recorded in `taken`); None for a regex."""
        if self.pattern is not None:
            return None
        return self._free(self.expand(catalog, fk), taken)

    @staticmethod
    def _free(expected: str, taken: set[str]) -> str:
        """The expanded template, or it with a suffix if taken; recorded in `taken`."""
        name = unique_name(expected, taken)
        taken.add(name)
        return name

    def expand(self, catalog: Catalog, fk: ForeignKey) -> str:
        child, parent = catalog.table(fk.table_oid), catalog.table(fk.ref_table_oid)
        wanted = self.placeholders  # only these are spelled out, once per key
        name = self.options["convention"].format(
            table=child.name,
            columns="_".join(child.column(n).name for n in fk.attnums)
            if "columns" in wanted
            else "",
            referenced_table=parent.name,
            referenced_columns="_".join(parent.column(n).name for n in fk.ref_attnums)
            if "referenced_columns" in wanted
            else "",
            schema=child.schema,
        )
        return clip_utf8(name, NAMEDATALEN - 1)
