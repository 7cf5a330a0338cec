"""What the state file records about readers: a question asked, and a verdict on an answer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Asked:
    """A question a reader asked, and how it went."""

    at: float  # Unix time
    chat_id: int | None
    user_id: int | None
    story: str | None  # the story that answered, else the chat's story, else None (every story)
    question: str
    understood: str  # the question as answered (the conversation's rewrite); the question itself until then
    answered: bool
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class Vote:
    """A reader's 👍 (+1) or 👎 (-1) on one answer. A later vote by the same reader on the same answer
    replaces it."""

    at: float
    chat_id: int | None
    user_id: int | None
    answer_id: str  # unique per answer shown
    story: str | None
    question: str
    understood: str
    sentence_id: str  # passage id and sentence offset: stable while the story's text is
    sentence: str
    confidence: float | None
    verdict: int

    @property
    def key(self) -> tuple[int | None, str]:
        return self.user_id, self.answer_id
