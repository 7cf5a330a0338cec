"""Answers as terminal text: the sentence, its passage with the sentence marked, the citation."""

from __future__ import annotations

import textwrap

from index.corpus import StoryInfo
from index.text import MAY_NOT_SAY, NOT_SAID, one_line, plural, printable
from index.types import Answer, Hit


def render_hit(hit: Hit, bold: bool = False, width: int = 88) -> str:
    """One hit: the key sentence marked inside its passage, then the citation line."""
    before, _, after = hit.passage.text.partition(hit.sentence.text)
    mark = ("\033[1m", "\033[0m") if bold else ("»", "«")
    body = f"{printable(before)}{mark[0]}{printable(hit.sentence.text)}{mark[1]}{printable(after)}"
    wrapped = textwrap.fill(body, width=width, initial_indent="  ", subsequent_indent="  ")
    return f"{wrapped}\n  — {printable(str(hit.citation))}"


def render_answer(answer: Answer, bold: bool = False) -> str:
    if not answer.hits:
        return f"{NOT_SAID} Nothing in it matches that question."
    best = answer.hits[0]
    if answer.answered:
        return f"{printable(best.sentence.text)}\n\n{render_hit(best, bold)}"
    if answer.maybe:  # short of answering, but close: said plainly, with the sentence it would be
        return f"{MAY_NOT_SAY}\n\n{printable(best.sentence.text)}\n\n{render_hit(best, bold)}"
    return f"{NOT_SAID} The nearest passage:\n\n{render_hit(best, bold)}"


def render_understood(understood: str) -> str:
    """The quiet line saying how a follow-up was understood."""
    return printable(f"↳ {one_line(understood)}")


def render_stories(stories: list[StoryInfo]) -> str:
    lines = []
    for s in stories:
        date = s.meta.published or s.meta.updated
        lines.append(
            printable(f"{s.id}: {s.title} ({plural(s.passages, 'passage')}; {s.credit}{', ' + date if date else ''})")
        )
    return "\n".join(lines)


def render_source(story: StoryInfo) -> str:
    details = "".join(f"  {name}: {one_line(value)}\n" for name, value in story.details())
    return printable(f"{story.title}\n  source: {story.credit}\n{details}  file: {story.path}\n") + (
        f"  {plural(story.passages, 'passage')}, {plural(story.dropped, 'line')} dropped as not the story"
    )
