"""Plain-text rows for the table format, fitted to the width of the terminal.

Each finding is a row: severity, rule code, the object's name, then the message wrapped at
spaces under a column of its own. The name column is sized to the widest name of the block
(a referencing table's findings, or the suppressed ones) when that leaves the message at least
`MIN_MESSAGE` columns; otherwise every name of the block goes on the row's line by itself and
the message starts under it, so a long name narrows nothing and is never cut. Messages wrap at
`MAX_MESSAGE` columns at most, however wide the terminal: prose wider than that is hard to
read. There is no column header: the severities and codes say what they are, as in ruff and
sqlfluff output.

Text is wrapped at spaces only, and the spaces inside the names a finding is about (its table,
its constraint, its columns) are not breaks, so an identifier is never split across lines. A
word longer than the width stays whole on a line of its own, wider than the terminal: cutting it
would misquote a name.

Cells are one line of printable text (`fkaudit.escape.printable`). Widths are columns on the
terminal (`fkaudit.terminal.display_width`: a CJK character takes two), measured before colour
is applied (`style.Style`); text of one-column characters only, nearly all of it, is measured
by its length.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from fkaudit.terminal import display_width

GAP = "  "  # between cells
INDENT = "  "  # before each row, under the block's heading
MIN_WIDTH = 40  # narrower terminals get 40-column lines (overflowing, but still in columns)
MIN_MESSAGE = 50  # a name column may not leave the message less than this
MAX_MESSAGE = 100  # the message wraps here at most, whatever the width
_NO_BREAK = "\x00"  # stands for a space inside a kept name while wrapping (never printable)


@dataclass(frozen=True)
class Layout:
    """Where a block's cells go: `lead` columns of severity and code (indent and gaps
    included), then names padded to `name_width` (0: each name on the row's line alone), then
    the message from column `message_at`, wrapped to `message_width`."""

    lead: int
    name_width: int
    message_at: int
    message_width: int


def layout(lead: int, names: Iterable[str], width: int) -> Layout:
    """The layout of a block whose rows start with `lead` columns and name `names`."""
    width = max(width, MIN_WIDTH)
    widest = max(map(display_width, names), default=0)
    if widest and lead + widest + len(GAP) + MIN_MESSAGE > width:
        widest = 0  # stacked: names alone on the row's line, messages under them
    message_at = lead + widest + len(GAP) if widest else lead
    message_width = min(max(width - message_at, MIN_MESSAGE // 2), MAX_MESSAGE)
    return Layout(lead, widest, message_at, message_width)


def row(lead: str, name: str, message: Sequence[str], where: Layout) -> Iterator[str]:
    """The lines of one row: `lead` (already padded to `where.lead` columns, maybe coloured),
    the name, and the message's wrapped lines."""
    hanging = " " * where.message_at
    if where.name_width:
        padding = " " * (where.name_width - display_width(name))
        yield (lead + name + padding + GAP + message[0]).rstrip(" ")
        rest = message[1:]
    elif name:
        yield lead + name
        rest = message
    else:
        yield (lead + message[0]).rstrip(" ")
        rest = message[1:]
    for line in rest:
        yield hanging + line


def keep_whole(text: str, names: Iterable[str]) -> str:
    """`text` with the spaces inside each occurrence of `names` made unbreakable for `wrap`
    (undone by `wrap` itself); names without a space cost nothing."""
    for name in names:
        if " " in name and name in text:
            text = text.replace(name, name.replace(" ", _NO_BREAK))
    return text


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, broken at spaces (runs of them dropped at
    the breaks), a word longer than `width` on a line of its own.

    The lines `textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)`
    gives for one line of printable text (where a space is the only whitespace), found with
    `str.rfind` instead of a regular expression per word. Spaces `keep_whole` protected are
    not breaks, and come back as spaces.
    """
    if len(text) <= width and display_width(text) <= width:
        return [text.replace(_NO_BREAK, " ") if _NO_BREAK in text else text]
    if display_width(text) != len(text):
        return _wrap_by_columns(text, width)
    lines = []
    start, end = 0, len(text)
    while end - start > width:
        stop = start + width
        if text[stop] == " ":
            cut = stop
        else:
            cut = text.rfind(" ", start, stop)
            if cut <= start:  # no break within the width: the word runs on to the next space
                cut = text.find(" ", stop)
                if cut < 0:
                    break
        line = text[start:cut].rstrip(" ")
        if line:
            lines.append(line)
        start = cut + 1
        while start < end and text[start] == " ":
            start += 1
    last = text[start:].rstrip(" ")
    if last:
        lines.append(last)
    if _NO_BREAK in text:
        lines = [line.replace(_NO_BREAK, " ") for line in lines]
    return lines


def _wrap_by_columns(text: str, width: int) -> list[str]:
    """`wrap` for text holding characters wider or narrower than one column: the same breaks,
    measured in terminal columns, a word at a time."""
    lines: list[str] = []
    current, used = "", 0
    for word in text.split(" "):
        if not word:
            continue
        size = display_width(word)
        if current and used + 1 + size <= width:
            current, used = f"{current} {word}", used + 1 + size
            continue
        if current:
            lines.append(current)
        current, used = word, size
    if current:
        lines.append(current)
    return [line.replace(_NO_BREAK, " ") for line in lines]


def hanging(text: str, width: int, indent: str) -> list[str]:
    """`text` wrapped to `width`, its lines after the first indented by `indent` (a summary,
    an error): one sentence that still reads as one."""
    first, *rest = wrap(text, max(width, MIN_WIDTH) - len(indent))
    return [first, *(indent + line for line in rest)]
