"""Rule selectors: how a person names rules, read the same way wherever they are written.

A selector is a rule code (`FK101`), a code prefix (`FK1`: every rule whose code starts so) or
a rule name (`unindexed-foreign-key`); codes are compared in upper case, names in lower case.
`--select` and `--ignore`, the configuration's `select`, `ignore` and `[rules.<rule>]` keys,
`fkaudit:ignore` comments and `fkaudit explain` all go through this module, so each accepts the
same spellings and suggests the same correction ("did you mean ...?") for a typo.

This module knows rules only by their code and name, so it imports no rule and every layer
(configuration, suppressions, the rule registry, the engine, the CLI) can use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar

# The shape of a selector inside a schema comment, checked before any rule is looked up: a
# token of another shape (`FK1O1`, `unindexed_foreign_key`, `=FK101`) makes the directive void
# instead of being dropped, which would widen it into "ignore every rule".
_COMMENT_TOKEN = re.compile(r"^(FK\d{1,3}|[a-z]+(?:-[a-z]+)+)$", re.I)


class NamedRule(Protocol):
    """What selection needs of a rule (class or instance): its code and its name."""

    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


R = TypeVar("R", bound=NamedRule)


def split(values: Iterable[str]) -> list[str]:
    """Selectors from repeated options and comma-separated lists (`--select FK1,FK3`)."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def matches(selector: str, code: str, name: str) -> bool:
    """Whether `selector` picks the rule `code`/`name`: a prefix of its code, or its name."""
    token = selector.strip()
    return code.startswith(token.upper()) or name == token.lower()


def names_exactly(selector: str, code: str, name: str) -> bool:
    """Whether `selector` is this rule's code or name, not a prefix: opt-in rules run only so."""
    token = selector.strip()
    return token.upper() == code or token.lower() == name


def is_known(selector: str, rules: Iterable[NamedRule]) -> bool:
    """Whether `selector` picks at least one of `rules` (a typo picks none)."""
    return any(matches(selector, rule.code, rule.name) for rule in rules)


def find(key: str, rules: Iterable[R]) -> R | None:
    """The rule whose code or name `key` is (`FK101`, `fk101`, `unindexed-foreign-key`)."""
    return next((rule for rule in rules if names_exactly(key, rule.code, rule.name)), None)


def well_formed_in_comment(token: str) -> bool:
    """Whether a token of an `fkaudit:ignore` comment has the shape of a selector."""
    return _COMMENT_TOKEN.match(token) is not None


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like `word`, ignoring case, spelt as the candidate is; else None.

    The one "did you mean" of fkaudit: for rules here, and for configuration keys and options.
    """
    import difflib  # only a misspelling needs it

    folded = {candidate.lower(): candidate for candidate in candidates}
    close = difflib.get_close_matches(word.lower(), folded, n=1)
    return folded[close[0]] if close else None


def suggest(word: str, rules: Iterable[NamedRule]) -> str | None:
    """The code or name of `rules` closest to a selector that picked none of them."""
    spellings = [spelling for rule in rules for spelling in (rule.code, rule.name)]
    return closest(word.strip(), spellings)


def unknown_rule(selector: str, rules: Sequence[NamedRule]) -> str:
    """The message for a selector that picks no rule: the closest spelling, then every code."""
    close = suggest(selector, rules)
    hint = f"did you mean {close!r}? " if close else ""
    known = ", ".join(rule.code for rule in rules)
    return f"unknown rule {selector!r} ({hint}known rules: {known})"
