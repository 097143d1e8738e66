"""A migration makes a foreign key worse: a problem the schema before it did not have.

What it does
    Under review (`check --migrations DIR --new-since FILE`), compares the audit of the schema
    after the new migrations with the audit of the schema before them, and reports, at the
    statement that caused it:

    - each new finding of FK101 (no index serves the key), FK102 (an index serves it only in
      part), FK301 (SET NULL on a NOT NULL column), FK303 (a nullable key under ON DELETE
      CASCADE) and FK305 (a cascade cycle): a new key without its index, an index dropped that
      served a key, an action changed;
    - each key that a statement drops and a later one adds back on the same table (by name, or
      by columns and referenced table): adding it back validates the whole table again.

    The statement is the one that added the key, else the one that dropped the index or key it
    relied on, else the last one that locked its table.

Why it matters
    A pull request should not leave the schema's foreign keys worse than it found them; the
    base's own problems are the baseline, reported by a plain audit, not here.

How to fix
    Apply the original finding's fix (shown), or keep the index or key the migration drops;
    instead of dropping and re-adding a key to change it, add the new one NOT VALID beside the
    old, validate it, then drop the old.

Example
    ALTER TABLE orders ADD CONSTRAINT fk_orders_customer FOREIGN KEY (customer_id)
        REFERENCES customers NOT VALID;          -- fires: no index serves it (FK101)
    DROP INDEX orders_customer_id_idx;           -- fires when it served a key

Known limits
    Findings are matched by rule and object: a key renamed by the change reads as a new one.
"""

from __future__ import annotations

from collections.abc import Iterator

from fkaudit.changes.observe import Change, Located, Observed, Replay
from fkaudit.findings import Finding, Severity
from fkaudit.rules import ChangeRule
from fkaudit.rules.change_findings import key_finding

REGRESSIONS = ("FK101", "FK102", "FK301", "FK303", "FK305")


class ForeignKeyRegression(ChangeRule):
    code = "FK704"
    name = "foreign-key-regression"
    default_severity = Severity.WARNING

    def review(self, change: Change) -> Iterator[Located]:
        base = change.base
        seen = {f.fingerprint for f in (*base.findings, *base.suppressed, *base.baselined)}
        for finding in change.final.findings:
            if finding.code in REGRESSIONS and finding.fingerprint not in seen:
                yield self._introduced(change.replay, finding)
        yield from self._readded(change.replay)

    def _introduced(self, replay: Replay, finding: Finding) -> Located:
        statement = _cause(replay, finding)
        where = f"{statement.path}:{statement.line}: " if statement else ""
        return Located(
            Finding(
                code=self.code,
                name=self.name,
                severity=self.severity,
                schema=finding.schema,
                table=finding.table,
                constraint=finding.constraint,
                columns=finding.columns,
                message=f"{where}introduces {finding.code} {finding.name}: {finding.message}",
                fix=finding.fix,
                suggestion=finding.suggestion,
                details={"replaces": finding.fingerprint, "introduced": finding.code},
            ),
            statement.path if statement else "",
            statement.line if statement else 0,
        )

    def _readded(self, replay: Replay) -> Iterator[Located]:
        dropped: list[tuple[Observed, tuple[int, str, tuple[int, ...], int]]] = []
        for statement in replay.statements:
            for fk in statement.dropped_foreign_keys():
                if fk.table in replay.pre and not fk.parent:  # partitions' copies go with it
                    dropped.append((statement, (fk.table, fk.name, fk.attnums, fk.referenced)))
            for fk in statement.added_foreign_keys():
                if fk.parent:
                    continue
                for earlier, (table, name, attnums, referenced) in dropped:
                    same = name == fk.name or (attnums, referenced) == (fk.attnums, fk.referenced)
                    if table == fk.table and same and fk.validated:
                        yield key_finding(
                            self,
                            replay,
                            statement,
                            fk,
                            f"adds back {fk.name} on {replay.name(fk.table)}, which "
                            f"{earlier.path}:{earlier.line} dropped ({name}): adding it back "
                            "reads the whole table to validate it again, under locks that "
                            "block writes; add the new key NOT VALID beside the old one, "
                            "validate it, then drop the old one",
                        )
                        break


def _cause(replay: Replay, finding: Finding) -> Observed | None:
    """The statement that added the finding's key, else dropped an index or key of its table,
    else last locked its table."""
    table = (finding.schema, finding.table)
    oids = {oid for oid, name in replay.names.items() if name == table}
    for statement in reversed(replay.statements):
        if any(
            fk.table in oids and fk.name == finding.constraint
            for fk in statement.added_foreign_keys()
        ):
            return statement
    for statement in reversed(replay.statements):
        tables = [ix.table for ix in statement.dropped_indexes()]
        tables += [fk.table for fk in statement.dropped_foreign_keys()]
        if any(table in oids for table in tables):
            return statement
    for statement in reversed(replay.statements):
        if any(statement.acquired(oid) for oid in oids):
            return statement
    return None
