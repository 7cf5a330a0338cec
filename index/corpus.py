"""The loaded index: passages, their terms, and the statistics answering needs, built once at load.

Loading does array work only: the terms of every sentence become one array of term ids, from which
the ranker's postings and the sentence document frequencies are counted with numpy. Passage objects
and a passage's sentence terms are made when a question first needs them, so a 100k-sentence index
loads in well under a second and holds no object per sentence until asked.
"""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import overload

import numpy as np

from index.analyze import tokenize
from index.memo import SentenceFacts
from index.question import kind_matches
from index.rank import PassageRanker, TokenTable, firsts
from index.store import IndexFile, VectorSink, decode_embeddings, load
from index.types import Citation, Passage, Sentence, StoryMeta, passage_id
from index.vectors import SentenceVectors

SPLIT_BLOCK = 8192  # sentences whose terms are split into strings at a time while loading


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
    meta: StoryMeta = StoryMeta()

    @property
    def credit(self) -> str:
        """Publisher and byline where found, else the file."""
        parts = [p for p in (self.byline and f"by {self.byline}", self.source) if p]
        return ", ".join(parts) or self.path

    def details(self) -> list[tuple[str, str]]:
        """What `/source` shows of the story beside its title, where the page says it: (what, line)."""
        known = [
            ("author", self.meta.byline or (f"By {self.byline}" if self.byline else "")),
            ("publisher", self.source),
            ("published", self.meta.published),
            ("updated", self.meta.updated),
            ("address", self.meta.url),
        ]
        return [(name, " ".join(value.split())) for name, value in known if value]


