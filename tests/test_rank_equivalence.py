"""PassageRanker gives exactly rank-bm25's scores and top n: every float equal to a full get_scores scan.

The reference is NonNegativeBM25 (rank-bm25's BM25Okapi with Lucene's idf) scanning every passage;
the ranker under test reads an inverted index and prunes. Any difference in a single bit fails.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.bm25_reference import NonNegativeBM25
from index.analyze import tokenize
from index.rank import PassageRanker
from index.service import AnswerService

# A skewed vocabulary: "w0" lands in most passages, the tail in few, so very common terms,
# rare terms and ties all turn up in small corpora.
VOCAB = [f"w{i}" for i in range(12)]
SKEWED = [term for i, term in enumerate(VOCAB) for _ in range(12 // (i + 1))]


def reference(passages: list[list[str]]) -> NonNegativeBM25:
    return NonNegativeBM25([list(p) or [""] for p in passages])


def full_scan_top(
    bm25: NonNegativeBM25, query: list[str], n: int, within: list[int] | None = None
) -> list[tuple[int, float]]:
    """rank-bm25's own answer: score every passage, keep those above 0, best first, ties by position."""
    scores = bm25.get_scores(query)
    ids = range(len(scores)) if within is None else within
    ranked = sorted((i for i in ids if scores[i] > 0), key=lambda i: (-scores[i], i))
    return [(i, float(scores[i])) for i in ranked[:n]]


corpora = st.lists(st.lists(st.sampled_from(SKEWED), max_size=30), min_size=1, max_size=60)
queries = st.lists(st.sampled_from([*VOCAB, "absent"]), min_size=1, max_size=6)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    corpus=corpora,
    query=queries,
    n=st.integers(1, 12),
    budget=st.integers(1, 40),
    dense=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
)
def test_top_is_rank_bm25s_full_scan(
    corpus: list[list[str]], query: list[str], n: int, budget: int, dense: float
) -> None:
    ranker = PassageRanker(corpus)
    # small budgets and dense shares send small corpora down every path: pruned, widened, dense
    ranker.candidate_budget = budget
    ranker.dense_share = dense
    assert ranker.top(query, n) == full_scan_top(reference(corpus), query, n)


def test_the_pruning_bound_is_never_wrong() -> None:
    """Pruning only, on many small corpora: a bound 1% too low already shows up here as a wrong top n."""
    rng = random.Random(5)
    for _ in range(1500):
        corpus = [[rng.choice(SKEWED) for _ in range(rng.randint(0, 30))] for _ in range(rng.randint(1, 40))]
        query = [rng.choice(VOCAB) for _ in range(rng.randint(1, 4))]
        n = rng.randint(1, 5)
        ranker = PassageRanker(corpus)
        ranker.candidate_budget = rng.randint(1, 10)
        ranker.dense_share = math.inf
        assert ranker.top(query, n) == full_scan_top(reference(corpus), query, n), (corpus, query, n)


@settings(max_examples=150, deadline=None)
@given(corpus=corpora, query=queries, n=st.integers(1, 12), data=st.data())
def test_scoped_top_is_the_full_scan_of_those_passages(
    corpus: list[list[str]], query: list[str], n: int, data: st.DataObject
) -> None:
    within = sorted(data.draw(st.sets(st.integers(0, len(corpus) - 1), min_size=1)))
    ranker = PassageRanker(corpus)
    got = ranker.top(query, n, np.asarray(within, dtype=np.int64))
    assert got == full_scan_top(reference(corpus), query, n, within)


@settings(max_examples=100, deadline=None)
@given(corpus=corpora, query=queries, data=st.data())
def test_scores_of_any_passages_are_get_scores(corpus: list[list[str]], query: list[str], data: st.DataObject) -> None:
    ids = data.draw(st.lists(st.integers(0, len(corpus) - 1), max_size=20))
    full = reference(corpus).get_scores(query)
    assert PassageRanker(corpus).scores(query, ids) == [float(full[i]) for i in ids]


def zipf_corpus(passages: int, seed: int = 3) -> list[list[str]]:
    """Passages of 10-30 terms from a 3,000-term Zipf vocabulary, plus a term in every passage."""
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, 3001)
    p = 1.0 / ranks
    p /= p.sum()
    out = []
    for _ in range(passages):
        words = rng.choice(ranks, size=int(rng.integers(10, 30)), p=p)
        out.append(["everywhere", *(f"t{w}" for w in words)])
    return out


