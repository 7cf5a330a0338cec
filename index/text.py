"""Small text rules the whole project shares: one home each, so the terminal, Telegram and the answerer agree."""

from __future__ import annotations

import re

NOT_SAID = "The story doesn't say."
# short of answering, but close: said plainly, before the sentence it would be
MAY_NOT_SAY = "The story may not say. The nearest it comes:"

# C0/C1 controls except tab and newline, and the bidi overrides/isolates that can disguise a citation:
# a story is scraped text, and an escape sequence in it must not drive a terminal or fake a source.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text safe to show: control characters and bidi overrides removed."""
    return _CONTROL.sub("", text)


def one_line(text: str) -> str:
    """A message as one printable line, even when it quotes a file name with a line break in it."""
    return " ".join(printable(text).split())


def sentence_key(text: str) -> str:
    """What makes two sentences the same for an answer list or a "More" page: case and spacing aside."""
    return " ".join(text.split()).casefold()


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 story", "2 stories": the count with the word in the right number."""
    if count == 1:
        return f"{count} {word}"
    if many is None:
        many = word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"
    return f"{count} {many}"
