"""A review of new migrations: the base audited, the new ones replayed, the result judged.

The report holds what the change introduced, never what the base already had (that is the
baseline): the FK7xx findings, each at its statement, and the findings of the final audit that
the base audit did not have (those FK704 calls regressions become FK704 findings).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from fkaudit.catalog.scope import Scope
from fkaudit.changes.observe import Change, Located
from fkaudit.changes.replay import ReplayFailed, replay
from fkaudit.changes.transactions import detect_tool, file_transaction
from fkaudit.errors import FkauditError
from fkaudit.findings import Finding
from fkaudit.psqlscript import Statement
from fkaudit.report import Report
from fkaudit.rules import ChangeRule, Rule
from fkaudit.schemafile import migration_files, read_scripts, started_loader
from fkaudit.settings import ReviewOptions


def split_migrations(options: ReviewOptions) -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """(base, new): the folder's migrations in their order, split at `--new-since FILE` (every
    file from it on is new) or by `--base-ref REF` (new: the files REF does not have)."""
    files = migration_files(options.directory)
    if options.new_since is not None:
        wanted = Path(options.new_since)
        for i, path in enumerate(files):
            if path.resolve() == wanted.resolve() or path.resolve() == (
                (options.directory / wanted).resolve()
            ):
                return files[:i], files[i:]
        names = [i for i, path in enumerate(files) if path.name == wanted.name]
        if len(names) == 1:
            return files[: names[0]], files[names[0] :]
        raise FkauditError(
            f"--new-since {options.new_since}: not a migration of {options.directory}"
            + (" (several files have that name: give its path)" if names else "")
        )
    assert options.base_ref is not None
    known = _files_at(options.directory, options.base_ref)
    base = tuple(path for path in files if path.resolve() in known)
    return base, tuple(path for path in files if path.resolve() not in known)


def _files_at(directory: Path, ref: str) -> set[Path]:
    """The files under `directory` in git revision `ref`, as absolute paths."""
    if ref.startswith("-"):
        raise FkauditError(f"--base-ref {ref}: not a git revision")
    try:
        top = _git(directory, "rev-parse", "--show-toplevel").strip()
        listed = _git(directory, "ls-tree", "-r", "--full-name", "--name-only", ref, "--", ".")
    except OSError as exc:
        raise FkauditError(f"--base-ref {ref}: cannot run git: {exc.strerror or exc}") from None
    return {(Path(top) / line).resolve() for line in listed.splitlines() if line}


def _git(directory: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(directory), *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise FkauditError(f"--base-ref: git {args[0]}: {why}")
    return done.stdout


def review(
    options: ReviewOptions,
    audit: Callable[[str], Report],
    rules: Sequence[Rule],
    announce: Callable[[str], None] | None = None,
    scope: Scope | None = None,
) -> Report:
    """Load the base, audit it, replay the new migrations, audit the result, judge the change.

    `scope` (the configuration's schemas, tables and exclusions) chooses the tables whose
    change findings are reported, as it chooses those an audit inspects."""
    base_files, new_files = split_migrations(options)
    if not new_files:
        raise FkauditError(f"--migrations {options.directory}: no new migration to review")
    base_scripts, new_scripts = read_scripts(base_files), read_scripts(new_files)
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in new_files]
    tool = detect_tool(options.directory, [*base_files, *new_files], texts)
    transactions = [
        file_transaction(
            tool,
            script.path,
            text,
            [step.text for step in script.steps if isinstance(step, Statement)],
            options.transaction,
        )
        for script, text in zip(new_scripts, texts, strict=True)
    ]
    what = str(options.directory)
    roles: list[str] = []  # named first by a new migration: created, then all runs again
    with started_loader([*base_scripts, *new_scripts], options.pg_bindir, what, announce) as ld:
        while True:
            dsn = ld.load(base_scripts, require_tables=False, roles=roles)
            before = audit(dsn)
            try:
                replayed = replay(ld, new_scripts, transactions)
            except ReplayFailed as failed:
                role = failed.missing_role
                if role is None or role.startswith("pg_") or role in roles:
                    raise
                roles.append(role)
                continue
            after = audit(dsn)
            break
    change = Change(replayed, before, after)
    scope = scope or Scope()
    located = [
        found
        for rule in rules
        if isinstance(rule, ChangeRule)
        for found in rule.review(change)
        if scope.includes(found.finding.schema, found.finding.table)
    ]
    return introduced(change, located, [rule.code for rule in rules])


def introduced(change: Change, located: Sequence[Located], codes: Sequence[str]) -> Report:
    """The final report cut to what the change introduced, with the FK7xx findings at their
    statements. A finding of the final audit that a change rule reports in its own words (FK704
    names it in `details["replaces"]`, by fingerprint) is not listed twice."""
    base = change.base
    seen = {f.fingerprint for f in (*base.findings, *base.suppressed, *base.baselined)}
    replaced = {found.finding.details.get("replaces") for found in located}
    new = [
        f
        for f in change.final.findings
        if f.fingerprint not in seen and f.fingerprint not in replaced
    ]
    findings = sorted([*new, *(found.finding for found in located)], key=Finding.sort_key)
    return replace(
        change.final,
        findings=tuple(findings),
        suppressed=tuple(f for f in change.final.suppressed if f.fingerprint not in seen),
        rules_run=tuple(sorted({*change.final.rules_run, *codes})),
        # A finding no replayed statement explains (FK704 about a key between two tables the
        # change created: their keys are not observed) is placed where its key is defined,
        # as the findings of an audit are, not at an empty location.
        located=tuple(
            (found.finding.fingerprint, found.path, found.line) for found in located if found.path
        ),
    )
