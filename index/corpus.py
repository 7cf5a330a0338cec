"""The loaded index: passages, their terms, and the statistics answering needs, built once at load."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.analyze import tokenize
from index.rank import PassageRanker
from index.store import IndexFile, load
from index.types import Citation, Passage, Sentence


@dataclass(frozen=True, slots=True)
class StoryInfo:
    """What the index keeps of a story besides its passages."""

    id: str
    title: str
    byline: str
    source: str
    path: str
    passages: int
    dropped: int

    @property
    def credit(self) -> str:
        """Publisher and byline where found, else the file."""
        parts = [p for p in (self.byline and f"by {self.byline}", self.source) if p]
        return ", ".join(parts) or self.path


class Corpus:
    """Every passage of every story, ranked by one BM25 so idf is taken over the whole index."""

    def __init__(self, index: IndexFile) -> None:
        self.built_at = index.built_at
        self.stories: dict[str, StoryInfo] = {}
        self.passages: list[Passage] = []
        self.sentence_terms: list[tuple[tuple[str, ...], ...]] = []
        self.lead: list[int] = []  # sentence number within its story of each passage's first sentence
        self.title_terms: dict[str, frozenset[str]] = {}
        story_ids: dict[str, list[int]] = {}
        for rec in index.stories:
            self.stories[rec.id] = StoryInfo(
                rec.id, rec.title, rec.byline, rec.source, rec.path, len(rec.passages), rec.dropped
            )
            self.title_terms[rec.id] = frozenset(tokenize(rec.title))
            ids = story_ids.setdefault(rec.id, [])
            seen = 0
            chunk: dict[int, int] = {}
            for p in rec.passages:
                sents = tuple(Sentence(s.text, s.start, s.end) for s in p.sentences)
                chunk[p.paragraph] = chunk.get(p.paragraph, 0) + 1
                ids.append(len(self.passages))
                self.passages.append(
                    Passage(
                        f"{rec.id}:{p.paragraph}.{chunk[p.paragraph]}",
                        rec.id,
                        p.paragraph,
                        sents,
                        sents[0].start,
                        sents[-1].end,
                    )
                )
                self.sentence_terms.append(tuple(tuple(s.terms.split()) for s in p.sentences))
                self.lead.append(seen)
                seen += len(sents)
        self.story_passages = {sid: np.asarray(ids, dtype=np.int64) for sid, ids in story_ids.items()}
        self.ranker = PassageRanker([[t for s in sents for t in s] for sents in self.sentence_terms])
        self._sentence_stats()

    def _sentence_stats(self) -> None:
        df: dict[str, int] = {}
        total = 0
        count = 0
        for sents in self.sentence_terms:
            for terms in sents:
                count += 1
                total += len(terms)
                for t in set(terms):
                    df[t] = df.get(t, 0) + 1
        self.sentence_df = df
        self.sentence_count = count
        self.avg_sentence_len = total / max(1, count)

    @classmethod
    def open(cls, path: Path) -> Corpus:
        return cls(load(path))

    def citation(self, passage: Passage) -> Citation:
        story = self.stories[passage.story_id]
        return Citation(story.id, story.title, passage.paragraph, story.credit, story.path)
