"""The same passages ranked by rank-bm25's own full scan and by bm25s, for a side-by-side timing."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from bench.bm25_reference import NonNegativeBM25

Ranker = Callable[[list[str]], int]  # query terms -> the best passage


def rank_bm25_full_scan(passages: Sequence[Sequence[str]]) -> tuple[Ranker, float]:
    """rank-bm25 as its README uses it: get_scores over every passage, then argmax. Returns it and its build time."""
    start = time.perf_counter()
    bm25 = NonNegativeBM25([list(p) or [""] for p in passages])  # BM25Okapi.get_scores, Lucene's idf
    built = time.perf_counter() - start

    def best(terms: list[str]) -> int:
        return int(np.argmax(bm25.get_scores(terms)))

    return best, built


def bm25s_retrieve(passages: Sequence[Sequence[str]], k: int) -> tuple[Ranker, float]:
    """bm25s with Lucene's BM25 (the same idf; a constant factor apart), one question per retrieve call."""
    import bm25s

    start = time.perf_counter()
    retriever = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    retriever.index([list(p) for p in passages], show_progress=False)
    built = time.perf_counter() - start
    vocab = retriever.vocab_dict

    def best(terms: list[str]) -> int:
        known = [t for t in terms if t in vocab]
        docs, _ = retriever.retrieve([known], k=k, show_progress=False, n_threads=0)
        return int(docs[0][0])

    return best, built
