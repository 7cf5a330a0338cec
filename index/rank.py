"""Passage ranking by rank-bm25's scores, fixed for story-sized corpora and pruned for large ones.

rank-bm25's BM25Okapi gives a zero or negative idf to a term in half or more of the passages
(with two passages, every score is 0), and its get_top_n returns passages that scored 0. A
passage's score here is BM25Okapi's with Lucene's idf, positive at any corpus size (the reference,
a BM25Okapi subclass, lives in bench/bm25_reference.py). `PassageRanker` gives exactly its scores
(the same floating-point operations in the same order, checked bit for bit by
tests/test_rank_equivalence.py) from an inverted index instead of a scan of every passage, and
keeps only passages that scored above 0:

- a term's postings hold, per passage holding it, tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avglen)),
  computed once at load, so a query term costs one multiply over its postings;
- the rarest query terms pick the candidates; a very common term is added to them only while a
  passage holding nothing but the common terms could still reach the top n. A term adds at most
  idf times its largest posting weight to a passage's score, which bounds what those passages score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np

# Postings taken as candidates before the pruning bound is checked: enough for any rare-term query.
CANDIDATE_BUDGET = 8000
# Once the postings taken pass this share of the passage count, adding every posting of the query's
# terms into one array of all passages is cheaper than looking the candidates up term by term.
DENSE_SHARE = 0.25
# A candidate must beat the bound by this much: the bound and the scores are rounded differently.
BOUND_MARGIN = 1e-9


def lucene_idf(n_docs: int, df: int) -> float:
    """ln(1 + (N - n + 0.5) / (n + 0.5)): above 0 for every term, however common."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


@dataclass(frozen=True, slots=True)
class TokenTable:
    """Every term occurrence of a corpus as parallel arrays, ordered by term id, then passage."""

    vocab: list[str]  # term id -> term
    term: np.ndarray  # per occurrence, its term id (non-decreasing)
    passage: np.ndarray  # per occurrence, its passage number (non-decreasing within a term)
    passages: int

    @classmethod
    def of(cls, passage_terms: Sequence[Sequence[str]]) -> TokenTable:
        tokens = list(chain.from_iterable(passage_terms))
        vocab = list(dict.fromkeys(tokens))
        ids = dict(zip(vocab, range(len(vocab)), strict=True))
        term = np.fromiter(map(ids.__getitem__, tokens), dtype=np.int64, count=len(tokens))
        sizes = np.fromiter(map(len, passage_terms), dtype=np.int64, count=len(passage_terms))
        passage = np.repeat(np.arange(len(passage_terms), dtype=np.int64), sizes)
        keys = np.sort(term * max(1, len(passage_terms)) + passage)
        term = keys // max(1, len(passage_terms))
        return cls(vocab, term, keys - term * len(passage_terms), len(passage_terms))


