"""A migration adds an ON DELETE CASCADE key whose cascade reaches many tables or loops.

What it does
    Under review (`check --migrations DIR --new-since FILE`), fires for each foreign key with
    ON DELETE CASCADE that the new migrations add, when, in the schema after them, deleting one
    row of its referenced table cascades to more than `max_tables` other tables (default 4),
    or through the new key back to a table it started from (a cycle). A key that references
    its own table (a tree whose rows delete their subtree) closes no cycle, as for FK305; it
    fires only when its cascade is too wide. When the referenced table cascaded before the
    change, the message says to how many tables, so a key that adds one table to a cascade
    the base already had reads as such.

Why it matters
    A new cascade changes what a single `DELETE` does on tables the migration never mentions:
    one row removed from a parent can now remove rows from many tables, holding row locks on
    all of them, and a cycle makes the extent of a delete depend on the data. It deserves a
    reviewer's explicit agreement (FK306 and FK305 report the same shapes in a whole audit).

How to fix
    Use ON DELETE RESTRICT (or NO ACTION) and delete children explicitly where the application
    means to, or cut the chain: not every level needs to cascade.

Options
    max_tables (default 4): the number of tables a cascade may reach before the rule fires.

Example
    ALTER TABLE order_lines ADD CONSTRAINT fk_lines_order FOREIGN KEY (order_id)
        REFERENCES orders ON DELETE CASCADE;   -- fires when orders' cascade then reaches > 4
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from fkaudit.changes.observe import Change, Located
from fkaudit.errors import FkauditError
from fkaudit.findings import Severity
from fkaudit.rules import ChangeRule
from fkaudit.rules.change_findings import key_finding


class WideNewCascade(ChangeRule):
    code = "FK705"
    name = "wide-new-cascade"
    default_severity = Severity.WARNING
    option_defaults: ClassVar[Mapping[str, Any]] = {"max_tables": 4}

    def __init__(self, severity: Severity | None = None, options: Mapping[str, Any] | None = None):
        super().__init__(severity, options)
        if self.options["max_tables"] < 1:
            raise FkauditError(f"max_tables must be 1 or more, got {self.options['max_tables']}")

    def review(self, change: Change) -> Iterator[Located]:
        replay = change.replay
        children: dict[int, set[int]] = {}
        for referenced, child in replay.cascades:
            children.setdefault(referenced, set()).add(child)
        final = set(replay.cascades)
        # The base's cascades: every key of the base touches a table that existed before, so
        # the first statement's snapshot before it ran holds them all.
        base: dict[int, set[int]] = {}
        for old in replay.statements[0].before.foreign_keys.values() if replay.statements else ():
            if old.on_delete == "c":
                base.setdefault(old.referenced, set()).add(old.table)
        for statement in replay.statements:
            for fk in statement.added_foreign_keys():
                if fk.on_delete != "c" or (fk.referenced, fk.table) not in final:
                    continue
                reached = _reach(children, fk.referenced) - {fk.referenced}
                cycle = fk.table != fk.referenced and fk.referenced in _reach(children, fk.table)
                if not cycle and len(reached) <= self.options["max_tables"]:
                    continue
                parent = replay.name(fk.referenced)
                what = (
                    f"closes a cascade cycle through {replay.name(fk.table)} and {parent}"
                    if cycle
                    else f"makes deleting one row of {parent} cascade to {len(reached)} tables "
                    f"(more than {self.options['max_tables']})"
                )
                earlier = len(_reach(base, fk.referenced) - {fk.referenced})
                if not cycle and earlier and fk.referenced in replay.pre:
                    what += f"; it cascaded to {earlier} tables before the change"
                yield key_finding(
                    self,
                    replay,
                    statement,
                    fk,
                    f"adds {fk.name} with ON DELETE CASCADE, which {what}",
                    details={
                        "reached_tables": sorted(replay.name(t) for t in reached),
                        "cycle": cycle,
                    },
                )


def _reach(children: dict[int, set[int]], start: int) -> set[int]:
    """The tables a delete in `start` cascades to (`start` itself only when a cycle or its
    own key leads back to it)."""
    seen: set[int] = set()
    todo = [start]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen
