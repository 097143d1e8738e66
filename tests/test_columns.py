"""The table format's own layout: wrapping at spaces only, columns sized to their cells."""

from __future__ import annotations

import random
import textwrap

from fkaudit.reporters.columns import column_widths, table, wrap


def test_wrap_breaks_where_textwrap_does_without_splitting_words() -> None:
    """Compared with textwrap on random one-line texts: runs of spaces, words longer than
    the width, hyphens (never a break: a quoted name may hold them)."""
    rng = random.Random(13)
    alphabet = "abc-—.|"
    for _ in range(3000):
        words = [
            "".join(rng.choice(alphabet) for _ in range(rng.choice([1, 3, 8, 20, 40])))
            for _ in range(rng.randint(0, 25))
        ]
        text = "".join(word + " " * rng.choice([1, 1, 1, 2, 3]) for word in words).rstrip(" ")
        width = rng.choice([10, 20, 36, 72])
        expected = textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)
        assert wrap(text, width) == (expected or [""]), (text, width)


def test_a_long_name_is_never_split() -> None:
    name = "public." + "x" * 80 + "-with-hyphens"
    lines = wrap(f"no index on {name} (customer_id) serves this foreign key", 72)
    assert lines == ["no index on", name, "(customer_id) serves this foreign key"]


def test_only_the_last_column_wraps() -> None:
    constraint = "c" * 63
    rows = [["warning", "FK101", constraint, "word " * 30], ["info", "FK2", "short", "ok"]]
    lines = list(table(["severity", "rule", "constraint", "message"], rows))
    assert lines[0] == "severity    rule    " + "constraint".ljust(63) + "  message"
    assert lines[1] == "  ".join("-" * n for n in (10, 6, 63, 69))
    assert lines[2] == "warning     FK101   " + constraint + "  " + ("word " * 14).strip()
    assert lines[3] == " " * (10 + 6 + 63 + 6) + ("word " * 14).strip()
    assert lines[5] == "info        FK2     short" + " " * 60 + "ok"
    assert len(lines) == 6 and all(line == line.rstrip() for line in lines)


def test_column_widths_are_the_widest_cell_or_the_header_plus_two() -> None:
    widths, wrap_at = column_widths(["a", "rule", "m"], [["abcdef", "x", "message"]])
    assert widths == [6, 6] and wrap_at == 72


def test_cells_are_shown_as_they_are() -> None:
    """tabulate printed a constraint named 1e5 as 100000, 007 as 7, and stripped spaces."""
    rows = [["warning", "FK101", name, "m"] for name in ("1e5", "007", "  sp")]
    lines = list(table(["severity", "rule", "constraint", "message"], rows))
    assert lines[2:] == [
        "warning     FK101   1e5           m",
        "warning     FK101   007           m",
        "warning     FK101     sp          m",
    ]
