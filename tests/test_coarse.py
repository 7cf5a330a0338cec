"""The coarse score as an int8 product in ONNX Runtime (index/coarse.py): the graph it writes is the product asked
for, exactly, and the session is made once, on the first search, never by a process that does not search."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import pytest

from index.coarse import CoarseScorer, model_bytes, quantize
from index.vectors import SentenceVectors
from tests.conftest import ROOT


def scorer(components: int = 16, sentences: int = 3000, seed: int = 0) -> tuple[CoarseScorer, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    columns = rng.standard_normal((components, sentences)).astype(np.float32)
    scale = (np.abs(columns).max(axis=1) / 127.0).astype(np.float32)
    quantized = quantize(columns, scale)
    return CoarseScorer(quantized.copy(), scale), quantized, scale


def test_the_graph_computes_the_integer_product_exactly() -> None:
    coarse, quantized, scale = scorer()
    rng = np.random.default_rng(1)
    for _ in range(5):
        projected = rng.standard_normal(quantized.shape[0]).astype(np.float32)
        weighted = projected * scale
        query = np.rint(weighted / (np.abs(weighted).max() / 127.0)).astype(np.int32)
        assert np.array_equal(coarse.scores(projected), query @ quantized.astype(np.int32))


def test_its_order_is_the_float_products_up_to_rounding() -> None:
    rng = np.random.default_rng(2)
    columns = rng.standard_normal((32, 5000)).astype(np.float32)
    scale = (np.abs(columns).max(axis=1) / 127.0).astype(np.float32)
    coarse = CoarseScorer(quantize(columns, scale), scale)
    projected = rng.standard_normal(32).astype(np.float32)
    exact = projected @ columns
    got = coarse.scores(projected).astype(np.float64)
    assert np.corrcoef(got, exact)[0, 1] > 0.999
    best = set(np.argsort(-exact)[:50].tolist())
    assert len(best & set(np.argsort(-got)[:100].tolist())) == 50


def test_values_beyond_a_components_scale_are_clipped_not_wrapped() -> None:
    quantized = quantize(np.array([[1.0, -1.0, 5.0, -5.0]], dtype=np.float32), np.array([1 / 127], dtype=np.float32))
    assert quantized.tolist() == [[127, -127, 127, -127]]


def test_the_model_has_the_shape_given() -> None:
    graph = model_bytes(7, 123456)
    assert b"MatMulInteger" in graph
    coarse = CoarseScorer(np.ones((7, 11), dtype=np.int8), np.ones(7, dtype=np.float32))
    assert coarse.scores(np.ones(7, dtype=np.float32)).tolist() == [7 * 127] * 11


def test_the_session_is_made_once_when_many_threads_search_first() -> None:
    coarse, quantized, scale = scorer(seed=3)
    projected = np.linspace(-1, 1, quantized.shape[0]).astype(np.float32)
    results: list[np.ndarray] = []
    sessions: set[int] = set()

    def search() -> None:
        results.append(coarse.scores(projected))
        sessions.add(id(coarse._session))

    threads = [threading.Thread(target=search) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert all(np.array_equal(r, results[0]) for r in results)
    assert len(sessions) == 1
    assert coarse._quantized is None  # the session holds the only copy


def test_a_bad_matrix_is_refused() -> None:
    with pytest.raises(ValueError, match="int8"):
        CoarseScorer(np.ones((4, 10), dtype=np.float32), np.ones(4, dtype=np.float32))
    with pytest.raises(ValueError, match="one scale per component"):
        CoarseScorer(np.ones((4, 10), dtype=np.int8), np.ones(3, dtype=np.float32))


def test_vectors_that_are_never_searched_do_not_load_onnxruntime() -> None:
    """An index with embeddings opened to answer by words alone: the components are fitted, the runtime is not
    imported until a search needs it."""
    code = (
        "import json, sys\nimport numpy as np\nfrom index.vectors import SentenceVectors\n"
        "rng = np.random.default_rng(0)\nrows = rng.standard_normal((3000, 384)).astype(np.float32)\n"
        "rows /= np.linalg.norm(rows, axis=1, keepdims=True)\n"
        "vectors = SentenceVectors(rows.astype(np.float16), shortlist=500)\n"
        "before = 'onnxruntime' in sys.modules\n"
        "vectors.nearest(rows[0], 0, 3000, 20)\n"
        "print(json.dumps([before, 'onnxruntime' in sys.modules, vectors.coarse_dimensions]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [False, True, 128]


def test_a_search_over_a_large_range_finds_the_full_scans_nearest_on_clear_data() -> None:
    """Sentences in tight groups around a few directions: the int8 shortlist finds every one of the query's group."""
    rng = np.random.default_rng(4)
    centres = rng.standard_normal((40, 384)).astype(np.float32)
    rows = np.repeat(centres, 100, axis=0) + 0.05 * rng.standard_normal((4000, 384)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    vectors = SentenceVectors(rows.astype(np.float16), shortlist=300)
    query = rows[1234] / np.linalg.norm(rows[1234])
    exact = np.argsort(-(rows.astype(np.float16).astype(np.float32) @ query))[:20]
    assert set(vectors.nearest(query, 0, 4000, 20).tolist()) == set(exact.tolist())
