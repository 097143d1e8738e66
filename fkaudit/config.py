"""Configuration: `[tool.fkaudit]` in pyproject.toml, or the top level of fkaudit.toml.

The choices a team agrees on once (which rules run, which schemas count, what fails CI, which
objects are accepted exceptions) belong in the repository next to the migrations rather than in
every CI invocation. The file is validated strictly: a misspelt key that was silently ignored
would let a CI gate pass that should fail, so every unknown key, rule or option and every wrong
type is a `ConfigError` naming the file and the dotted key, with a suggestion when one is close.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, NoReturn

from fkaudit.errors import FkauditError
from fkaudit.findings import Severity
from fkaudit.rules import Rule, all_rules
from fkaudit.selectors import closest, find, is_known, suggest

# Checked in this order in each directory, from the start directory up to the root.
CONFIG_FILES = ("fkaudit.toml", ".fkaudit.toml", "pyproject.toml")
_TOP_KEYS = ("select", "ignore", "fail-on", "schemas", "exclude-schemas", "exclude", "rules")
_RULE_KEYS = ("severity", "enabled", "exclude")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
# bool before int: `true` is an int to Python but never an integer to a TOML author.
_TOML_TYPES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "float"),
    (str, "string"),
    (list, "array"),
    (dict, "table"),
)


class ConfigError(FkauditError):
    """A configuration file that cannot be used; the one-line message names the file and key."""


@dataclass(frozen=True)
class RuleConfig:
    """One rule's section; `None` and absent options mean "the rule's own default"."""

    severity: Severity | None = None
    enabled: bool | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """The validated settings of one file; empty values mean "not configured", not "nothing"."""

    path: Path | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    fail_on: Severity | None = None
    schemas: tuple[str, ...] = ()
    exclude_schemas: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    rules: Mapping[str, RuleConfig] = field(default_factory=dict)

    def rule(self, code: str) -> RuleConfig:
        """The section of rule `code`, or an all-defaults one, so callers need no None checks."""
        return self.rules.get(code, RuleConfig())

    def excludes(self, code: str, schema: str, table: str, constraint: str | None) -> bool:
        """Whether a finding of `code` on this object is an accepted exception.

        A pattern naming a table (`public.audit_*`) also covers its constraints, so a team can
        exclude a table wholesale or one constraint (`public.orders.orders_legacy_fkey`).
        """
        objects = [f"{schema}.{table}"]
        if constraint:
            objects.append(f"{schema}.{table}.{constraint}")
        patterns = (*self.exclude, *self.rule(code).exclude)
        return any(fnmatchcase(obj, pattern) for pattern in patterns for obj in objects)


def find_config_file(start: Path | None = None) -> Path | None:
    """The nearest config file from `start` (default: cwd) upward, as tools like ruff do.

    A pyproject.toml counts only when it has a `[tool.fkaudit]` table: most projects have one
    for other tools, and it must not hide an fkaudit.toml further up.
    """
    directory = (start or Path.cwd()).resolve()
    for folder in (directory, *directory.parents):
        for name in CONFIG_FILES:
            candidate = folder / name
            if candidate.is_file() and (
                name != "pyproject.toml" or _section(candidate, _read(candidate)) is not None
            ):
                return candidate
    return None


def load_config(
    path: Path | None = None,
    *,
    start: Path | None = None,
    rules: Sequence[type[Rule]] | None = None,
) -> Config:
    """Read and validate `path`, or the discovered file; no file at all is the empty config."""
    if path is None:
        path = find_config_file(start)
        if path is None:
            return Config()
    path = Path(path)
    section = _section(path, _read(path))
    if section is None:
        return Config(path=path.resolve())
    prefix = ("tool", "fkaudit") if path.name == "pyproject.toml" else ()
    known = tuple(all_rules() if rules is None else rules)
    return _Reader(_shown(path), prefix, known).parse(path.resolve(), section)


