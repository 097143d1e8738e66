"""Review the last migrations of a real project's history with `fkaudit check --migrations`.

A real history tests what fixtures written for fkaudit cannot: SQL that a tool generated or a
team wrote for its own reasons. This script takes a checkout of such a project, treats the
last N migrations of its folder as new (everything before them is the base) and prints what
fkaudit found in them, one row per finding: file:line, code, table, constraint, and the
strongest lock mode fkaudit observed on each table in `pg_locks`. docs/real-history.md has
the runs and their review by hand.

    git clone https://github.com/hoppscotch/hoppscotch /tmp/hoppscotch
    git -C /tmp/hoppscotch checkout afc2cf181c16e56647b099e5d18cfe55710c6cdd
    python benchmarks/review_history.py /tmp/hoppscotch \\
        --migrations packages/hoppscotch-backend/prisma/migrations --last 20

The checkout is never written to: the migrations folder is copied to a temporary directory,
and what the project's own migration runner does before or around the SQL is done there,
explicitly, and reported:

- `--substitute PATTERN REPLACEMENT` replaces a regular expression in every migration, for
  files that are templates (supabase/auth's `{{ index .Options "Namespace" }}`, which its
  runner fills in with the schema name). A pattern that matches nowhere is an error, and a
  replacement may not span lines, so every reported line is the line of the original file.
- `--prelude FILE` puts SQL before the first migration (it is prepended to that file, which
  must be in the base): what the runner or the platform creates before any migration runs
  (a schema, the runner's own bookkeeping table).

The exact fkaudit command is printed with the results.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fkaudit.changes.observe import spoken, strongest
from fkaudit.changes.transactions import OVERRIDES
from fkaudit.errors import FkauditError
from fkaudit.escape import printable
from fkaudit.schemafile import migration_files

# Runs `fkaudit <args>`; returns (exit code, stdout, stderr).
Runner = Callable[[Sequence[str]], tuple[int, str, str]]


@dataclass(frozen=True)
class Row:
    """One finding as the summary shows it."""

    location: str  # file (relative to the migrations folder):line, or "" when none is known
    code: str
    what: str  # FK704: the rule it reports as introduced, or "re-added"; FK705: "cycle"
    table: str
    constraint: str
    locks: str  # "table MODE" for each pre-existing table fkaudit observed, strongest mode


@dataclass(frozen=True)
class Prepared:
    """The copy of the migrations folder that fkaudit reviews, and what was done to it."""

    directory: Path
    new_since: str  # the first new migration, relative to `directory`
    files: int
    new: int
    notes: tuple[str, ...]


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="review_history.py",
        description="Review the last migrations of a project's history with fkaudit.",
    )
    parser.add_argument("checkout", type=Path, help="a checkout of the project")
    parser.add_argument(
        "--migrations", required=True, help="the migrations folder, relative to the checkout"
    )
    parser.add_argument(
        "--last", type=int, default=20, help="how many of the last migrations are new (20)"
    )
    parser.add_argument(
        "--substitute",
        nargs=2,
        action="append",
        default=[],
        metavar=("PATTERN", "REPLACEMENT"),
        help="replace a regular expression in every migration (templates); repeatable",
    )
    parser.add_argument(
        "--prelude", type=Path, help="SQL to run before the first migration (prepended to it)"
    )
    parser.add_argument("--transaction", choices=OVERRIDES, default="auto")
    parser.add_argument("--pg-bindir", type=Path, help="passed on to fkaudit")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(list(argv))
    if args.last < 1:
        parser.error(f"--last {args.last}: must be 1 or more")
    for pattern, replacement in args.substitute:
        try:
            re.compile(pattern)
        except re.error as exc:
            parser.error(f"--substitute {pattern!r}: not a regular expression: {exc}")
        if "\n" in replacement:
            parser.error("--substitute: a replacement may not span lines")
    return args


def prepare(args: argparse.Namespace, workdir: Path) -> Prepared:
    """Copy the migrations folder into `workdir`, apply --substitute and --prelude to the
    copy, and choose the first new migration (the `--last`-th from the end)."""
    source = args.checkout / args.migrations
    if not source.is_dir():
        raise FkauditError(f"{source}: not a directory")
    copy = workdir / "migrations"
    shutil.copytree(source, copy)
    files = migration_files(copy)
    if args.last > len(files):
        raise FkauditError(f"--last {args.last}: {source} has only {len(files)} migrations")
    notes = [*_substitute(files, copy, args.substitute)]
    first_new = files[len(files) - args.last]
    if args.prelude is not None:
        if first_new == files[0]:
            raise FkauditError("--prelude needs a base: --last must leave one migration before")
        notes.append(_prepend(args.prelude, files[0], copy))
    return Prepared(
        copy, first_new.relative_to(copy).as_posix(), len(files), args.last, tuple(notes)
    )


def _substitute(
    files: Sequence[Path], root: Path, substitutions: Sequence[Sequence[str]]
) -> list[str]:
    """Apply each (pattern, replacement) to every file; one note per substitution."""
    if not substitutions:
        return []
    texts = {path: path.read_text(encoding="utf-8") for path in files}
    notes = []
    for pattern, replacement in substitutions:
        compiled = re.compile(pattern)
        count, changed = 0, 0
        for path, text in texts.items():
            if any("\n" in m.group(0) for m in compiled.finditer(text)):
                raise FkauditError(
                    f"--substitute {pattern!r}: matches across lines in "
                    f"{path.relative_to(root)}, which would move the lines after it"
                )
            # literal text: a backslash in it is not a group reference
            texts[path], n = compiled.subn(replacement.replace("\\", "\\\\"), text)
            count, changed = count + n, changed + (n > 0)
        if not count:
            raise FkauditError(f"--substitute {pattern!r}: matches no migration")
        notes.append(f"replaced {pattern!r} with {replacement!r}: {count}x in {changed} files")
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")
    left = [path.relative_to(root).as_posix() for path, text in texts.items() if "{{" in text]
    if left:
        notes.append(f"still holding '{{{{' (a template?): {', '.join(left)}")
    return notes


def _prepend(prelude: Path, first: Path, root: Path) -> str:
    try:
        text = prelude.read_text(encoding="utf-8")
    except OSError as exc:
        raise FkauditError(f"--prelude {prelude}: {exc.strerror or exc}") from None
    if not text.endswith("\n"):
        text += "\n"
    first.write_text(text + first.read_text(encoding="utf-8"), encoding="utf-8")
    return (
        f"prepended {prelude} ({text.count(chr(10))} lines) to {first.relative_to(root)} "
        "(a base migration: its line numbers are not reported)"
    )


def fkaudit_args(args: argparse.Namespace, prepared: Prepared) -> list[str]:
    """The arguments of the `fkaudit` command that reviews the prepared copy."""
    command = [
        "check",
        "--migrations",
        str(prepared.directory),
        "--new-since",
        prepared.new_since,
        "--format",
        "json",
    ]
    if args.transaction != "auto":
        command += ["--transaction", args.transaction]
    if args.pg_bindir is not None:
        command += ["--pg-bindir", str(args.pg_bindir)]
    return command


def run_fkaudit(args: Sequence[str]) -> tuple[int, str, str]:
    """`fkaudit <args>` as a process of this interpreter (the fkaudit it imports)."""
    done = subprocess.run(
        [sys.executable, "-m", "fkaudit", *args], capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout, done.stderr


def rows(report: dict[str, Any], prepared: Prepared) -> list[Row]:
    """The findings of fkaudit's JSON report, in migration order, then by line and code."""
    order = {
        path.relative_to(prepared.directory).as_posix(): i
        for i, path in enumerate(migration_files(prepared.directory))
    }
    found: list[tuple[tuple[int, int, str], Row]] = []
    for finding in report["findings"]:
        location = finding.get("location") or {}
        path, line = _relative(location.get("path", ""), prepared.directory), location.get("line")
        details = finding.get("details") or {}
        locks = "; ".join(
            f"{table} {spoken(strongest(frozenset(modes)))}"
            for table, modes in (details.get("locks") or {}).items()
            if modes
        )
        row = Row(
            location=f"{path}:{line}" if path else "",
            code=finding["code"],
            what=_what(finding["code"], details),
            table=f"{finding['schema']}.{finding['table']}",
            constraint=finding.get("constraint") or "",
            locks=locks,
        )
        key = (order.get(path, len(order)), int(line or 0), finding["code"])
        found.append((key, row))
    return [row for _, row in sorted(found, key=lambda kr: kr[0])]


