"""Passage ranking with rank-bm25, fixed for story-sized corpora and pruned for large ones.

rank-bm25's BM25Okapi gives a zero or negative idf to a term in half or more of the passages
(with two passages, every score is 0), and its get_top_n returns passages that scored 0.
`NonNegativeBM25` uses Lucene's idf, positive at any corpus size, and `PassageRanker.top` keeps
only passages that scored above 0. For speed it scores candidates from an inverted index with
rank-bm25's own get_batch_scores, adding a very common term's passages only when that term could
still change the top n: the scores and the top n are exactly those of a full scan.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rank_bm25 import BM25Okapi

# Postings scored before the pruning bound is checked: enough for any rare-term query.
CANDIDATE_BUDGET = 8000


class NonNegativeBM25(BM25Okapi):  # type: ignore[misc]
    """BM25Okapi with idf = ln(1 + (N - n + 0.5) / (n + 0.5)): above 0 for every term, so no
    term in many passages is ignored and two passages still rank."""

    def _calc_idf(self, nd: dict[str, int]) -> None:
        n_docs = self.corpus_size
        for word, freq in nd.items():
            self.idf[word] = math.log(1.0 + (n_docs - freq + 0.5) / (freq + 0.5))
        self.average_idf = sum(self.idf.values()) / max(1, len(self.idf))


class PassageRanker:
    """Top-n passages for a query, scored by rank-bm25, without scanning every passage."""

    def __init__(self, passage_terms: Sequence[Sequence[str]], k1: float = 1.5, b: float = 0.75) -> None:
        if not passage_terms:
            raise ValueError("no passages to rank")
        self.bm25 = NonNegativeBM25([list(t) or [""] for t in passage_terms], k1=k1, b=b)
        # get_batch_scores rebuilds an array from this list on every call; an array makes that a copy
        self.bm25.doc_len = np.asarray(self.bm25.doc_len, dtype=np.float64)
        postings: dict[str, list[int]] = {}
        for i, freqs in enumerate(self.bm25.doc_freqs):
            for term in freqs:
                postings.setdefault(term, []).append(i)
        self.postings = {t: np.asarray(ids, dtype=np.int64) for t, ids in postings.items()}
        self.size = len(passage_terms)

    def idf(self, term: str) -> float:
        return float(self.bm25.idf.get(term, 0.0))

    def scores(self, query: Sequence[str], ids: Sequence[int]) -> list[float]:
        """rank-bm25's scores for these passages."""
        if not ids:
            return []
        return list(self.bm25.get_batch_scores(list(query), list(ids)))

    def top(self, query: Sequence[str], n: int, within: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The n best passages that scored above 0, best first (ties by position), with their scores."""
        terms = [t for t in dict.fromkeys(query) if t in self.postings]
        if not terms or n <= 0:
            return []
        if within is not None:
            ids = within
            scores = np.asarray(self.scores(query, ids.tolist()))
        else:
            ids, scores = self._pruned(list(query), terms, n)
        return _best(ids, scores, n)

    def _pruned(self, query: list[str], terms: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
        terms.sort(key=lambda t: len(self.postings[t]))
        taken: list[str] = []
        total = 0
        while terms and (not taken or total + len(self.postings[terms[0]]) <= CANDIDATE_BUDGET):
            total += len(self.postings[terms[0]])
            taken.append(terms.pop(0))
        while True:
            ids = _union([self.postings[t] for t in taken])
            scores = np.asarray(self.scores(query, ids.tolist()))
            if not terms:
                return ids, scores
            # a passage holding only the untaken terms scores below this, whatever its length
            bound = sum(self.idf(t) * (self.bm25.k1 + 1) * query.count(t) for t in terms)
            if len(scores) >= n and float(np.partition(scores, -n)[-n]) >= bound:
                return ids, scores
            taken.append(terms.pop(0))


def _union(arrays: list[np.ndarray]) -> np.ndarray:
    if len(arrays) == 1:
        return arrays[0]
    return np.unique(np.concatenate(arrays))


def _best(ids: np.ndarray, scores: np.ndarray, n: int) -> list[tuple[int, float]]:
    keep = scores > 0
    ids, scores = ids[keep], scores[keep]
    if len(ids) > n:
        # everything tied with the n-th score stays in, so ties break by position as in a full scan
        keep = scores >= np.partition(scores, -n)[-n]
        ids, scores = ids[keep], scores[keep]
    order = np.lexsort((ids, -scores))[:n]
    return [(int(ids[i]), float(scores[i])) for i in order]
