"""The small text rules both rooms share (index/text.py)."""

from __future__ import annotations

import pytest

from index.text import one_line, plural, printable, sentence_key


@pytest.mark.parametrize(
    ("count", "word", "expected"),
    [
        (1, "story", "1 story"),
        (2, "story", "2 stories"),
        (0, "passage", "0 passages"),
        (1, "line", "1 line"),
        (3, "day", "3 days"),
        (2, "person", "2 persons"),
        (2, "person", "2 people"),
    ],
)
def test_plural(count: int, word: str, expected: str) -> None:
    many = "people" if expected.endswith("people") else None
    assert plural(count, word, many) == expected


def test_printable_drops_controls_and_bidi_overrides_but_keeps_lines() -> None:
    assert printable("a\x1b[31mb\u202ec\nd\te") == "a[31mbc\nd\te"
    assert one_line("two\nlines\x07") == "two lines"


def test_sentence_key_ignores_case_and_spacing() -> None:
    assert sentence_key("The  deal\nwas SIGNED.") == sentence_key("the deal was signed.")
    assert sentence_key("a b") != sentence_key("ab")
