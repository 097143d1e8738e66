"""Select and configure rules, run each by its kind and in isolation, apply suppressions.

A rule that raises does not crash the run and is not silently skipped: it becomes a reported
internal error, and the run's exit code is 2 ("could not run"), because a clean result from a
run that did not finish checking would be a lie.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from fkaudit.catalog.model import Catalog
from fkaudit.config import Config
from fkaudit.errors import FkauditError
from fkaudit.findings import Finding
from fkaudit.rules import (
    CatalogRule,
    ChangeRule,
    DataRule,
    ForeignKeyRule,
    MetaRule,
    Rule,
    all_rules,
)
from fkaudit.selectors import is_known, matches, names_exactly, unknown_rule

# The report and suppression modules are imported by the functions that need them: listing
# the rules (`fkaudit rules`) only selects them.
if TYPE_CHECKING:
    from fkaudit.report import RuleError
    from fkaudit.sqlsource import IgnoreComment


def select_rules(
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    config: Config | None = None,
    *,
    extend_select: Sequence[str] = (),
    extend_ignore: Sequence[str] = (),
) -> list[Rule]:
    """The configured rules chosen by code, code prefix (`FK1`) or name.

    Opt-in rules (FK202, FK602) run only when named exactly in `select` or turned on in the
    configuration (`enabled = true`, or any of their options set); `enabled = false` turns a
    rule off unless it is named exactly. Unknown selectors are an error.

    `extend_select` and `extend_ignore` apply after `select` and `ignore`, as ruff's do: an
    extension adds rules to (or takes them from) whatever the first pass chose, so
    `--extend-select FK303` runs FK303 even where the file's `ignore` names it, and
    `extend_ignore` wins over both. Their selectors pick rules the way `select`'s do.
    """
    rules = all_rules()
    for selector in [*select, *ignore, *extend_select, *extend_ignore]:
        if not is_known(selector, rules):
            raise FkauditError(unknown_rule(selector, rules))
    config = config or Config()
    chosen, configured = [], []
    for rule in rules:
        settings = config.rule(rule.code)
        enabled = settings.enabled
        if enabled is None:
            enabled = rule.enabled_by_default or bool(settings.options)
        wanted = _picks(select, rule, enabled, empty=True) and not any(
            matches(s, rule.code, rule.name) for s in ignore
        )
        wanted = (wanted or _picks(extend_select, rule, enabled, empty=False)) and not any(
            matches(s, rule.code, rule.name) for s in extend_ignore
        )
        if wanted:
            chosen.append(rule(settings.severity, settings.options))
        elif settings.options:
            configured.append(rule(settings.severity, settings.options))
    # Rules that must agree with another's configuration (FK201 with FK202's naming convention)
    # see it even when that other rule is not run.
    for instance in chosen:
        instance.bind([*chosen, *configured])
    return chosen


def _picks(selectors: Sequence[str], rule: type[Rule], enabled: bool, *, empty: bool) -> bool:
    """Whether `selectors` choose `rule`: named exactly, or enabled and matched by a prefix;
    `empty` is the answer for no selectors (every enabled rule for `select`, none for an
    extension)."""
    if any(names_exactly(s, rule.code, rule.name) for s in selectors):
        return True
    if not selectors:
        return empty and enabled
    return enabled and any(matches(s, rule.code, rule.name) for s in selectors)


def run_rules(
    catalog: Catalog, rules: Iterable[Rule]
) -> tuple[tuple[Finding, ...], tuple[RuleError, ...]]:
    """Run every rule on the catalog; a crash in one is recorded and the others still run.

    A per-key rule is called for each inspected foreign key; a data rule says here what the
    catalog alone shows (the scans come later, in `fkaudit.api`); a meta rule runs after
    suppressions (`apply_suppressions`). A rule that crashes on any key reports nothing: half
    of its findings would read as a complete verdict.
    """
    from fkaudit.report import RuleError

    findings: list[Finding] = []
    errors: list[RuleError] = []
    for rule in rules:
        try:
            findings.extend(_check(catalog, rule))
        except Exception as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            errors.append(
                RuleError(
                    rule.code,
                    f"internal error in rule {rule.code}: {type(exc).__name__}: {exc} "
                    f"({where.filename.rsplit('/', 1)[-1]}:{where.lineno})",
                )
            )
    findings.sort(key=Finding.sort_key)
    return tuple(findings), tuple(errors)


def _check(catalog: Catalog, rule: Rule) -> list[Finding]:
    """The findings `rule` makes from the catalog, called the way its kind is called."""
    if isinstance(rule, ForeignKeyRule):
        rule.start(catalog)
        found = [f for fk in catalog.inspected_foreign_keys for f in rule.check_fk(catalog, fk)]
        rule.finish(catalog)
        return found
    if isinstance(rule, (CatalogRule, DataRule)):
        return list(rule.check(catalog))
    if isinstance(rule, (MetaRule, ChangeRule)):  # judged later (suppressions), or in a review
        return []
    raise TypeError(f"{type(rule).__name__} extends no rule kind (see fkaudit.rules)")


def apply_suppressions(
    catalog: Catalog,
    findings: Sequence[Finding],
    rules: Sequence[Rule],
    config: Config | None,
    file_comments: Sequence[IgnoreComment] = (),
) -> tuple[tuple[Finding, ...], tuple[Finding, ...]]:
    """(reported, suppressed): comments first (the database's, then `file_comments` from SQL
    files), then the configuration's `exclude` globs.

    Meta rules (FK001) judge the suppressions before the excludes apply (so the excludes can
    cover them too); comments never suppress a meta rule's findings.
    """
    from fkaudit.suppressions import SuppressionOutcome, read_suppressions, split_suppressed

    suppressions = read_suppressions(catalog, file_comments)
    kept, suppressed, used = split_suppressed(findings, suppressions)
    meta_rules = [rule for rule in rules if isinstance(rule, MetaRule)]
    if meta_rules:
        defaults = config or Config()
        outcome = SuppressionOutcome(
            suppressions,
            frozenset(used),
            frozenset(rule.code for rule in rules),
            frozenset(r.code for r in select_rules(defaults.select, defaults.ignore, defaults)),
        )
        for rule in meta_rules:
            kept.extend(rule.judge(outcome))
    if config is not None:
        kept = [f for f in kept if not config.excludes(f.code, f.schema, f.table, f.constraint)]
    kept.sort(key=Finding.sort_key)
    return tuple(kept), tuple(suppressed)
