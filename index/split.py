"""Body paragraphs to sentences (cut from the original text by offset) and passages."""

from __future__ import annotations

import re

from index.segment import sentence_starts
from index.types import Paragraph, Passage, Sentence, Story, passage_id

PASSAGE_SENTENCES = 3

# syntok ends a sentence after titles and state abbreviations it does not know ("Gov. Phil Scott",
# "MONTPELIER, Vt. (AP)"). A title never ends a sentence; anything continues one when the next
# piece starts in lower case or with a dash, or is "(AP)" after an abbreviation.
_TITLES = (
    "Gov Govs Rep Reps Sen Sens Lt Col Gen Maj Sgt Capt Cmdr Adm Cpl Pvt Pres Prof Rev Hon Supt Insp "
    "Det Atty Amb Gens Msgr Fr Mt Ft No Nos Vol Fig Art Sec"
).split()
_TITLE_END = re.compile(rf"\b(?:{'|'.join(_TITLES)})\.$")
# a title, its full stop and the character before it, which decides the \b: all a match can look at
_TITLE_TAIL = max(map(len, _TITLES)) + 2
_CONTINUES = re.compile(r"[a-z–—-]")  # matched at the next sentence's start
_ABBREVIATION_END = re.compile(r"\b[A-Z][a-z]{0,4}\.$")


def sentences(paragraph: Paragraph) -> list[Sentence]:
    """The paragraph's sentences, verbatim, with offsets into the story's text.

    syntok's tokens do not rejoin into the original ("didn't" comes back changed), so only its
    offsets are used: a sentence runs from its first token to the next sentence's first token.
    """
    text = paragraph.text
    starts = sentence_starts(text)
    if not starts:
        return []
    starts[0] = 0
    kept = [0]
    for start in starts[1:]:
        before = text[kept[-1] : start].rstrip()
        dateline = text.startswith("(", start) and _ABBREVIATION_END.search(before)
        if _TITLE_END.search(before[-_TITLE_TAIL:]) or _CONTINUES.match(text, start) or dateline:
            continue
        kept.append(start)
    out: list[Sentence] = []
    for i, start in enumerate(kept):
        end = kept[i + 1] if i + 1 < len(kept) else len(text)
        piece = text[start:end].rstrip()
        if piece:
            out.append(Sentence(piece, paragraph.start + start, paragraph.start + start + len(piece)))
    return out


def passages(story: Story, size: int = PASSAGE_SENTENCES) -> list[Passage]:
    """Paragraph-bounded windows of at most `size` sentences, evenly cut, each sentence in one passage."""
    out: list[Passage] = []
    for paragraph in story.paragraphs:
        sents = sentences(paragraph)
        if not sents:
            continue
        chunks = -(-len(sents) // size)
        per, extra = divmod(len(sents), chunks)  # window sizes differ by one at most: 7 -> 3, 2, 2
        cut = 0
        for c in range(chunks):
            width = per + (1 if c < extra else 0)
            window = tuple(sents[cut : cut + width])
            cut += width
            out.append(
                Passage(
                    id=passage_id(story.id, paragraph.number, c + 1),
                    story_id=story.id,
                    paragraph=paragraph.number,
                    sentences=window,
                    start=window[0].start,
                    end=window[-1].end,
                )
            )
    return out