def _what(code: str, details: dict[str, Any]) -> str:
    """A word on what an FK704 or FK705 finding is about, from its details."""
    if code == "FK704":
        return f"introduces {details['introduced']}" if "introduced" in details else "re-added"
    if code == "FK705":
        return (
            "cycle" if details.get("cycle") else f"{len(details.get('reached_tables', []))} tables"
        )
    return ""


def _relative(path: str, directory: Path) -> str:
    if not path:
        return ""
    try:
        return Path(path).resolve().relative_to(directory.resolve()).as_posix()
    except ValueError:
        return path


def render(found: Sequence[Row], *, markdown: bool) -> str:
    """The rows as an aligned text table, or as a Markdown table."""
    header = ("file:line", "code", "what", "table", "constraint", "observed locks (strongest)")
    cells = [
        tuple(printable(cell) for cell in row)
        for row in [
            header,
            *((r.location, r.code, r.what, r.table, r.constraint, r.locks) for r in found),
        ]
    ]
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells[1:]]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    )


def summary(found: Sequence[Row]) -> str:
    counts: dict[str, int] = {}
    for row in found:
        counts[row.code] = counts.get(row.code, 0) + 1
    return f"{len(found)} findings" + (
        ": " + ", ".join(f"{code} x{n}" for code, n in sorted(counts.items())) if counts else ""
    )


def checkout_commit(checkout: Path) -> str:
    """The commit the checkout is at, or a note that it is not a git work tree."""
    done = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else "(not a git checkout)"


def main(argv: Sequence[str] | None = None, run: Runner = run_fkaudit) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="fkaudit-history-") as tmp:
        try:
            prepared = prepare(args, Path(tmp))
        except (FkauditError, OSError, UnicodeDecodeError) as exc:
            print(f"review_history.py: error: {exc}", file=sys.stderr)
            return 2
        command = fkaudit_args(args, prepared)
        print(f"project: {args.checkout} at {checkout_commit(args.checkout)}")
        print(
            f"migrations: {args.migrations}: {prepared.files} files, the last {prepared.new} "
            f"new (from {prepared.new_since})"
        )
        for note in prepared.notes:
            print(f"note: {note}")
        copy = str(prepared.directory)
        shown = ["<copy of the migrations>" if a == copy else a for a in command]
        print("command: fkaudit " + " ".join(shown))
        code, out, err = run(command)
        if code not in (0, 1):
            message = err.strip().replace(str(prepared.directory), "<copy>")
            print(f"review_history.py: fkaudit failed (exit {code}): {message}", file=sys.stderr)
            return 2
        found = rows(json.loads(out), prepared)
    print()
    print(render(found, markdown=args.markdown))
    print()
    print(summary(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
