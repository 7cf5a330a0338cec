"""Answers as terminal text: the sentence, its passage with the sentence marked, the citation."""

from __future__ import annotations

import re
import textwrap

from index.corpus import StoryInfo
from index.types import Answer, Hit

NOT_SAID = "The story doesn't say"
MAY_NOT_SAY = "The story may not say. The nearest it comes"
# A story is scraped text: an escape sequence in it must not drive the user's terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Story text made safe to print: control characters and bidi overrides removed."""
    return _CONTROL.sub("", text)


def one_line(text: str) -> str:
    """A message as one printable line, even when it quotes a file name with a line break in it."""
    return " ".join(printable(text).split())


def render_hit(hit: Hit, bold: bool = False, width: int = 88) -> str:
    """One hit: the key sentence marked inside its passage, then the citation line."""
    before, _, after = hit.passage.text.partition(hit.sentence.text)
    mark = ("\033[1m", "\033[0m") if bold else ("»", "«")
    body = f"{printable(before)}{mark[0]}{printable(hit.sentence.text)}{mark[1]}{printable(after)}"
    wrapped = textwrap.fill(body, width=width, initial_indent="  ", subsequent_indent="  ")
    return f"{wrapped}\n  — {printable(str(hit.citation))}"


def render_answer(answer: Answer, bold: bool = False) -> str:
    if not answer.hits:
        return f"{NOT_SAID}: nothing in it matches that question."
    best = answer.hits[0]
    if answer.answered:
        return f"{printable(best.sentence.text)}\n\n{render_hit(best, bold)}"
    if answer.maybe:  # short of answering, but close: said plainly, with the sentence it would be
        return f"{MAY_NOT_SAY}:\n\n{printable(best.sentence.text)}\n\n{render_hit(best, bold)}"
    return f"{NOT_SAID}. The nearest passage:\n\n{render_hit(best, bold)}"


def render_stories(stories: list[StoryInfo]) -> str:
    return "\n".join(printable(f"{s.id}: {s.title} ({s.passages} passages; {s.credit})") for s in stories)


def render_source(story: StoryInfo) -> str:
    return printable(f"{story.title}\n  source: {story.credit}\n  file: {story.path}\n") + (
        f"  {story.passages} passages, {story.dropped} lines dropped as not the story"
    )
