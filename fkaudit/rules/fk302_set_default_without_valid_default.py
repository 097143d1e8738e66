"""ON DELETE or ON UPDATE SET DEFAULT writes a value that cannot satisfy the foreign key.

What it does
    For a foreign key whose delete or update action is SET DEFAULT, looks at the defaults of
    the columns the action writes (on PostgreSQL 15 and later `SET DEFAULT (col, …)` writes
    only the listed ones). It fires when a column that rejects NULL has no default (the action
    writes NULL and fails), or when every written column has a constant default and the
    referenced table has no row with those values (checked with one read-only query during
    introspection, when the role may read the referenced table). A column rejects NULL when it
    is declared NOT NULL or a CHECK constraint of the table forbids NULL in it
    (`CHECK (col IS NOT NULL)`, alone or ANDed, as FK301 reads it), NOT VALID ones included:
    PostgreSQL checks them on every row the action writes.

Why it matters
    PostgreSQL accepts the definition, but the action runs only when a parent row is deleted or
    its key changed, and then fails: with a not-null violation, or with a foreign-key violation
    because the default references nothing. The parent row can never be deleted while it has
    children, and the error appears in production, far from the migration that caused it.

How to fix
    Give the column a default that references a row that always exists (and protect that row),
    e.g. `ALTER TABLE child ALTER COLUMN status_id SET DEFAULT 0;` with status 0 present, or
    choose another action (SET NULL, RESTRICT, CASCADE).

Example
    CREATE TABLE orders (id int PRIMARY KEY,
        status_id int NOT NULL REFERENCES status ON DELETE SET DEFAULT);   -- fires: no default
    CREATE TABLE invoice (status_id int REFERENCES status ON DELETE SET DEFAULT,
        CHECK (status_id IS NOT NULL));                                    -- fires as well

Known limits
    Non-constant defaults (`nextval()`, functions) are not evaluated and do not fire. A default
    row that is itself the row being deleted still fails; that is not detected. When the default
    row cannot be looked up (no SELECT on the referenced table, row-level security, a lock not
    granted in time) the run reports the check as incomplete, with the GRANT that would let it
    run, and exits 2 unless `--allow-incomplete`.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.catalog.model import Action, Catalog, ForeignKey
from fkaudit.findings import Finding, Severity
from fkaudit.rules import ForeignKeyRule
from fkaudit.rules.wording import guarded_phrase, null_rejection


class SetDefaultWithoutValidDefault(ForeignKeyRule):
    code = "FK302"
    name = "set-default-without-valid-default"
    default_severity = Severity.ERROR

    def check_fk(self, catalog: Catalog, fk: ForeignKey) -> Iterator[Finding]:
        events = [
            event
            for event, action in (("DELETE", fk.on_delete), ("UPDATE", fk.on_update))
            if action is Action.SET_DEFAULT
        ]
        if not events:
            return
        problem = self._problem(catalog, fk, events)
        unchecked = catalog.default_row_unchecked.get(fk.oid)
        if unchecked and not problem:
            yield self.unchecked_for(
                catalog,
                fk,
                f"whether the referenced table has the row its SET DEFAULT "
                f"values point at could not be checked: {unchecked}",
            )
        if problem:
            actions = " and ".join(f"ON {event} SET DEFAULT" for event in events)
            yield self.finding_for(
                catalog,
                fk,
                f"{actions}: {problem}; every such action on a referenced row that has "
                "children fails",
                details={"events": [event.lower() for event in events]},
            )

    @staticmethod
    def _problem(catalog: Catalog, fk: ForeignKey, events: list[str]) -> str | None:
        child = catalog.table(fk.table_oid)
        defaults = {d.attnum: d for d in catalog.set_default_columns.get(fk.oid, ())}
        written = set(fk.attnums)
        if events == ["DELETE"] and fk.delete_set_attnums:
            written = set(fk.delete_set_attnums)
        nulls = [n for n in fk.attnums if n in written and defaults[n].writes_null]
        why = null_rejection(child, nulls)
        if why is not None:
            parts = []
            if why.single:
                parts.append(f"NOT NULL column(s) {guarded_phrase(why.single)} have no default")
            if why.joint:
                names = ", ".join(c.name for c in why.written)
                checks = ", ".join(check.describe() for check in why.joint)
                verb = "forbids" if len(why.joint) == 1 else "forbid"
                parts.append(f"{names} have no default, and {checks} {verb} them all NULL")
            return "; ".join(parts)
        if catalog.default_row_exists.get(fk.oid) is False:
            values = ", ".join(
                f"{child.column(n).name} = {defaults[n].expression}" for n in fk.attnums
            )
            parent = catalog.table(fk.ref_table_oid).qualified_name
            return f"no row of {parent} matches the defaults ({values})"
        return None
