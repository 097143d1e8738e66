"""Plain-text tables for the table format: columns sized once per table, only the last wrapped.

The layout is tabulate's "simple" one (a header, a dashed rule, two spaces between columns, a
column at least as wide as its header plus two, trailing spaces stripped), written directly:
tabulate with `maxcolwidths` measured and wrapped every cell through `textwrap` and took 3.7
times as long as the JSON format. Only the last column (the message) wraps, and only at
spaces, so a name is never split; the other cells are names and codes, shown whole.

Cells are one line of printable text (`fkaudit.escape.printable`), so a character's width is
one column.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

GAP = "  "  # between columns
HEADER_MARGIN = 2  # a column is at least its header plus this
WRAP_AT = 72  # the last column's width at most, unless a single word is longer


def column_widths(
    headers: Sequence[str], rows: Sequence[Sequence[str]], wrap_at: int = WRAP_AT
) -> tuple[list[int], int]:
    """The widths of the columns before the last (their widest cell, at least the header plus
    `HEADER_MARGIN`), and the width the last column is wrapped to.

    The one place widths are decided: fitting a terminal would give the last column what the
    others leave of its width.
    """
    widths = [len(header) + HEADER_MARGIN for header in headers[:-1]]
    for row in rows:
        for i, width in enumerate(widths):
            if len(row[i]) > width:
                widths[i] = len(row[i])
    return widths, wrap_at


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` characters, broken at spaces (runs of them dropped at
    the breaks), a word longer than `width` on a line of its own.

    The lines `textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False)`
    gives for one line of printable text (where a space is the only whitespace), found with
    `str.rfind` instead of a regular expression per word.
    """
    if len(text) <= width:
        return [text]
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
    return lines


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Iterator[str]:
    """The lines of a table (without line breaks): the headers, a dashed rule, then each row,
    its last cell wrapped onto lines of its own under the last column."""
    widths, wrap_at = column_widths(headers, rows)
    wrapped = [wrap(row[-1], wrap_at) for row in rows]
    last = max(
        [len(headers[-1]) + HEADER_MARGIN, *(len(line) for lines in wrapped for line in lines)]
    )
    yield _line(headers, widths)
    yield GAP.join("-" * width for width in (*widths, last))
    indent = " " * sum(width + len(GAP) for width in widths)
    for row, lines in zip(rows, wrapped, strict=True):
        yield _line([*row[:-1], lines[0] if lines else ""], widths)
        for line in lines[1:]:
            yield indent + line


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    """One line of cells, each padded to its column's width but the last."""
    padded = "".join(cell.ljust(width) + GAP for cell, width in zip(cells, widths, strict=False))
    return (padded + cells[-1]).rstrip(" ")