class PassageRanker:
    """Top-n passages for a query with the reference BM25's exact scores, without scanning every passage."""

    def __init__(self, passage_terms: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self._index(TokenTable.of(passage_terms), k1, b)

    @classmethod
    def from_table(cls, table: TokenTable, k1: float = 1.5, b: float = 0.75) -> PassageRanker:
        ranker = cls.__new__(cls)
        ranker._index(table, k1, b)
        return ranker

    def _index(self, table: TokenTable, k1: float, b: float) -> None:
        if table.passages == 0:
            raise ValueError("no passages to rank")
        self.k1 = k1
        self.b = b
        self.candidate_budget = CANDIDATE_BUDGET
        self.dense_share = DENSE_SHARE
        self.size = table.passages
        # one (term, passage) key per occurrence, in order; counted, they are the postings with their tf
        keys = table.term * table.passages + table.passage
        starts = np.flatnonzero(firsts(keys))
        pairs = keys[starts]
        tf = np.diff(np.append(starts, len(keys)))
        term_of = pairs // table.passages
        self._ids: np.ndarray = pairs - term_of * table.passages
        df = np.bincount(term_of, minlength=len(table.vocab))
        bounds = np.concatenate(([0], np.cumsum(df))).tolist()
        self._span: dict[str, tuple[int, int]] = dict(
            zip(table.vocab, zip(bounds[:-1], bounds[1:], strict=True), strict=True)
        )
        # rank-bm25 indexes an empty passage as [""]: length 1, holding no real term
        doc_len = np.maximum(np.bincount(table.passage, minlength=table.passages), 1)
        self.avgdl = int(doc_len.sum()) / table.passages
        # written as rank-bm25's get_scores writes it, so every float comes out the same
        norm = self.k1 * (1 - self.b + self.b * doc_len / self.avgdl)
        self._weight: np.ndarray = tf * (self.k1 + 1) / (tf + norm[self._ids])
        most = np.maximum.reduceat(self._weight, bounds[:-1]) if len(tf) else np.zeros(0)
        self._most: dict[str, float] = dict(zip(table.vocab, most.tolist(), strict=True))

    def __contains__(self, term: str) -> bool:
        return term in self._span

    def df(self, term: str) -> int:
        """Passages holding the term."""
        lo, hi = self._span.get(term, (0, 0))
        return hi - lo

    def holds(self, term: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Per range of passages lo[i] to hi[i] - 1 (a story's), does any hold the term? One binary
        search of the term's postings for all the ranges."""
        span = self._span.get(term)
        if span is None:
            return np.zeros(len(lo), dtype=bool)
        posting = self._ids[span[0] : span[1]]
        at = np.searchsorted(posting, lo)
        inside = at < len(posting)
        out = np.zeros(len(lo), dtype=bool)
        out[inside] = posting[at[inside]] < hi[inside]
        return out

    def holding_any(self, terms: Sequence[str], lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Per range of passages lo[i] to hi[i] - 1 (a story's), how many hold any of the terms."""
        found = [self._span_ids(t) for t in terms if t in self._span]
        posting = _union(found) if found else np.zeros(0, dtype=np.int64)
        counted: np.ndarray = np.searchsorted(posting, hi) - np.searchsorted(posting, lo)
        return counted

    def idf(self, term: str) -> float:
        """The term's idf, as the reference BM25 gives it; 0 for a term in no passage, as rank-bm25 does."""
        df = self.df(term)
        return lucene_idf(self.size, df) if df else 0.0

    def scores(self, query: Sequence[str], ids: Sequence[int] | np.ndarray) -> list[float]:
        """The reference BM25's scores for these passages, in their order."""
        if len(ids) == 0:
            return []
        scores = self._score([t for t in query if t in self._span], np.asarray(ids, dtype=np.int64))
        return [float(s) for s in scores]

    def top(self, query: Sequence[str], n: int, within: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The n best passages that scored above 0, best first (ties by position), with their scores.

        `within` (passage numbers) limits the ranking to those passages, e.g. one story's."""
        known = [t for t in query if t in self._span]
        if not known or n <= 0:
            return []
        if within is not None:
            ids = np.asarray(within, dtype=np.int64)
            return _best(ids, self._score(known, ids), n)
        return _best(*self.candidates(known, n), n)

    def _contribution(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The term's postings and what it adds to each of those passages' scores."""
        lo, hi = self._span[term]
        return self._ids[lo:hi], self.idf(term) * self._weight[lo:hi]

    def _score(self, query: list[str], ids: np.ndarray) -> np.ndarray:
        """Scores of these passages, summed over the query's terms in order as rank-bm25 sums them.

        A passage without a term gets + 0.0 from it there, which changes no float, so skipping it is exact."""
        scores = np.zeros(len(ids))
        cache: dict[str, np.ndarray] = {}
        for term in query:
            add = cache.get(term)
            if add is None:
                posting, value = self._contribution(term)
                at = np.searchsorted(posting, ids)
                np.minimum(at, len(posting) - 1, out=at)
                held = posting[at] == ids
                add = np.zeros(len(ids))
                add[held] = value[at[held]]
                cache[term] = add
            scores += add
        return scores

    def _dense(self, query: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Every passage's score in one pass over the query terms' postings."""
        scores = np.zeros(self.size)
        cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term in query:
            if term not in cache:
                cache[term] = self._contribution(term)
            posting, value = cache[term]
            scores[posting] += value  # postings hold each passage once, so no two updates collide
        ids = np.flatnonzero(scores)
        return ids, scores[ids]  # every passage holding a query term

    def candidates(self, query: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        """The passages scored to find the top n, with their scores: candidates from the rarest terms,
        widened until no passage left out could make the top n."""
        query = [t for t in query if t in self._span]
        if not query:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        rest = sorted(dict.fromkeys(query), key=self.df)
        taken: list[str] = []
        postings = 0
        while rest and (not taken or postings + self.df(rest[0]) <= self.candidate_budget):
            postings += self.df(rest[0])
            taken.append(rest.pop(0))
        while True:
            if postings > self.dense_share * self.size:
                return self._dense(query)
            ids = _union([self._span_ids(t) for t in taken])
            scores = self._score(query, ids)
            if not rest:
                return ids, scores
            # a passage holding only the terms not taken scores below this, whatever its length
            bound = sum(self.idf(t) * self._most[t] * query.count(t) for t in rest)
            positive = scores[scores > 0]
            if len(positive) >= n and float(np.partition(positive, -n)[-n]) > bound * (1 + BOUND_MARGIN):
                return ids, scores
            postings += self.df(rest[0])
            taken.append(rest.pop(0))

    def _span_ids(self, term: str) -> np.ndarray:
        lo, hi = self._span[term]
        return self._ids[lo:hi]


def _union(arrays: list[np.ndarray]) -> np.ndarray:
    if len(arrays) == 1:
        return arrays[0]
    return distinct(np.concatenate(arrays))


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values; numpy's own unique hashes integers, several times slower than this."""
    ordered = np.sort(values)
    out: np.ndarray = ordered[firsts(ordered)]
    return out


def firsts(ordered: np.ndarray) -> np.ndarray:
    """True where a sorted array's value differs from the one before it."""
    marks = np.ones(len(ordered), dtype=bool)
    marks[1:] = ordered[1:] != ordered[:-1]
    return marks


def _best(ids: np.ndarray, scores: np.ndarray, n: int) -> list[tuple[int, float]]:
    keep = scores > 0
    ids, scores = ids[keep], scores[keep]
    if len(ids) > n:
        # everything tied with the n-th score stays in, so ties break by position as in a full scan
        keep = scores >= np.partition(scores, -n)[-n]
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:n]
    return [(int(ids[i]), float(scores[i])) for i in order]
