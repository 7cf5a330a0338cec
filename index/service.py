"""The answer service the CLI and the bot share: open (building if missing), ask, reload.

With `semantic` on, the sentence-embedding model (index/embed.py) is loaded on first need: index builds
embed every sentence, and each question is embedded once. Off, it is never loaded and answers go by
words alone. An index built without embeddings is answered by words until it is rebuilt.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.answer import answer
from index.corpus import Corpus, StoryInfo
from index.store import IndexFileError
from index.types import Answer

if TYPE_CHECKING:  # building (cleaning, splitting) is imported only when an index is built: a faster `ask`
    from index.build import BuildReport
    from index.embed import Embedder


@dataclass(frozen=True, eq=False)
class NamedEmbedder:
    """The embedding model with the name an index records beside the vectors it made."""

    model: Embedder
    version: str

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.embed(texts)


def load_embedder(batch: bool = False) -> NamedEmbedder:
    """The sentence-embedding model: one thread for questions, every core this process may use for batch
    work such as an index build (which gains where cores are idle)."""
    from index.embed import Embedder

    model = Embedder.load(_cores() if batch else 1)
    return NamedEmbedder(model, model.version)


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class UnknownStoryError(KeyError):
    """A question scoped to a story the index does not hold."""

    def __str__(self) -> str:
        return f"no story {self.args[0]!r} in the index: `storybot index` lists the stories it holds"


class AnswerService:
    """One loaded index behind a small API. A reload swaps in a new index whole or not at all.

    `min_confidence` (None: the answer model's default) and `semantic` come from the shell's settings;
    `semantic` is off unless asked for, so that a bare service never loads the embedding model."""

    def __init__(
        self, index_path: Path, stories_dir: Path, *, min_confidence: float | None = None, semantic: bool = False
    ) -> None:
        self.index_path = index_path
        self.stories_dir = stories_dir
        self.min_confidence = min_confidence  # None: the answer model's default
        self.semantic = semantic
        self._corpus: Corpus | None = None
        self._lock = threading.Lock()
        self._embedder: NamedEmbedder | None = None
        self._embedder_lock = threading.Lock()
        self._question_vector = lru_cache(maxsize=1024)(self._embed_question)

    def embedder(self) -> NamedEmbedder | None:
        """The embedding model when semantic answers are on, loaded once, on first need."""
        if not self.semantic:
            return None
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = load_embedder()
            return self._embedder

    def _embed_question(self, question: str) -> np.ndarray:
        embedder = self.embedder()
        if embedder is None:  # pragma: no cover - only called with semantic answers on
            raise RuntimeError("semantic answers are off")
        return embedder.model.embed_one(question)

    def _open_corpus(self) -> Corpus:
        corpus = Corpus.open(self.index_path, embeddings=self.semantic)
        if corpus.embedder:
            from index.embed import MODEL_VERSION

            if corpus.embedder != MODEL_VERSION:
                raise IndexFileError(
                    f"the index at {self.index_path} holds sentence embeddings of {corpus.embedder!r}, this storybot "
                    f"uses {MODEL_VERSION!r}: rebuild it with `storybot index`"
                )
        return corpus

    def open(self, build_if_missing: bool = True) -> BuildReport | None:
        """Load the index, building it from the stories folder first when there is none."""
        report = None
        if build_if_missing and not self.index_path.exists():
            from index.build import build_and_save

            report = build_and_save(self.stories_dir, self.index_path, embedder=self.embedder())
        self._corpus = self._open_corpus()
        return report

    @property
    def loaded(self) -> bool:
        """Whether the index is in memory, so that asking reads no file."""
        return self._corpus is not None

    @property
    def corpus(self) -> Corpus:
        corpus = self._corpus
        if corpus is None:
            self.open()
            corpus = self._corpus
        if corpus is None:  # pragma: no cover - open() either sets it or raises
            raise RuntimeError("index not loaded")
        return corpus

    def ask(self, question: str, story: str | None = None, k: int = 3) -> Answer:
        try:
            corpus = self.corpus
            embed = self._question_vector if self.semantic and corpus.embeddings is not None else None
            return answer(corpus, question, story, k, min_confidence=self.min_confidence, embed=embed)
        except KeyError:
            raise UnknownStoryError(story) from None

    def stories(self) -> list[StoryInfo]:
        return list(self.corpus.stories.values())

    def story(self, story_id: str) -> StoryInfo:
        try:
            return self.corpus.stories[story_id]
        except KeyError:
            raise UnknownStoryError(story_id) from None

    def reload(self, rebuild: bool = True) -> BuildReport | None:
        """Rebuild from the stories folder and swap the new index in; on any error the old one stays."""
        from index.build import build_and_save

        with self._lock:
            embedder = self.embedder() if rebuild else None
            report = build_and_save(self.stories_dir, self.index_path, embedder=embedder) if rebuild else None
            self._corpus = self._open_corpus()
            return report
