"""What the bot says, decided apart from Telegram's types: questions, "More" pages, inline results."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.telegram.limits import MorePage, MorePages
from bot.telegram.render import answer_html, hit_html, plain_title
from index.dialogue import Turn
from index.service import AnswerService, Exchange, UnknownStoryError, shown_marks
from index.text import NOT_SAID
from index.types import Answer

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


class Replies:
    """Turns questions into replies over the shared AnswerService, remembering the pages behind "More"."""

    def __init__(self, service: AnswerService, pages: MorePages | None = None) -> None:
        self.service = service
        self.pages = pages or MorePages()

    def question(self, question: str, story: str | None) -> Reply:
        return self.reply(question, story, self.answer(question, story))

    def answer(self, question: str, story: str | None) -> Answer:
        """The slow part of a reply: it only reads the index, so it may run in a thread."""
        return self.service.ask(question, story, k=1)

    def converse(self, question: str, story: str | None, turns: list[Turn]) -> Exchange:
        """A question in its conversation; like `answer`, it only reads the index."""
        return self.service.converse(question, story, turns, k=1)

    def reply(self, question: str, story: str | None, answer: Answer, understood: str = "") -> Reply:
        """The reply to a question given its answer; remembers its page for "More" (the question as
        understood, for a follow-up). A follow-up's reply opens with how it was understood."""
        best = answer.best
        asked = understood or question
        shown = "" if asked == question else asked
        if best is None:
            return Reply(answer_html(answer, shown))
        if answer.answered:
            key = self.pages.add(MorePage(asked, story, shown_marks(best)))
            return Reply(answer_html(answer, shown), (MORE, f"more:{key}"))
        key = self.pages.add(MorePage(asked, story, ()))
        return Reply(answer_html(answer, shown), (NEAREST, f"more:{key}"))

    def more(self, data: str) -> Reply | str:
        """The next passage for a button's question, or a short notice for the button press."""
        key = data.removeprefix("more:")
        page = self.pages.get(key)
        if page is None:
            return EXPIRED
        try:
            hit = self.service.more(page.question, page.story, page.shown)
        except UnknownStoryError:  # the story left the index since
            hit = None
        if hit is None:
            return NO_MORE
        lead = "" if page.shown else f"{NOT_SAID} The nearest passage:"
        self.pages.update(key, MorePage(page.question, page.story, (*page.shown, *shown_marks(hit))))
        return Reply(hit_html(hit, lead=lead), (MORE, f"more:{key}"))

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
