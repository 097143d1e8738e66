"""Text from the database made printable, without a server.

tests/test_hostile_names.py sends the escaped spellings to a server and checks they mean the
same; these pin the spellings themselves and the cases it does not reach: JSON documents, an
E'' string that already holds escapes, and characters beyond the Basic Multilingual Plane.
"""

from __future__ import annotations

import json

import pytest

from fkaudit.escape import printable, printable_json, printable_sql

TAG = "\U000e0001"  # LANGUAGE TAG: a format character beyond the BMP, not printable


def test_printable_text_is_returned_as_it_is() -> None:
    text = "orders_customer_id_fkey on shop.Größe 😀"
    assert printable(text) is text


def test_printable_escapes_beyond_the_bmp_with_eight_digits() -> None:
    assert printable(f"a{TAG}b") == "a\\U000e0001b"
    assert printable("\x00\x9b") == "\\x00\\x9b"  # NUL and a C1 control (CSI)


def test_json_documents_stay_the_same_value_on_printable_lines() -> None:
    value = {"constraint": "fk\u2028x\x85y", "table": "t\u202eab", "n": [1, 2]}
    encoded = json.dumps(value, ensure_ascii=False, indent=2)
    assert not all(line.isprintable() for line in encoded.split("\n"))  # the encoder leaves them
    escaped = printable_json(encoded)
    assert all(line.isprintable() for line in escaped.split("\n"))
    assert json.loads(escaped) == value
    assert escaped.count("\n") == encoded.count("\n")  # indentation lines are kept
    plain = json.dumps({"a": "b"}, indent=2)
    assert printable_json(plain) == plain


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        pytest.param(
            'ALTER TABLE "a\nb" RENAME TO "c";',
            'ALTER TABLE U&"a\\000Ab" RENAME TO "c";',
            id="identifier",
        ),
        pytest.param(
            f'SELECT "q""\\{TAG}\u2028";',
            'SELECT U&"q""\\\\\\+0E0001\\2028";',
            id="identifier with a quote, a backslash and characters beyond the BMP",
        ),
        pytest.param(
            "COMMENT ON TABLE t IS 'x\ny''s';",
            "COMMENT ON TABLE t IS  E'x\\x0Ay''s';",
            id="string",
        ),
        pytest.param(
            "COMMENT ON TABLE t IS E'x\\\\y\\n''\x85';",
            "COMMENT ON TABLE t IS  E'x\\\\y\\x0A''\\u0085';",
            id="escape string already holding escapes",
        ),
        pytest.param(
            "SELECT 'a\tb', \"plain\", 'ok';",
            "SELECT  E'a\\x09b', \"plain\", 'ok';",
            id="only the tokens holding such a character change",
        ),
    ],
)
def test_printable_sql_respells_only_quoted_tokens_that_need_it(
    statement: str, expected: str
) -> None:
    assert printable_sql(statement) == expected
    assert expected.isprintable()


def test_printable_sql_leaves_printable_statements_alone() -> None:
    statement = 'ALTER TABLE "Order Items" RENAME CONSTRAINT "a""b" TO \'x\';'
    assert printable_sql(statement) is statement


@pytest.mark.parametrize(
    "statement",
    ["SELECT 1;\nSELECT 2;", "SELECT 1; -- \u2028 comment", 'SELECT "unterminated\n'],
)
def test_printable_sql_refuses_raw_text_outside_quoted_tokens(statement: str) -> None:
    with pytest.raises(ValueError, match="refusing to print a statement with raw control"):
        printable_sql(statement)