def _term_ids(sentences: list[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every term of every sentence (space-joined strings) as an id into a vocabulary kept in order of
    first use, and each sentence's term count. Split a block at a time: a million short-lived strings
    at once would double the memory a load needs."""
    ids: dict[str, int] = {}
    id_blocks: list[np.ndarray] = []
    length_blocks: list[np.ndarray] = []
    for lo in range(0, len(sentences), SPLIT_BLOCK):
        block = sentences[lo : lo + SPLIT_BLOCK]
        lengths = [t.count(" ") + 1 if t else 0 for t in block]
        tokens = " ".join(block).split()
        if sum(lengths) != len(tokens):  # a term string with stray spaces: count them one by one
            lengths = [len(t.split()) for t in block]
        new = [t for t in dict.fromkeys(tokens) if t not in ids]
        ids.update(zip(new, range(len(ids), len(ids) + len(new)), strict=True))
        id_blocks.append(np.fromiter(map(ids.__getitem__, tokens), dtype=np.int64, count=len(tokens)))
        length_blocks.append(np.asarray(lengths, dtype=np.int64))
    empty = np.zeros(0, dtype=np.int64)
    return list(ids), np.concatenate(id_blocks or [empty]), np.concatenate(length_blocks or [empty])


def _stacked(index: IndexFile, sentences: int) -> np.ndarray:
    """The records' vectors as one float16 matrix, copied story by story (no second copy of them all at once)."""
    half = np.empty((sentences, max(1, index.dimensions)), dtype="<f2")
    at = 0
    for record in index.stories:
        rows = decode_embeddings(record.embeddings, index.dimensions)
        half[at : at + len(rows)] = rows
        at += len(rows)
    return half


def _return_freed_memory() -> None:
    """Hand the heap's free pages back to the system. Counting the terms of a large index makes and frees some
    80 MB of arrays; glibc keeps freed memory below its heap's top for reuse, so without this the process
    would stay that much larger for life (and a serving process's peak with it). Not glibc: nothing to do."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # musl, or no libc by that name
        return
    trim(0)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Loading makes millions of objects and no cycles; the cycle collector would walk them all again and
    again (a third of the load time at 100k sentences). Paused for the load only."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class _Columns:
    """Every sentence of the index in parallel lists, and where each passage's sentences start."""

    def __init__(self, index: IndexFile) -> None:
        self.texts: list[str] = list(chain.from_iterable(r.texts for r in index.stories))
        self.starts: list[int] = list(chain.from_iterable(r.starts for r in index.stories))
        self.ends: list[int] = list(chain.from_iterable(r.ends for r in index.stories))
        self.terms: list[str] = list(chain.from_iterable(r.terms for r in index.stories))
        self.paragraph: list[int] = list(chain.from_iterable(r.passage_paragraphs for r in index.stories))
        sizes = list(chain.from_iterable(r.passage_sentences for r in index.stories))
        self.first = np.concatenate(([0], np.cumsum(sizes, dtype=np.int64))).tolist()  # passage -> its sentences


class _Passages(Sequence[Passage]):
    """The passages in index order, each made on first use."""

    def __init__(self, columns: _Columns, story_of: list[str], ids: list[str]) -> None:
        self._c = columns
        self._story_of = story_of
        self._ids = ids
        self._made: list[Passage | None] = [None] * len(ids)

    def __len__(self) -> int:
        return len(self._made)

    @overload
    def __getitem__(self, i: int) -> Passage: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[Passage]: ...
    def __getitem__(self, i: int | slice) -> Passage | Sequence[Passage]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        made = self._made[i]  # raises IndexError past the end, as a list does
        if made is None:
            made = self._made[i] = self._make(i if i >= 0 else i + len(self))
        return made

    def __iter__(self) -> Iterator[Passage]:
        return (self[i] for i in range(len(self)))

    def _make(self, i: int) -> Passage:
        c = self._c
        lo, hi = c.first[i], c.first[i + 1]
        sents = tuple(Sentence(c.texts[s], c.starts[s], c.ends[s]) for s in range(lo, hi))
        return Passage(self._ids[i], self._story_of[i], c.paragraph[i], sents, sents[0].start, sents[-1].end)


class _SentenceTerms(Sequence[tuple[tuple[str, ...], ...]]):
    """Per passage, the terms of each of its sentences, split from the stored strings when asked."""

    def __init__(self, columns: _Columns) -> None:
        self._c = columns
        # the same passages come up question after question, so recent ones stay split; not all of them:
        # a large index's split terms would take a good share of its memory again
        self._split = lru_cache(maxsize=8192)(self._split_passage)

    def __len__(self) -> int:
        return len(self._c.first) - 1

    @overload
    def __getitem__(self, i: int) -> tuple[tuple[str, ...], ...]: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[tuple[tuple[str, ...], ...]]: ...
    def __getitem__(self, i: int | slice) -> tuple[tuple[str, ...], ...] | Sequence[tuple[tuple[str, ...], ...]]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError("passage number out of range")
        i = i if i >= 0 else i + n
        return self._split(i)

    def _split_passage(self, i: int) -> tuple[tuple[str, ...], ...]:
        terms, first = self._c.terms, self._c.first
        return tuple(tuple(terms[s].split()) for s in range(first[i], first[i + 1]))


class Corpus:
    """Every passage of every story, ranked by one BM25 so idf is taken over the whole index."""

    def __init__(self, index: IndexFile, embeddings: bool = True, vectors: VectorSink | None = None) -> None:
        """`embeddings=False` leaves the index's sentence embeddings unread (answers by words only). `vectors`:
        the sink the index was loaded with, which holds them instead of its records."""
        self.built_at = index.built_at
        self.facts = SentenceFacts(kind_matches)  # per-sentence memos, dropped with this index
        self.stories: dict[str, StoryInfo] = {}
        self.title_terms: dict[str, frozenset[str]] = {}
        self.story_passages: dict[str, np.ndarray] = {}
        story_of: list[str] = []
        passage_ids: list[str] = []
        self.lead: list[int] = []  # sentence number within its story of each passage's first sentence
        for rec in index.stories:
            meta = StoryMeta(rec.byline_line, tuple(rec.bio), rec.publisher_line, rec.published, rec.updated, rec.url)
            self.stories[rec.id] = StoryInfo(
                rec.id, rec.title, rec.byline, rec.source, rec.path, len(rec.passage_sentences), rec.dropped, meta
            )
            self.title_terms[rec.id] = frozenset(tokenize(rec.title))
            start = len(story_of)
            self.story_passages[rec.id] = np.arange(start, start + len(rec.passage_sentences), dtype=np.int64)
            seen = 0
            chunk: dict[int, int] = {}
            for paragraph, size in zip(rec.passage_paragraphs, rec.passage_sentences, strict=True):
                chunk[paragraph] = chunk.get(paragraph, 0) + 1
                passage_ids.append(passage_id(rec.id, paragraph, chunk[paragraph]))
                self.lead.append(seen)
                seen += size
            story_of.extend([rec.id] * len(rec.passage_sentences))
        columns = _Columns(index)
        self.passages: Sequence[Passage] = _Passages(columns, story_of, passage_ids)
        self.sentence_terms: Sequence[tuple[tuple[str, ...], ...]] = _SentenceTerms(columns)
        # passage -> its first sentence's number in the index, with the sentence count at the end
        self.passage_first_sentence: np.ndarray = np.asarray(columns.first, dtype=np.int64)
        self._count_terms(columns)
        self._shares: dict[tuple[str, ...], dict[str, float]] = {}
        self._topics: dict[tuple[str, int], frozenset[str]] = {}
        _return_freed_memory()  # counting's temporaries, before the vectors' coarse scores are made
        # one unit row per sentence, in index order, when the index was built with a sentence embedder
        self.embedder = index.embedder if embeddings else ""
        self.embeddings: SentenceVectors | None = None
        self.centrality = np.zeros(0, dtype=np.float32)  # per sentence, with embeddings: see _centralities
        if self.embedder:
            half = vectors.rows(index.dimensions) if vectors is not None else _stacked(index, len(columns.texts))
            self.embeddings = SentenceVectors(half)
            self.centrality = self._centralities(self.embeddings)

    def _count_terms(self, columns: _Columns) -> None:
        """The ranker's postings, and each term's sentence document frequency, from one pass over the terms."""
        vocab, term, lengths = _term_ids(columns.terms)
        count = len(lengths)
        sentence = np.repeat(np.arange(count, dtype=np.int64), lengths)
        # one sort by (term, sentence) serves both counts: sentences run in passage order, so it is
        # also the (term, passage) order the ranker's postings want
        keys = np.sort(term * max(1, count) + sentence)
        term = keys // max(1, count)
        sentence = keys - term * count
        first = np.asarray(columns.first, dtype=np.int64)
        passage_of_sentence = np.repeat(np.arange(len(first) - 1, dtype=np.int64), np.diff(first))
        table = TokenTable(vocab, term, passage_of_sentence[sentence], len(first) - 1)
        self.ranker = PassageRanker.from_table(table)
        df = np.bincount(term[firsts(keys)], minlength=len(vocab))
        self.sentence_df: dict[str, int] = dict(zip(vocab, df.tolist(), strict=True))
        self.sentence_count = count
        self.avg_sentence_len = len(term) / max(1, count)

    @classmethod
    def open(cls, path: Path, embeddings: bool = True) -> Corpus:
        vectors = VectorSink() if embeddings else None
        with _cycle_collector_paused():
            corpus = cls(load(path, vectors), embeddings, vectors)
        _return_freed_memory()  # the parsed file's records, now that the corpus holds what it needs of them
        return corpus

    def stories_hold(self, stories: Sequence[str], term: str) -> list[bool]:
        """Per story, is the term in its title or any of its passages? One binary search for them all,
        no work proportional to a story's length."""
        return self.stories_hold_each(stories, [term])[0]

    def _bounds(self, stories: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each story's first passage and the one after its last."""
        lo = np.fromiter((self.story_passages[s][0] for s in stories), dtype=np.int64, count=len(stories))
        hi = np.fromiter((self.story_passages[s][-1] + 1 for s in stories), dtype=np.int64, count=len(stories))
        return lo, hi

    def stories_hold_each(self, stories: Sequence[str], terms: Sequence[str]) -> list[list[bool]]:
        """`stories_hold` for each term in turn, the stories' bounds found once for all the terms."""
        lo, hi = self._bounds(stories)
        titles = [self.title_terms[s] for s in stories]
        holds = self.ranker.holds
        return [
            [held or term in title for title, held in zip(titles, holds(term, lo, hi).tolist(), strict=True)]
            for term in terms
        ]

    def share_holding_any(self, terms: tuple[str, ...]) -> dict[str, float]:
        """Per story, the share of its passages that hold any of the terms: worked out for every story at once
        the first time these terms are asked about, a property of the stories, not of a question."""
        found = self._shares.get(terms)
        if found is None:
            stories = list(self.story_passages)
            lo, hi = self._bounds(stories)
            share = self.ranker.holding_any(terms, lo, hi) / np.maximum(1, hi - lo)
            found = self._shares[terms] = dict(zip(stories, share.tolist(), strict=True))
        return found

    def topic_terms(self, story: str, lead_sentences: int) -> frozenset[str]:
        """The terms of the story's title and of its first `lead_sentences` sentences: what the whole story is
        about, which a question about any part of it tends to repeat."""
        key = (story, lead_sentences)
        found = self._topics.get(key)
        if found is None:
            terms = set(self.title_terms[story])
            left = lead_sentences
            for pid in self.story_passages[story].tolist():
                for sentence in self.sentence_terms[pid][:left]:
                    terms.update(sentence)
                    left -= 1
                if left <= 0:
                    break
            found = self._topics[key] = frozenset(terms)
        return found

    def _centralities(self, vectors: SentenceVectors) -> np.ndarray:
        """Each sentence's cosine with its story's centre (the unit mean of the story's sentences), for every
        sentence at load: one pass over the vectors, where working it out per question touched a story's every
        row for each story a question's candidates came from."""
        out = np.zeros(vectors.count, dtype=np.float32)
        first = self.passage_first_sentence
        for passages in self.story_passages.values():
            if not len(passages):
                continue
            lo, hi = int(first[passages[0]]), int(first[passages[-1] + 1])
            rows = vectors.rows(lo, hi)
            total = rows.sum(axis=0)
            norm = float(np.linalg.norm(total))
            if norm > 0:
                out[lo:hi] = rows @ (total / norm)
        return out

    def citation(self, passage: Passage) -> Citation:
        story = self.stories[passage.story_id]
        return Citation(story.id, story.title, passage.paragraph, story.credit, story.path)
