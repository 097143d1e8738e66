"""The referencing and referenced columns have different types (or collations).

What it does
    Compares each referencing column with the column it references. It reports an error when
    the foreign key's equality operator is not one a plain index on the referencing column can
    search — the check then casts the child column (an `integer` child of a `numeric` key,
    `varchar` referencing `citext`) and no index on it is ever used; a warning when the child
    column is a narrower integer or float than the parent (`integer` referencing `bigint`);
    a warning when the check compares the child column in another collation than its own
    (the referenced column's type is a domain declared `COLLATE "C"`, or on PostgreSQL 12-17
    its collation is nondeterministic): only an index built with that COLLATE serves it; an
    error when the two collations conflict (two different non-default ones), because then
    every delete or key update of a referenced row fails once the child has rows; and a
    warning when two text columns simply use different collations. Harmless pairs stay
    silent: same type, a domain over the same type, `varchar(n)` and `text`.

Why it matters
    A cast on the child column turns every parent delete into a sequential scan of the child
    whatever indexes exist (FK101 says so too, this rule names the cause). A narrower child
    column works until the parent's ids pass its range (2^31 for `integer`): then inserts of
    new children fail. Different collations make equality and sort order disagree between the
    two sides.

How to fix
    Change the child column to the parent's type: `ALTER TABLE child ALTER COLUMN parent_id
    TYPE bigint;` (this rewrites the table under an ACCESS EXCLUSIVE lock: plan it), or give
    both columns the same collation.

Example
    CREATE TABLE accounts (id bigint PRIMARY KEY);
    CREATE TABLE payments (account_id integer REFERENCES accounts);   -- fires (warning)
    CREATE TABLE ledger (id numeric PRIMARY KEY);
    CREATE TABLE entries (ledger_id integer REFERENCES ledger);        -- fires (error)

Known limits
    The period column of a temporal foreign key (PostgreSQL 18) is compared by range overlap,
    not equality; only its collation is checked. Length and precision modifiers are ignored.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.catalog.coverage import comparison_collation
from fkaudit.catalog.model import Catalog, Column, ForeignKey
from fkaudit.findings import Finding, Severity
from fkaudit.fixsql import alter_column_type, quoted
from fkaudit.rules import ForeignKeyRule

# Built-in type OIDs (stable across versions): integer and float widths, narrowest first.
_WIDTHS = {21: (0, 2), 23: (0, 4), 20: (0, 8), 700: (1, 4), 701: (1, 8)}


class ForeignKeyTypeMismatch(ForeignKeyRule):
    code = "FK103"
    name = "foreign-key-type-mismatch"
    default_severity = Severity.ERROR

    def start(self, catalog: Catalog) -> None:
        """The verdicts on types repeat across keys (bigint to bigint, 100,000 times): each
        pair of types and operator is judged once per run."""
        self.type_problems: dict[tuple[int, int, int], str | None] = {}

    def finish(self, catalog: Catalog) -> None:
        self.type_problems = {}

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        problems = list(_problems(catalog, fk, self.type_problems))
        if not problems:
            return
        child = catalog.table(fk.table_oid)
        retype = [(c, p) for kind, c, p in problems if not kind.startswith("collation")]
        yield self.finding_for(
            catalog,
            fk,
            "; ".join(_describe(catalog, fk, kind, c, p) for kind, c, p in problems),
            columns=list(dict.fromkeys(c.name for _, c, _ in problems)),
            severity=max(_SEVERITY[kind] for kind, _, _ in problems),
            suggestion="\n".join(alter_column_type(child, c.name, p.type_name) for c, p in retype)
            or None,
            details={
                "columns": [
                    {
                        "column": c.name,
                        "type": c.type_name,
                        "referenced_type": p.type_name,
                        "problem": kind,
                    }
                    for kind, c, p in problems
                ]
            },
        )


_SEVERITY = {
    "cast": Severity.ERROR,
    "narrower": Severity.WARNING,
    "collation": Severity.WARNING,
    "collation-index": Severity.WARNING,
    "collation-conflict": Severity.ERROR,
}
_DESCRIBE = {
    "cast": "{c.name} ({c.type_name}) is cast to compare with {p.name} ({p.type_name}): no index "
    "on the column itself can serve the check",
    "narrower": "{c.name} ({c.type_name}) is narrower than the referenced {p.name} "
    "({p.type_name}): new children fail once parent keys outgrow it",
    "collation": "{c.name} and the referenced {p.name} use different collations",
    "collation-index": "the check compares {c.name} in collation {compared}, not in its own "
    "({own}): no index on it serves the check unless built with COLLATE {compared}",
    "collation-conflict": "{c.name} (collation {own}) and the referenced type's collation "
    "({theirs}) conflict: PostgreSQL cannot choose one, so every delete or key update of a "
    "referenced row fails once the child has rows (could not determine which collation to use)",
}


def _describe(catalog: Catalog, fk: ForeignKey, kind: str, child: Column, parent: Column) -> str:
    position = fk.attnums.index(child.attnum)
    type_info = catalog.type_info.get(parent.type_oid)
    return _DESCRIBE[kind].format(
        c=child,
        p=parent,
        own=_collation_name(catalog, child.collation_oid),
        compared=_collation_name(catalog, comparison_collation(catalog, fk, position)),
        theirs=_collation_name(catalog, type_info.collation_oid if type_info else None),
    )


def _collation_name(catalog: Catalog, oid: int | None) -> str:
    collation = catalog.collations.get(oid) if oid else None
    if collation is None:
        return "unknown"
    return quoted(collation.name)


def _problems(
    catalog: Catalog, fk: ForeignKey, type_problems: dict[tuple[int, int, int], str | None]
) -> Iterator[tuple[str, Column, Column]]:
    """(kind, child column, parent column) for each column pair with a problem.

    `type_problems` memoises the part decided by the two types and the operator alone.
    """
    child = catalog.table(fk.table_oid)
    parent = catalog.table(fk.ref_table_oid)
    last = len(fk.attnums) - 1
    for position, (attnum, ref_attnum, operator) in enumerate(
        zip(fk.attnums, fk.ref_attnums, fk.pf_eq_operators, strict=True)
    ):
        child_col, parent_col = child.column(attnum), parent.column(ref_attnum)
        period = fk.is_period and position == last  # compared by overlap, not equality
        kind: str | None = None
        if not period:
            types = (child_col.type_oid, parent_col.type_oid, operator)
            if types not in type_problems:
                type_problems[types] = _type_problem(catalog, child_col, parent_col, operator)
            kind = type_problems[types]
        if kind is not None:
            yield kind, child_col, parent_col
        elif child_col.collation_oid or parent_col.collation_oid:
            compared = comparison_collation(catalog, fk, position)
            if compared is None:
                yield "collation-conflict", child_col, parent_col
            elif compared != child_col.collation_oid:
                yield "collation-index", child_col, parent_col
            elif child_col.collation_oid != parent_col.collation_oid:
                yield "collation", child_col, parent_col


def _type_problem(catalog: Catalog, child: Column, parent: Column, operator: int) -> str | None:
    """ "cast" or "narrower" when the types alone make one, else None."""
    if _forces_cast(catalog, child, operator):
        return "cast"
    if _narrower(catalog, child, parent):
        return "narrower"
    return None


def _base_type(catalog: Catalog, column: Column) -> int:
    info = catalog.type_info.get(column.type_oid)
    return info.base_oid if info else column.type_oid


def _forces_cast(catalog: Catalog, column: Column, operator: int) -> bool:
    """The lookup casts the column, or a default btree index on it cannot search the operator."""
    if catalog.casts_column(column.type_oid, operator):
        return True
    info = catalog.type_info.get(column.type_oid)
    if info is None or info.btree_family is None:
        return False  # no btree support at all: nothing to lose, nothing to say
    return not catalog.is_search_operator(info.btree_family, operator)


def _narrower(catalog: Catalog, child: Column, parent: Column) -> bool:
    child_width = _WIDTHS.get(_base_type(catalog, child))
    parent_width = _WIDTHS.get(_base_type(catalog, parent))
    return (
        child_width is not None
        and parent_width is not None
        and child_width[0] == parent_width[0]
        and child_width[1] < parent_width[1]
    )