def _shown(path: Path) -> str:
    """The path as the user knows it: relative when under the cwd, else absolute."""
    absolute = path.resolve()
    try:
        return str(absolute.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(absolute)


def _read(path: Path) -> dict[str, Any]:
    # Imported once a file is found: most runs of `fkaudit rules` and `--help` have none.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # the same parser, published as `tomli` for Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found]

    try:
        with path.open("rb") as file:
            data: dict[str, Any] = tomllib.load(file)
    except FileNotFoundError:
        raise ConfigError(f"{_shown(path)}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{_shown(path)}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{_shown(path)}: cannot read: {exc.strerror}") from None
    return data


def _section(path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    """The fkaudit table of a file: `[tool.fkaudit]` of pyproject.toml, else the whole file."""
    if path.name != "pyproject.toml":
        return data
    tool = data.get("tool")
    section = tool.get("fkaudit") if isinstance(tool, dict) else None
    if section is not None and not isinstance(section, dict):
        raise ConfigError(
            f"{_shown(path)}: tool.fkaudit: expected a table, got {_describe(section)}"
        )
    return section


def _dotted(parts: Iterable[str]) -> str:
    """A dotted key as TOML spells it, quoting odd parts so the message stays on one line."""
    import json  # messages only: not loaded by a run whose configuration is fine

    return ".".join(p if _BARE_KEY.match(p) else json.dumps(p) for p in parts)


def _type_name(value: object) -> str:
    """The TOML name of a value's type, the vocabulary of the file being fixed."""
    for kind, name in _TOML_TYPES:
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _describe(value: object) -> str:
    import json

    if isinstance(value, str):
        return repr(value)
    text = json.dumps(value) if isinstance(value, (bool, int, float)) else repr(value)
    return f"{_type_name(value)} {text if len(text) <= 60 else text[:57] + '...'}"


def _expected(default: object) -> str:
    if isinstance(default, list):
        return f"an array of {_type_name(default[0])}s" if default else "an array"
    name = _type_name(default)
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _fits(value: object, default: object) -> bool:
    """Same TOML type as the default: an integer option takes neither `true` nor `"10"`."""
    if isinstance(default, list):
        return isinstance(value, list) and (not default or all(_fits(v, default[0]) for v in value))
    if type(default) is float and type(value) is int:
        return True
    return type(value) is type(default)


@dataclass(frozen=True)
class _Reader:
    shown: str
    prefix: tuple[str, ...]
    rules: tuple[type[Rule], ...]

    def fail(self, key: Sequence[str], problem: str) -> NoReturn:
        raise ConfigError(f"{self.shown}: {_dotted([*self.prefix, *key])}: {problem}")

    def parse(self, path: Path, section: dict[str, Any]) -> Config:
        for key in section:
            if key not in _TOP_KEYS:
                match = closest(key, _TOP_KEYS)
                hint = f" (did you mean {match!r}?)" if match else ""
                dotted = _dotted([*self.prefix, key])
                raise ConfigError(f"{self.shown}: unknown key '{dotted}'{hint}")
        fail_on = section.get("fail-on")
        return Config(
            path=path,
            select=self.selectors(section.get("select", []), "select"),
            ignore=self.selectors(section.get("ignore", []), "ignore"),
            fail_on=None if fail_on is None else self.severity(fail_on, ["fail-on"]),
            schemas=self.strings(section.get("schemas", []), ["schemas"]),
            exclude_schemas=self.strings(section.get("exclude-schemas", []), ["exclude-schemas"]),
            exclude=self.strings(section.get("exclude", []), ["exclude"]),
            rules=self.rule_sections(section.get("rules", {})),
        )

    def strings(self, value: object, key: Sequence[str]) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, f"expected an array of strings, got {_describe(value)}")
        return tuple(value)

    def selectors(self, value: object, key: str) -> tuple[str, ...]:
        """Codes, code prefixes (`FK1`) or names, checked now so a typo is not a no-op."""
        selectors = self.strings(value, [key])
        for selector in selectors:
            # An empty string would pick every rule: in a file it is a mistake, never a choice.
            if not selector.strip() or not is_known(selector, self.rules):
                match = suggest(selector, self.rules)
                hint = f" (did you mean {match!r}?)" if match else ""
                self.fail([key], f"unknown rule {selector!r}{hint}")
        return selectors

    def severity(self, value: object, key: Sequence[str]) -> Severity:
        if isinstance(value, str) and value.strip().lower() in {s.label for s in Severity}:
            return Severity.parse(value)
        names = ", ".join(s.label for s in sorted(Severity, reverse=True))
        self.fail(key, f"expected one of {names}, got {_describe(value)}")

    def rule_sections(self, value: object) -> dict[str, RuleConfig]:
        if not isinstance(value, dict):
            self.fail(["rules"], f"expected a table, got {_describe(value)}")
        sections: dict[str, RuleConfig] = {}
        for key, body in value.items():
            rule = find(key, self.rules)
            if rule is None:
                match = suggest(key, self.rules)
                hint = f" (did you mean {match!r}?)" if match else ""
                self.fail(["rules", key], f"unknown rule{hint}")
            if rule.code in sections:
                self.fail(["rules", key], f"{rule.code} is configured twice (by code and name)")
            sections[rule.code] = self.rule_section(rule, key, body)
        return sections

    def rule_section(self, rule: type[Rule], key: str, body: object) -> RuleConfig:
        if not isinstance(body, dict):
            self.fail(["rules", key], f"expected a table, got {_describe(body)}")
        severity: Severity | None = None
        enabled: bool | None = None
        exclude: tuple[str, ...] = ()
        options: dict[str, Any] = {}
        for name, value in body.items():
            where = ["rules", key, name]
            if name == "severity":
                severity = self.severity(value, where)
            elif name == "enabled":
                if not isinstance(value, bool):
                    self.fail(where, f"expected a boolean, got {_describe(value)}")
                enabled = value
            elif name == "exclude":
                exclude = self.strings(value, where)
            elif name in rule.option_defaults:
                default = rule.option_defaults[name]
                if not _fits(value, default):
                    self.fail(where, f"expected {_expected(default)}, got {_describe(value)}")
                options[name] = value
            else:
                match = closest(name, [*_RULE_KEYS, *rule.option_defaults])
                notes = [f"did you mean {match!r}?"] if match else []
                listed = ", ".join(rule.option_defaults)
                notes.append(
                    f"{rule.code} options: {listed}" if listed else f"{rule.code} has no options"
                )
                self.fail(where, f"unknown option ({'; '.join(notes)})")
        if options or enabled:
            # The rule checks its own option values (a convention's placeholders, a negative
            # count) when it is built; report that here, with the file and the key.
            try:
                rule(severity, options)
            except FkauditError as exc:
                self.fail(["rules", key], str(exc))
        return RuleConfig(severity=severity, enabled=enabled, options=options, exclude=exclude)
