"""Answers as terminal text: the sentence, its passage with the sentence marked, the citation."""

from __future__ import annotations

import textwrap

from index.corpus import StoryInfo
from index.types import Answer, Hit

NOT_SAID = "The story doesn't say"


def render_hit(hit: Hit, bold: bool = False, width: int = 88) -> str:
    """One hit: the key sentence marked inside its passage, then the citation line."""
    before, _, after = hit.passage.text.partition(hit.sentence.text)
    mark = ("\033[1m", "\033[0m") if bold else ("»", "«")
    body = f"{before}{mark[0]}{hit.sentence.text}{mark[1]}{after}"
    wrapped = textwrap.fill(body, width=width, initial_indent="  ", subsequent_indent="  ")
    return f"{wrapped}\n  — {hit.citation}"


def render_answer(answer: Answer, bold: bool = False) -> str:
    if not answer.hits:
        return f"{NOT_SAID}: nothing in it matches that question."
    best = answer.hits[0]
    if answer.answered:
        return f"{best.sentence.text}\n\n{render_hit(best, bold)}"
    return f"{NOT_SAID}. The nearest passage:\n\n{render_hit(best, bold)}"


def render_stories(stories: list[StoryInfo]) -> str:
    return "\n".join(f"{s.id}: {s.title} ({s.passages} passages; {s.credit})" for s in stories)


def render_source(story: StoryInfo) -> str:
    return (
        f"{story.title}\n  source: {story.credit}\n  file: {story.path}\n"
        f"  {story.passages} passages, {story.dropped} lines dropped as not the story"
    )
