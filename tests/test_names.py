"""Name arithmetic without a server: fkaudit must name constraints and indexes as PostgreSQL does.

FK201 tells an auto-generated name from a chosen one by computing the name PostgreSQL would
have given, and `fix` creates indexes under names of the same pattern. The expected names below
are the ones PostgreSQL 18 gave the same tables, columns and indexes (checked against a server
when they were written; tests/cases/naming.sql checks the rules against a live one).
"""

from __future__ import annotations

import pytest

from fkaudit.catalog.model import Catalog, Table
from fkaudit.rules.index_names import index_name
from fkaudit.rules.names import NAMEDATALEN, clip_utf8, make_object_name, unique_name


def _bytes(name: str) -> int:
    return len(name.encode())


def test_clip_never_splits_a_character() -> None:
    assert clip_utf8("abc", 2) == "ab"
    assert clip_utf8("aé", 2) == "a"  # é is two bytes: both or none
    assert clip_utf8("aé", 3) == "aé"
    assert clip_utf8("€€", 5) == "€"  # three bytes each
    assert clip_utf8("😀x", 3) == ""
    assert clip_utf8("short", 63) == "short"


@pytest.mark.parametrize(
    ("name1", "name2", "label", "expected"),
    [
        pytest.param("orders", "customer_id", "fkey", "orders_customer_id_fkey", id="fits"),
        pytest.param("orders", None, "pkey", "orders_pkey", id="no second name"),
        pytest.param("a" * 63, "p", "fkey", "a" * 56 + "_p_fkey", id="long table"),
        pytest.param(
            "a" * 63, "p_customer_id", "idx", "a" * 45 + "_p_customer_id_idx", id="long table idx"
        ),
        pytest.param("t", "x" * 70, "idx", "t_" + "x" * 57 + "_idx", id="long column"),
        pytest.param(
            "abcdefghij" * 4,
            "p_" + "klmnopqrst" * 4,
            "idx",
            "abcdefghijabcdefghijabcdefghi_p_klmnopqrstklmnopqrstklmnopq_idx",
            id="both long: the longer loses a byte at a time",
        ),
        pytest.param("ü" * 40, "p", "fkey", "ü" * 28 + "_p_fkey", id="two-byte characters"),
        pytest.param("ü" * 40, None, "pkey", "ü" * 29 + "_pkey", id="two-byte, no second name"),
        pytest.param(
            "€" * 21,
            "p_" + "ß" * 30,
            "idx",
            "€" * 9 + "_p_" + "ß" * 13 + "_idx",
            id="three- and two-byte characters clipped on their boundaries",
        ),
    ],
)
def test_make_object_name_is_postgresqls(
    name1: str, name2: str | None, label: str, expected: str
) -> None:
    name = make_object_name(name1, name2, label)
    assert name == expected
    assert _bytes(name) <= NAMEDATALEN - 1
    assert name.endswith("_" + label)  # the label is never shortened


def test_unique_name_appends_a_number_within_63_bytes() -> None:
    assert unique_name("fk_orders", set()) == "fk_orders"
    assert unique_name("fk_orders", {"fk_orders"}) == "fk_orders_2"
    assert unique_name("fk_orders", {"fk_orders", "fk_orders_2"}) == "fk_orders_3"
    long = "ü" * 40  # 80 bytes
    assert unique_name(long, set()) == "ü" * 31  # clipped to 62 bytes: 63 would split a ü
    taken = {"ü" * 31}
    second = unique_name(long, taken)
    assert second == "ü" * 30 + "_2" and _bytes(second) <= NAMEDATALEN - 1


def _table(oid: int, name: str, schema: str = "public") -> Table:
    return Table(oid, schema, name, "r", None, 0, 0, ())


def _catalog(*tables: Table, others: frozenset[tuple[str, str]] = frozenset()) -> Catalog:
    return Catalog(
        server_version_num=180000,
        database="db",
        tables={t.oid: t for t in tables},
        indexes=(),
        foreign_keys=(),
        search_operators=frozenset(),
        other_relation_names=others,
    )


def test_index_names_follow_postgresql_and_avoid_every_relation() -> None:
    orders, items = _table(1, "orders"), _table(2, "items", schema="shop")
    catalog = _catalog(orders, items, others=frozenset({("public", "orders_customer_id_idx")}))
    # Taken by a view (or any relation): CREATE INDEX IF NOT EXISTS would silently skip.
    assert index_name(catalog, orders, ["customer_id"]) == "orders_customer_id_idx1"
    assert index_name(catalog, orders, ["a", "b"]) == "orders_a_b_idx"
    # The same request gets the same name back (FK101 and FK102 may both ask) ...
    assert index_name(catalog, orders, ["customer_id"]) == "orders_customer_id_idx1"
    # ... and names handed out are taken for every other request.
    other = _table(3, "orders_customer")
    catalog2 = _catalog(orders, other)
    assert index_name(catalog2, orders, ["customer_id"]) == "orders_customer_id_idx"
    assert index_name(catalog2, other, ["id"]) == "orders_customer_id_idx1"
    # Names are per schema.
    assert index_name(catalog, items, ["customer_id"]) == "items_customer_id_idx"


def test_index_names_of_long_tables_fit_63_bytes() -> None:
    table = _table(1, "ü" * 31)
    catalog = _catalog(
        table, others=frozenset({("public", make_object_name(table.name, "x", "idx"))})
    )
    name = index_name(catalog, table, ["x"])
    assert name == make_object_name(table.name, "x", "idx1")
    assert _bytes(name) <= NAMEDATALEN - 1 and name.endswith("_x_idx1")
