"""What the bot says, decided apart from Telegram's types: questions, "More" pages, inline results."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.limits import Thread, Threads
from bot.render import NOT_SAID, answer_html, hit_html, plain_title
from index.service import AnswerService
from index.types import Answer, Hit

MORE = "More"
NEAREST = "Show the nearest passage"
EXPIRED = "That button has expired. Please ask the question again."
NO_MORE = "That's all the story has on this question."
INLINE_RESULTS = 5


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTML message, and the "More" button under it when there is more to show."""

    html: str
    button: tuple[str, str] | None = None  # (label, callback data)


@dataclass(frozen=True, slots=True)
class InlineItem:
    id: str
    title: str
    description: str
    html: str


def sentence_key(text: str) -> str:
    return " ".join(text.split()).casefold()


class Replies:
    """Turns questions into replies over the shared AnswerService, remembering threads for "More"."""

    def __init__(self, service: AnswerService, threads: Threads | None = None) -> None:
        self.service = service
        self.threads = threads or Threads()

    def question(self, question: str, story: str | None) -> Reply:
        return self.reply(question, story, self.answer(question, story))

    def answer(self, question: str, story: str | None) -> Answer:
        """The slow part of a reply: it only reads the index, so it may run in a thread."""
        return self.service.ask(question, story, k=1)

    def reply(self, question: str, story: str | None, answer: Answer) -> Reply:
        """The reply to a question given its answer; remembers the thread for "More"."""
        best = answer.best
        if best is None:
            return Reply(answer_html(answer))
        if answer.answered or answer.maybe:  # the reply shows the best passage: "More" goes on from it
            key = self.threads.add(Thread(question, story, (sentence_key(best.sentence.text),)))
            return Reply(answer_html(answer), (MORE, f"more:{key}"))
        key = self.threads.add(Thread(question, story, ()))
        return Reply(answer_html(answer), (NEAREST, f"more:{key}"))

    def more(self, data: str) -> Reply | str:
        """The next passage for a button's question, or a short notice for the button press."""
        key = data.removeprefix("more:")
        thread = self.threads.get(key)
        if thread is None:
            return EXPIRED
        hit = self._next_hit(thread)
        if hit is None:
            return NO_MORE
        lead = "" if thread.shown else f"{NOT_SAID} The nearest passage:"
        self.threads.update(
            key, Thread(thread.question, thread.story, (*thread.shown, sentence_key(hit.sentence.text)))
        )
        return Reply(hit_html(hit, lead=lead), (MORE, f"more:{key}"))

    def _next_hit(self, thread: Thread) -> Hit | None:
        try:
            answer = self.service.ask(thread.question, thread.story, k=len(thread.shown) + 3)
        except KeyError:  # the story left the index since
            return None
        shown = set(thread.shown)
        return next((h for h in answer.hits if sentence_key(h.sentence.text) not in shown), None)

    def inline(self, question: str) -> list[InlineItem]:
        if not question.strip():
            return []
        answer = self.service.ask(question, None, k=INLINE_RESULTS)
        return [
            InlineItem(
                id=f"{n}-{hashlib.sha256(h.passage.id.encode()).hexdigest()[:32]}",  # ids: at most 64 bytes
                title=plain_title(h.sentence.text),
                description=plain_title(str(h.citation)),
                html=hit_html(h),
            )
            for n, h in enumerate(answer.hits)
        ]


def addressed_question(text: str, bot_username: str, replying_to_bot: bool) -> str | None:
    """In a group: the question in a message mentioning the bot or replying to it, else None."""
    mention = re.compile(rf"@{re.escape(bot_username)}\b", re.IGNORECASE) if bot_username else None
    if mention and mention.search(text):
        return " ".join(mention.sub(" ", text).split()) or None
    if replying_to_bot:
        return text.strip() or None
    return None
