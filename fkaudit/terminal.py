"""What the terminal fkaudit writes to can show: its width, and whether to colour.

Decided here, once per run, from the stream and the environment, and handed to the reporters as
plain values (`RenderOptions.width`, `RenderOptions.color`): reporters never look at the
environment (docs/design.md §5.3). The conventions are those of the tools people run beside
fkaudit (ruff, sqlfluff, git, ls):

- width: `COLUMNS` when set to a positive number, else the size of the terminal the stream is,
  else 80 columns (a pipe, a file, a CI log);
- colour (`--color auto`, the default): never when `NO_COLOR` is set to anything non-empty
  (https://no-color.org); otherwise always when `FORCE_COLOR` is non-empty
  (https://force-color.org); otherwise only on a terminal whose `TERM` is not `dumb`.
  `--color always` and `--color never` decide alone.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import TextIO

DEFAULT_WIDTH = 80  # not a terminal, and no COLUMNS: the width of a classic terminal
COLOR_MODES = ("auto", "always", "never")


def width(stream: TextIO | None) -> int:
    """Columns available on `stream`: `COLUMNS`, else the terminal's width, else 80.

    Read again at each call: a progress line follows a terminal resized while it runs.
    """
    columns = _positive(os.environ.get("COLUMNS", ""))
    if columns:
        return columns
    if stream is not None and _isatty(stream):
        try:
            size = os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError):  # not a real descriptor (a test's stream), or closed
            size = 0
        if size > 0:
            return size
    return DEFAULT_WIDTH


def use_color(mode: str, stream: TextIO | None) -> bool:
    """Whether text for `stream` gets colour escapes, under `--color MODE`."""
    if mode not in COLOR_MODES:
        raise ValueError(
            f"unknown colour mode {mode!r} (expected one of: {', '.join(COLOR_MODES)})"
        )
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    return stream is not None and _isatty(stream)


# Characters a terminal certainly draws one column wide: Latin, Greek and Cyrillic letters,
# spacing modifiers, dashes, quotes and other general punctuation. A text of nothing else (all
# of fkaudit's own words, and most names) is as wide as it is long; any other character sends
# the text to `unicodedata` (East Asian wide and fullwidth forms take two columns, combining
# marks none).
_OTHER_THAN_ONE_COLUMN = re.compile(
    r"[^\x00-\u02ff\u0370-\u0482\u048a-\u052f\u2010-\u2027\u2030-\u205e]"
)


def display_width(text: str) -> int:
    """The columns `text` (printable, one line) takes on a terminal."""
    if text.isascii() or not _OTHER_THAN_ONE_COLUMN.search(text):
        return len(text)
    return sum(char_width(ch) for ch in text)


def char_width(ch: str) -> int:
    """The columns one character takes: 2 for East Asian wide and fullwidth ones, 0 for
    combining marks, else 1 (ambiguous ones too, as Western terminals draw them)."""
    if unicodedata.category(ch) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def fit(text: str, columns: int, mark: str = "...") -> str:
    """`text` cut to `columns` columns, ending in `mark` when cut."""
    if display_width(text) <= columns:
        return text
    room = max(columns - len(mark), 0)
    used = 0
    for end, ch in enumerate(text):
        used += char_width(ch)
        if used > room:
            return text[:end] + mark[:columns]
    return text  # unreachable: the whole text was wider


def can_erase_line() -> bool:
    """Whether the terminal understands `ESC [ K` (erase to the end of the line): all but
    `TERM=dumb` ones, which get the old text overwritten with spaces instead."""
    return os.environ.get("TERM") != "dumb"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        return 0
    return max(value, 0)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream: not a terminal
        return False
