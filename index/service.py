"""The answer service the CLI and the bot share: open (building if missing), ask, reload."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from index.answer import answer
from index.corpus import Corpus, StoryInfo
from index.types import Answer

if TYPE_CHECKING:  # building (cleaning, splitting) is imported only when an index is built: a faster `ask`
    from index.build import BuildReport


class UnknownStoryError(KeyError):
    """A question scoped to a story the index does not hold."""

    def __str__(self) -> str:
        return f"no story {self.args[0]!r} in the index: `storybot index` lists the stories it holds"


class AnswerService:
    """One loaded index behind a small API. A reload swaps in a new index whole or not at all."""

    def __init__(
        self, index_path: Path, stories_dir: Path, *, min_confidence: float | None = None, semantic: bool = True
    ) -> None:
        self.index_path = index_path
        self.stories_dir = stories_dir
        self.min_confidence = min_confidence  # None: the answer model's default
        self.semantic = semantic
        self._corpus: Corpus | None = None
        self._lock = threading.Lock()

    def open(self, build_if_missing: bool = True) -> BuildReport | None:
        """Load the index, building it from the stories folder first when there is none."""
        report = None
        if build_if_missing and not self.index_path.exists():
            from index.build import build_and_save

            report = build_and_save(self.stories_dir, self.index_path)
        self._corpus = Corpus.open(self.index_path)
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
            return answer(self.corpus, question, story, k, min_confidence=self.min_confidence)
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
            report = build_and_save(self.stories_dir, self.index_path) if rebuild else None
            self._corpus = Corpus.open(self.index_path)
            return report
