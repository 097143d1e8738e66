"""PostgreSQL's identifier arithmetic: 63-byte names, clipped on character boundaries."""

from __future__ import annotations

from fkaudit.catalog.model import Catalog

NAMEDATALEN = 64  # identifiers hold at most NAMEDATALEN - 1 = 63 bytes


def clip_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` within `max_bytes` UTF-8 bytes (pg_mbcliplen)."""
    if len(text) <= max_bytes and text.isascii():
        return text
    return text.encode()[:max_bytes].decode(errors="ignore")


def make_object_name(name1: str, name2: str | None, label: str | None) -> str:
    """PostgreSQL's makeObjectName: `name1_name2_label` shortened to fit 63 bytes.

    The label is kept whole; of the two names the longer one loses a byte at a time until
    both fit, and each is then clipped back to a character boundary.
    """
    bytes1 = len(name1) if name1.isascii() else len(name1.encode())
    bytes2 = 0 if name2 is None else len(name2) if name2.isascii() else len(name2.encode())
    overhead = (1 if name2 is not None else 0) + (len(label.encode()) + 1 if label else 0)
    available = NAMEDATALEN - 1 - overhead
    if bytes1 + bytes2 <= available:  # the usual case: nothing to clip
        if name2 is None:
            return f"{name1}_{label}" if label else name1
        return f"{name1}_{name2}_{label}" if label else f"{name1}_{name2}"
    while bytes1 + bytes2 > available:
        if bytes1 > bytes2:
            bytes1 -= 1
        else:
            bytes2 -= 1
    parts = [clip_utf8(name1, bytes1)]
    if name2 is not None:
        parts.append(clip_utf8(name2, bytes2))
    if label:
        parts.append(label)
    return "_".join(parts)


def unique_name(base: str, taken: set[str]) -> str:
    """`base` clipped to 63 bytes, or with `_2`, `_3` … appended (still within 63) if taken."""
    candidate, n = clip_utf8(base, NAMEDATALEN - 1), 1
    while candidate in taken:
        n += 1
        suffix = f"_{n}"
        candidate = clip_utf8(base, NAMEDATALEN - 1 - len(suffix)) + suffix
    return candidate


def constraint_names_by_schema(catalog: Catalog) -> dict[str, set[str]]:
    """Names a renamed foreign key must avoid, per schema: foreign keys and indexes.

    Index names include those of primary key and unique constraints (they share the name).
    """
    taken: dict[str, set[str]] = {}
    for fk in catalog.foreign_keys:
        taken.setdefault(fk.schema, set()).add(fk.name)
    for index in catalog.indexes:
        taken.setdefault(catalog.table(index.table_oid).schema, set()).add(index.name)
    return taken
