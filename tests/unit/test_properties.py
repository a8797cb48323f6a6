"""The properties reader: keys and values split as java.util.Properties#load splits them."""

from __future__ import annotations

import random

import pytest

from chartgen.formats.properties import Entry, _parse, _parse_plain, parse_properties


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=b", [("a", "b")]),
        ("  a : b ", [("a", "b ")]),
        ("a b c", [("a", "b c")]),
        ("=x", [("", "x")]),
        (":", [("", "")]),
        ("k", [("k", "")]),
        ("k = = v", [("k", "= v")]),
        ("  \n#c\n !c\n\t", []),
        ("a\\=b=c", [("a\\=b", "c")]),
        ("k=one\\\n   two", [("k", "onetwo")]),
        ("k=odd\\\\\nk2=v", [("k", "odd\\\\"), ("k2", "v")]),
    ],
)
def test_keys_and_values_split_as_java_does(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(e.key, e.value) for e in parse_properties(text)] == expected


def test_continued_entries_keep_their_first_and_last_line() -> None:
    assert parse_properties("a=1\nk=x\\\n  y\\\n  z\nb=2") == [
        Entry("a", "1", 1, 1), Entry("k", "xyz", 2, 4), Entry("b", "2", 5, 5),
    ]  # fmt: skip


def test_the_fast_reader_agrees_with_the_general_one() -> None:
    rnd = random.Random(8)
    for _ in range(20_000):
        text = "".join(rnd.choice("ab =:#!\t\f\n") for _ in range(rnd.randint(0, 14)))
        lines = text.splitlines()
        assert _parse_plain(lines) == _parse(lines), repr(text)
