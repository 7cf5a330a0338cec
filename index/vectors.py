"""Every sentence's embedding, held as the index stores it (float16), and a question's nearest sentences.

A full scan of float32 vectors is one memory-bound pass over 4 bytes a number: at 100k sentences of 384,
150 MB a question. Here the vectors stay float16 (half that memory), and a search over more than SHORTLIST
sentences scores them first on their leading COARSE_DIMENSIONS principal components (fitted at load on a sample
of the index's own vectors; kept as int8 and multiplied in ONNX Runtime, index/coarse.py: 12.8 MB a question at
100k), then takes exact cosines of the SHORTLIST best by that score only. The exact cosines are the float32
numbers a full scan computes; which sentences reach the shortlist is the approximation (tests/test_vectors.py
holds it to a full scan on real stories embedded by the real model; the bench counts the questions whose
nearest sentences differ). A range of at most SHORTLIST sentences (a small index, one story) is searched in full.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from index.coarse import CoarseScorer, quantize

SHORTLIST = 1000  # sentences given an exact cosine in a large search
COARSE_DIMENSIONS = 128  # principal components of the coarse score
FIT_SAMPLE = 8192  # vectors the components are fitted on, evenly spaced through the index
CHUNK = 4096  # rows widened to float32 at a time while projecting


@cache
def _half_to_single() -> np.ndarray:
    """Every float16 bit pattern's float32 value: widening by table is faster than numpy's own cast."""
    return np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float32)


class SentenceVectors:
    """One unit row per sentence, in index order, kept as float16."""

    def __init__(
        self, half: np.ndarray, shortlist: int = SHORTLIST, coarse_dimensions: int = COARSE_DIMENSIONS
    ) -> None:
        if half.dtype != np.float16 or half.ndim != 2:
            raise ValueError("sentence vectors are float16 rows")
        self.count, self.dimensions = half.shape
        self._bits = half.view(np.uint16)
        self.shortlist = shortlist
        self._basis: np.ndarray | None = None  # (dimensions, coarse) float32: the leading components
        self._coarse: CoarseScorer | None = None  # each sentence on them, int8
        if self.count > shortlist:
            self._fit(min(coarse_dimensions, self.dimensions))

    @property
    def shape(self) -> tuple[int, int]:
        return self.count, self.dimensions

    @property
    def coarse_dimensions(self) -> int:
        """Principal components of the coarse score; 0 when no range is large enough to need one."""
        return 0 if self._basis is None else self._basis.shape[1]

    def rows(self, lo: int, hi: int) -> np.ndarray:
        """Sentences lo to hi as float32 rows (the stored values, exactly)."""
        return _half_to_single()[self._bits[lo:hi]]

    def take(self, sentences: np.ndarray) -> np.ndarray:
        """The given sentences as float32 rows."""
        rows: np.ndarray = _half_to_single()[self._bits[sentences]]
        return rows

    def matrix(self) -> np.ndarray:
        """Every row as float32 (for tools and the bench: a copy twice the size of what is kept)."""
        return self.rows(0, self.count)

    def nearest(self, query: np.ndarray, lo: int, hi: int, k: int) -> np.ndarray:
        """The numbers of the (up to) k sentences in lo..hi with the highest cosine with the query (a unit
        float32 row), in no particular order."""
        if hi - lo <= k:
            return np.arange(lo, hi)
        if hi - lo <= self.shortlist or self._coarse is None or self._basis is None:
            candidates = np.arange(lo, hi)
            cosines = self.rows(lo, hi) @ query
        else:
            coarse = self._coarse.scores(query @ self._basis)[lo:hi]
            candidates = np.argpartition(-coarse, self.shortlist - 1)[: self.shortlist] + lo
            cosines = self.take(candidates) @ query
        return candidates[np.argpartition(-cosines, k - 1)[:k]]

    def _fit(self, width: int) -> None:
        """The leading principal components of a sample, and every sentence projected on them (centred), as int8
        on each component's scale: the sample's largest magnitude on it (the rare sentence beyond is clipped,
        which can only lower its rank in the shortlist by that one component's excess)."""
        step = max(1, self.count // FIT_SAMPLE)
        sample = self.take(np.arange(0, self.count, step))
        centre = sample.mean(axis=0, dtype=np.float64).astype(np.float32)
        sample -= centre
        # float32 is plenty for the components: they only choose the shortlist, never a cosine
        _, vectors = np.linalg.eigh((sample.T @ sample).astype(np.float64))  # ascending eigenvalues
        basis = np.ascontiguousarray(vectors[:, ::-1][:, :width], dtype=np.float32)
        largest = np.abs(sample @ basis).max(axis=0)
        del sample
        scale = np.where(largest > 0, largest / 127.0, 1.0).astype(np.float32)
        coarse = np.empty((width, self.count), dtype=np.int8)
        for lo in range(0, self.count, CHUNK):
            hi = min(self.count, lo + CHUNK)
            rows = self.rows(lo, hi)
            rows -= centre
            coarse[:, lo:hi] = quantize(basis.T @ rows.T, scale)
        self._basis, self._coarse = basis, CoarseScorer(coarse, scale)