def test_a_very_common_term_does_not_make_every_passage_a_candidate() -> None:
    corpus = zipf_corpus(4000)
    corpus[17].append("needle")
    corpus[2500] += ["needle", "needle"]
    ranker = PassageRanker(corpus)
    ranker.candidate_budget = 100  # at the default, a 4,000-passage corpus is small enough to score whole
    bm25 = reference(corpus)
    query = ["needle", "everywhere", "t1"]
    ids, _ = ranker.candidates(query, 2)
    assert len(ids) == 2  # the bound held after the rare term: the common ones were never unioned in
    assert ranker.top(query, 2) == full_scan_top(bm25, query, 2)
    # asking for more than the rare term holds forces the common terms in, still exactly
    ids, _ = ranker.candidates(query, 30)
    assert len(ids) > 2
    assert ranker.top(query, 30) == full_scan_top(bm25, query, 30)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_default_budget_on_a_realistic_corpus(seed: int) -> None:
    corpus = zipf_corpus(6000, seed)
    ranker = PassageRanker(corpus)
    bm25 = reference(corpus)
    rng = np.random.default_rng(seed)
    for _ in range(40):
        query = [f"t{int(r)}" for r in rng.integers(1, 400, size=int(rng.integers(1, 6)))]
        if rng.random() < 0.3:
            query.append("everywhere")
        for n in (1, 30):
            assert ranker.top(query, n) == full_scan_top(bm25, query, n)


def test_a_term_in_half_the_passages_or_more_still_counts() -> None:
    corpus = [["cat", "sat"], ["cat", "ran"]]
    ranker = PassageRanker(corpus)
    assert ranker.idf("cat") > 0
    assert [i for i, _ in ranker.top(["cat"], 5)] == [0, 1]
    assert all(score > 0 for _, score in ranker.top(["cat"], 5))
    assert ranker.top(["cat"], 5) == full_scan_top(reference(corpus), ["cat"], 5)


def test_two_passages_still_rank() -> None:
    ranker = PassageRanker([["cat", "sat"], ["cat", "ran"]])
    top = ranker.top(["cat", "sat"], 2)
    assert [i for i, _ in top] == [0, 1]
    assert top[0][1] > top[1][1] > 0


def test_zero_score_passages_are_never_returned() -> None:
    ranker = PassageRanker([["cat"], ["dog"], [], ["dog", "dog"]])
    assert [i for i, _ in ranker.top(["cat"], 10)] == [0]
    assert ranker.top(["absent"], 10) == []
    assert ranker.top([], 10) == []
    assert ranker.top(["cat"], 0) == []


def test_ties_break_by_position_when_n_cuts_a_tie() -> None:
    corpus = [["a", "b"], ["c"], ["a", "b"], ["a", "b"], ["a", "b"], ["c", "a"]]
    ranker = PassageRanker(corpus)
    ranker.candidate_budget = 1
    top = ranker.top(["a"], 2)
    assert [i for i, _ in top] == [0, 2]
    assert top[0][1] == top[1][1]
    assert top == full_scan_top(reference(corpus), ["a"], 2)


def test_a_passage_left_out_that_ties_the_bound_still_wins_by_position() -> None:
    # "r" and "c" weigh the same: the candidate from "r" scores exactly what "c" alone can add,
    # so pruning must not stop there, or passage 0 (earlier, same score) would be lost.
    corpus = [["c"], ["r"]]
    ranker = PassageRanker(corpus)
    ranker.candidate_budget = 1
    ranker.dense_share = math.inf
    assert (
        ranker.top(["r", "c"], 1)
        == full_scan_top(reference(corpus), ["r", "c"], 1)
        == [(0, ranker.top(["c"], 1)[0][1])]
    )


def test_no_passages_is_an_error() -> None:
    with pytest.raises(ValueError, match="no passages"):
        PassageRanker([])


QUESTIONS = [
    "where is the third summit?",
    "Why was the rail strike called off?",
    "How big is the raise?",
    "What did Moon say about the talks?",
    "who said it",
    "north korea summit talks trump",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_loaded_corpus_ranks_as_rank_bm25_over_its_own_passages(service: AnswerService, question: str) -> None:
    corpus = service.corpus
    passages = [[t for s in sents for t in s] for sents in corpus.sentence_terms]
    bm25 = reference(passages)
    terms = tokenize(question)
    assert corpus.ranker.top(terms, 30) == full_scan_top(bm25, terms, 30)
    for story, ids in corpus.story_passages.items():
        scoped = corpus.ranker.top(terms, 30, ids)
        assert scoped == full_scan_top(bm25, terms, 30, ids.tolist()), story
