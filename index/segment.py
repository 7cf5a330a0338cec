"""Where each sentence of a paragraph starts, as syntok says, without syntok for plain paragraphs.

syntok walks every token through a chain of state objects: most of an index build went there. A
paragraph of plain words (ASCII letters, whole numbers, inner apostrophes and hyphens, one trailing
mark of punctuation per word, single spaces) leaves syntok's rules only a few facts to look at at
each full stop: the token before it, the word after it, and whether the token before it opened the
sentence. `plain_starts` decides those here, with syntok's own word lists; any other paragraph goes
through syntok itself. tests/test_segment.py holds the two to the same answers.
"""

from __future__ import annotations

import re

from syntok._segmentation_states import State

# letters with no turn from lower to upper case inside: syntok cuts "iPhone" into two tokens
_LETTERS = r"(?:[A-Z]+[a-z]*|[a-z]+)"
_WORD = rf"(?:{_LETTERS}(?:['’-]{_LETTERS})*|[0-9]+)"
_PLAIN = re.compile(rf"{_WORD}[,.!?;:]?(?: +{_WORD}[,.!?;:]?)*")
_APOSTROPHE_PIECE = re.compile(r"['’][A-Za-z]+")
_STOP = re.compile(r"[.!?;] +")
_NO = frozenset(("no", "No", "NO"))


def sentence_starts(text: str) -> list[int]:
    """The offset of the first token of each sentence of one paragraph (no blank lines in it)."""
    starts = plain_starts(text)
    if starts is not None:
        return starts
    from syntok import segmenter  # only index builds split sentences; questions never do

    return [sent[0].offset for para in segmenter.analyze(text) for sent in para if sent]


def plain_starts(text: str) -> list[int] | None:
    """sentence_starts for a paragraph of plain words, or None when it is not one."""
    if not _PLAIN.fullmatch(text):
        return None
    starts = [0]
    # where syntok is in its FirstToken state: at a sentence's first word, and after a stop it did
    # not split at when that stop followed the first word
    first_from = 0
    for stop in _STOP.finditer(text):  # a terminal with a word after it: only there can a sentence end
        end = stop.start()
        begin = text.rfind(" ", 0, end) + 1
        before = _tokens(text[begin:end])
        after_start = stop.end()
        after_end = text.find(" ", after_start)
        after = text[after_start : after_end if after_end >= 0 else len(text)].rstrip(",.!?;:")
        at_first = begin == first_from and len(before) == 1
        if _splits(before[-1], _tokens(after)[0], at_first):
            starts.append(after_start)
            first_from = after_start
        elif at_first:
            first_from = after_start
    return starts


def _tokens(word: str) -> list[str]:
    """The values of syntok's tokens for one plain word without its trailing mark: hyphens join,
    an apostrophe starts a token ("Korea", "'s"), and "n't" is one ("did", "n't")."""
    if "'" not in word and "’" not in word:
        return word.split("-") if "-" in word else [word]
    out: list[str] = []
    for part in word.split("-"):
        cut = 0
        for match in _APOSTROPHE_PIECE.finditer(part):
            start = match.start()
            piece = match.group(0)
            if start > cut and piece[1:] == "t" and part[start - 1] == "n":
                if cut < start - 1:
                    out.append(part[cut : start - 1])
                out.append("n" + piece)
                cut = match.end()
                continue
            if start > cut:
                out.append(part[cut:start])
            out.append(piece)
            cut = match.end()
        if cut == 0:
            out.append(part)
        elif cut < len(part):
            out.append(part[cut:])
    return out


def _splits(before: str, after: str, first: bool) -> bool:
    """syntok's decision at a terminal between the token `before` and the word `after` (spaced)."""
    if after[:1].islower():
        return False
    single = len(before) == 1 or before in State.roman_numerals
    if not (first and single) and after in State.starters:
        return True
    if before in State.abbreviations:
        return False
    if before in _NO and after.isalnum() and any(c.isnumeric() for c in after):
        return False
    if after.isnumeric() and len(after) > 2:
        return False
    if before.isnumeric() and after in State.months:
        return False
    if before in State.months and after.isnumeric():
        return False
    if (first or before.isupper()) and single:
        return False
    return not (len(before) == 1 and before.isalpha() and before not in State.vowels)
