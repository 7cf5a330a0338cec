"""The answers a chat was shown, kept in its chat_data so that "More", 👍 and 👎 work after a restart.

Each answer is one JSON text under a short random key that goes in the buttons' callback data;
"More" replaces it. A chat keeps its latest ANSWERS_KEPT, and an older button gets the polite
"expired" notice. Texts, not nested objects: python-telegram-bot deep-copies a chat's data at every
write, and a string costs nothing to copy where a page of objects costs microseconds.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from bot.telegram import conversation
from index.service import shown_marks
from index.types import Answer, Hit

ANSWERS_KEPT = 20
CHAT_KEY = "answers"  # where in chat_data
# what holds readers' questions: not stored when STORYBOT_KEEP_QUESTIONS is false
QUESTION_KEYS = (CHAT_KEY, conversation.CONVERSATION, conversation.USERS, conversation.REPLIES)


@dataclass(frozen=True, slots=True)
class Page:
    """One answer shown: the question behind it, what "More" skips, and what a vote records."""

    question: str
    understood: str  # the question as answered: the conversation's rewrite, the question itself until then
    scope: str | None  # the story the question was asked about (None: every story)
    shown: tuple[str, ...]  # passages and sentences shown so far, skipped by "More"
    story: str | None  # the story of the sentence shown
    sentence_id: str  # passage id @ sentence offset: stable while the story's text is
    sentence: str
    answered: bool
    confidence: float | None
    step: int = 0  # "More" presses so far: a vote is about the passage at this step

    def to_json(self) -> str:
        return _compact.encode({
            "q": self.question,
            "u": self.understood,
            "scope": self.scope,
            "shown": list(self.shown),
            "story": self.story,
            "sid": self.sentence_id,
            "text": self.sentence,
            "ok": self.answered,
            "c": self.confidence,
            "n": self.step,
        })

    @classmethod
    def from_json(cls, text: Any) -> Page | None:
        """The page stored, or None for anything else (an older layout, a hand-edited file)."""
        try:
            data = json.loads(text)
            confidence = data["c"]
            return cls(
                str(data["q"]),
                str(data["u"]),
                None if data["scope"] is None else str(data["scope"]),
                tuple(str(m) for m in data["shown"]),
                None if data["story"] is None else str(data["story"]),
                str(data["sid"]),
                str(data["text"]),
                bool(data["ok"]),
                None if confidence is None else float(confidence),
                int(data.get("n", 0)),
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def page_for(question: str, scope: str | None, answer: Answer, understood: str = "") -> Page:
    best = answer.best
    shown = best is not None and (answer.answered or answer.maybe)  # the reply showed its best passage
    return Page(
        question,
        understood or question,
        scope,
        shown_marks(best) if best is not None and shown else (),
        best.passage.story_id if best is not None else scope,
        sentence_id(best) if best is not None and shown else "",
        best.sentence.text if best is not None and shown else "",
        answer.answered,
        answer.confidence,
    )


def next_page(page: Page, hit: Hit) -> Page:
    """The page after "More" showed `hit`."""
    return Page(
        page.question,
        page.understood,
        page.scope,
        (*page.shown, *shown_marks(hit)),
        hit.passage.story_id,
        sentence_id(hit),
        hit.sentence.text,
        page.answered,
        page.confidence,
        page.step + 1,
    )


def sentence_id(hit: Hit) -> str:
    return f"{hit.passage.id}@{hit.sentence.start}"


class ChatPages:
    """A chat's latest answers, over the plain dict that lives in its chat_data."""

    def __init__(self, store: MutableMapping[str, Any], capacity: int = ANSWERS_KEPT) -> None:
        self.store = store
        self.capacity = capacity

    @classmethod
    def of(cls, chat_data: MutableMapping[Any, Any] | None) -> ChatPages:
        if chat_data is None:
            return cls({})
        store = chat_data.get(CHAT_KEY)
        if not isinstance(store, dict):
            store = chat_data[CHAT_KEY] = {}
        return cls(store)

    def add(self, page: Page) -> str:
        key = secrets.token_hex(5)
        self.store[key] = page.to_json()
        while len(self.store) > self.capacity:
            del self.store[next(iter(self.store))]
        return key

    def put(self, key: str, page: Page) -> None:
        """The page after "More", under the button's own key (so a second press of it pages on), made the newest."""
        self.store.pop(key, None)
        self.store[key] = page.to_json()

    def get(self, key: str) -> Page | None:
        return Page.from_json(self.store.get(key))

    def __len__(self) -> int:
        return len(self.store)
