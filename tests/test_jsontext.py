"""Strict JSON for text from outside: what json.loads takes, less deep nesting and lone
surrogates, each a ValueError."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphsvc.jsontext import MAX_DEPTH, parse_json

TEXT = st.text(st.characters(exclude_categories=["Cs"]))
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=30,
)


@given(VALUES, st.booleans())
def test_parses_what_json_writes(value, ascii_only):
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert parse_json(text) == value
    assert parse_json(text.encode("utf-16")) == value


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_up_to_the_limit():
    assert parse_json(nested(MAX_DEPTH)) == json.loads(nested(MAX_DEPTH))
    assert parse_json(f'{{"a": {nested(MAX_DEPTH - 1)}}}')["a"] == json.loads(nested(MAX_DEPTH - 1))
    for text in (nested(MAX_DEPTH + 1), f'{{"a": {nested(MAX_DEPTH)}}}', nested(100_000)):
        with pytest.raises(ValueError, match=f"nested more than {MAX_DEPTH} deep"):
            parse_json(text)


def test_brackets_inside_strings_are_not_nesting():
    text = json.dumps({"s": "[" * 1000})
    assert parse_json(text) == {"s": "[" * 1000}


@pytest.mark.parametrize(
    "text", ['"\\ud800"', '["\\udfff"]', '{"\\udbff": 1}', '"\\ude00\\ud83d"', b'"\xed\xa0\x80"']
)
def test_lone_surrogates_are_refused(text):
    with pytest.raises(ValueError, match=r"surrogate|can't decode"):
        parse_json(text)


def test_a_surrogate_pair_is_one_character():
    assert parse_json('"\\ud83d\\ude00"') == "\U0001f600"
