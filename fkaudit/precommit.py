"""`fkaudit-pre-commit`: the entry point of the pre-commit hook in `.pre-commit-hooks.yaml`.

pre-commit passes the changed files that match the hook's `files` pattern (`.sql`). A schema
file (`db/structure.sql`, a `pg_dump --schema-only` file) is a whole schema and is audited on
its own, `fkaudit check --schema-file FILE`. A migration is not: it only makes sense after the
migrations before it, so a changed file inside a migration folder means the folder is audited
whole, `fkaudit check --migrations DIR`, once however many of its files changed. A folder is a
migration folder when `--migrations DIR` names it, or else when it is the nearest folder above
the file called `migrations`, `migration` (Flyway's `db/migration`) or `migrate`.

Each audit is its own `fkaudit check` process, run in turn (each starts a throwaway server), and
the hook exits with the worst of their exit codes (2 over 1 over 0), so it fails on findings at
or above `--fail-on` and on files that do not load.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from fkaudit.errors import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS
from fkaudit.process import OneLineCommand, run_and_exit

MIGRATION_FOLDER_NAMES = frozenset({"migrations", "migration", "migrate"})


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def migration_folder(path: Path, declared: Sequence[Path] = ()) -> Path | None:
    """The migration folder `path` belongs to: a declared one holding it (the innermost), else
    its nearest parent named like a migration folder, else None (a schema file)."""
    holding = [folder for folder in declared if _inside(path, folder)]
    if holding:
        return max(holding, key=lambda folder: len(folder.resolve().parts))
    for parent in path.parents:
        if parent.name in MIGRATION_FOLDER_NAMES:
            return parent
    return None


def audits(files: Sequence[Path], declared: Sequence[Path] = ()) -> list[tuple[str, Path]]:
    """The audits the changed `files` call for, in order: (`--schema-file`, file) or
    (`--migrations`, folder), each once; files that no longer exist are skipped."""
    found: list[tuple[str, Path]] = []
    for path in files:
        if not path.is_file():
            continue  # deleted or renamed away in this commit
        folder = migration_folder(path, declared)
        audit = ("--schema-file", path) if folder is None else ("--migrations", folder)
        if audit not in found:
            found.append(audit)
    return found


def worst(codes: Sequence[int]) -> int:
    """The exit code of the hook: an unexpected code (a signal) first, then 2, 1, 0."""
    for code in codes:
        if code not in (EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR):
            return code
    return max(codes, default=EXIT_CLEAN)


@click.command(cls=OneLineCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--migrations",
    "declared",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="A migration folder (repeatable): a changed file under it audits the whole folder. "
    "Folders named migrations, migration or migrate are recognized without it.",
)
@click.option(
    "--args",
    "extra",
    default="",
    metavar="ARGS",
    help='More fkaudit check options, shell-quoted: --args "--fail-on error --ignore FK306".',
)
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def main(declared: tuple[Path, ...], extra: str, files: tuple[Path, ...]) -> None:
    """Audit the changed SQL FILES: each schema file alone, each migration folder whole."""
    try:
        options = shlex.split(extra)
    except ValueError as exc:
        raise click.BadParameter(
            f"not a valid shell-quoted string ({exc})", param_hint="--args"
        ) from None
    codes = []
    for kind, path in audits(files, declared):
        command = ["fkaudit", "check", kind, str(path), *options]
        click.echo(f"$ {shlex.join(command)}")
        done = subprocess.run([sys.executable, "-m", *command], check=False)
        codes.append(done.returncode if done.returncode >= 0 else 128 - done.returncode)
        if codes[-1] not in (EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR):
            break  # interrupted or terminated: stop here
    sys.exit(worst(codes))


def run() -> None:
    """The `fkaudit-pre-commit` console entry point."""
    run_and_exit(main)


if __name__ == "__main__":
    run()
