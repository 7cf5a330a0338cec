"""A question's nearest sentences: the shortlist from the leading principal components finds the full scan's.

index/vectors.py scores a large range of sentences on a few principal components and gives exact cosines to a
shortlist only. What it may get wrong is which sentences reach the shortlist; here that is held to the full
scan on real sentences embedded by the real model (our own news set's stories and questions, the bundled
story and the scraped fixtures), with the shortlist a far smaller share of the index than in serving."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from index.build import build
from index.corpus import Corpus
from index.embed import Embedder
from index.features import NEAREST_SENTENCES
from index.vectors import COARSE_DIMENSIONS, SentenceVectors
from tests.conftest import BUNDLED, FIXTURES, ROOT

NEWS = ROOT / "tools" / "news_qa"


class _Named:
    """The real model under the name an index records."""

    version = "minilm-test"

    def __init__(self, model: Embedder) -> None:
        self.model = model

    def embed(self, texts: list[str]) -> np.ndarray:
        return self.model.embed(texts)


@pytest.fixture(scope="module")
def model() -> Embedder:
    return Embedder.load()


@pytest.fixture(scope="module")
def news(model: Embedder, tmp_path_factory: pytest.TempPathFactory) -> tuple[Corpus, np.ndarray]:
    """Real stories embedded by the real model, and our news set's questions embedded the same way."""
    folder = tmp_path_factory.mktemp("news")
    for source in [*(NEWS / "stories").iterdir(), *BUNDLED.glob("*.txt"), *(FIXTURES / "scraped").iterdir()]:
        shutil.copy(source, folder)
    shutil.copy(FIXTURES / "rail-strike-called-off.txt", folder)
    corpus = Corpus(build(folder, embedder=_Named(model))[0])
    lines = (NEWS / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["q"] for line in lines if line.strip()]
    return corpus, model.embed(questions)


def _exact(rows: np.ndarray, query: np.ndarray, k: int) -> set[int]:
    return set(np.argpartition(-(rows @ query), k - 1)[:k].tolist())


def test_the_shortlist_finds_the_full_scans_nearest_sentences(news: tuple[Corpus, np.ndarray]) -> None:
    corpus, questions = news
    assert corpus.embeddings is not None
    rows = corpus.embeddings.matrix()
    count = len(rows)
    assert count > 300
    shortlist = count // 6  # a real cut: most sentences never get an exact cosine
    vectors = SentenceVectors(rows.astype(np.float16), shortlist=shortlist)
    assert vectors.coarse_dimensions == COARSE_DIMENSIONS
    k = NEAREST_SENTENCES
    for query in questions:
        assert set(vectors.nearest(query, 0, count, k).tolist()) == _exact(rows, query, k)
    # within a range too (one story's sentences, or any span larger than the shortlist)
    lo, hi = count // 4, count // 4 + shortlist * 2
    for query in questions[:50]:
        found = vectors.nearest(query, lo, hi, k)
        assert set(found.tolist()) == {lo + i for i in _exact(rows[lo:hi], query, k)}


def test_a_shortlist_too_small_would_miss_some(news: tuple[Corpus, np.ndarray]) -> None:
    """The test above can fail: with the shortlist barely larger than k, the coarse score alone decides."""
    corpus, questions = news
    assert corpus.embeddings is not None
    rows = corpus.embeddings.matrix()
    vectors = SentenceVectors(rows.astype(np.float16), shortlist=NEAREST_SENTENCES + 2, coarse_dimensions=16)
    k = NEAREST_SENTENCES
    missed = sum(set(vectors.nearest(q, 0, len(rows), k).tolist()) != _exact(rows, q, k) for q in questions)
    assert missed > len(questions) // 2


def test_rows_are_the_stored_float16_values_exactly() -> None:
    rng = np.random.default_rng(7)
    half = rng.standard_normal((300, 24)).astype(np.float16)
    half[0, :4] = [0.0, -0.0, 6e-8, -3e-5]  # zeros and float16's subnormals
    vectors = SentenceVectors(half)
    assert np.array_equal(vectors.rows(10, 20), half[10:20].astype(np.float32))
    assert np.array_equal(vectors.take(np.array([5, 0, 299])), half[[5, 0, 299]].astype(np.float32))
    assert np.array_equal(vectors.matrix(), half.astype(np.float32))
    assert vectors.matrix().dtype == np.float32


def test_a_range_within_the_shortlist_is_searched_in_full() -> None:
    rng = np.random.default_rng(8)
    rows = rng.standard_normal((2000, 32)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    half = rows.astype(np.float16)
    vectors = SentenceVectors(half, shortlist=500, coarse_dimensions=2)  # a coarse score that is nearly useless
    single = half.astype(np.float32)
    for query in rows[:20]:
        exact = {100 + i for i in _exact(single[100:600], query, 20)}
        assert set(vectors.nearest(query, 100, 600, 20).tolist()) == exact
        assert set(vectors.nearest(query, 0, 15, 20).tolist()) == set(range(15))  # fewer than k: all of them
    small = SentenceVectors(half[:400], shortlist=500)
    assert small.coarse_dimensions == 0  # never more than the shortlist to search: nothing fitted


def test_float16_rows_only() -> None:
    with pytest.raises(ValueError, match="float16"):
        SentenceVectors(np.zeros((3, 4), dtype=np.float32))
