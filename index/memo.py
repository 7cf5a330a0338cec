"""What answering works out once per sentence text and then reuses, question after question: a word
count, whether it opens by referring back, its words with their terms, and what each question type's
pattern finds in it. One `SentenceFacts` belongs to one loaded index (index.corpus.Corpus.facts), so a
reload drops it with the index instead of keeping the old stories' sentences alive."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from index.analyze import words_and_terms

# A sentence opening with a pronoun or a definite noun phrase ("The deal ...") refers back.
_REFERS_BACK = re.compile(r"^\W*(?:he|she|it|they|his|her|its|their|this|these|those|the)\b", re.I)

Pairs = tuple[tuple[str, str], ...]
KindMatches = Callable[[str, str], tuple[frozenset[str], ...]]


class SentenceFacts:
    """Bounded per-sentence memos, tied to the index they were worked out for."""

    def __init__(self, kind_matches: KindMatches, size: int = 65536) -> None:
        self.shape: Callable[[str], tuple[int, bool]] = lru_cache(maxsize=size)(_shape)
        self.pairs: Callable[[str], Pairs] = lru_cache(maxsize=size)(_pairs)
        self.kind_matches: KindMatches = lru_cache(maxsize=size)(kind_matches)


def _shape(sentence: str) -> tuple[int, bool]:
    """The sentence's word count and whether it opens by referring back."""
    return len(sentence.split()), bool(_REFERS_BACK.match(sentence))


def _pairs(sentence: str) -> Pairs:
    return tuple(words_and_terms(sentence))
