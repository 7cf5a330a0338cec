"""What the bot says, decided apart from Telegram's types: questions, "More" pages, votes, inline results."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.telegram.pages import ChatPages, Page, next_page, page_for
from bot.telegram.render import answer_html, hit_html, plain_title
from index.dialogue import Turn
from index.service import AnswerService, Exchange, UnknownStoryError
from index.text import NOT_SAID
from index.types import Answer, Hit

MORE = "More"
NEAREST = "Show the nearest passage"
GOOD, BAD = "👍", "👎"
EXPIRED = "That button has expired. Please ask the question again."
NO_MORE = "That's all the story has on this question."
THANKS = {1: "Thanks! Noted: 👍", -1: "Thanks! Noted: 👎. The story's editors will see it."}
INLINE_RESULTS = 5


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTML message, the "More" button under it when there is more to show, and the key of the
    answer it shows (for 👍 and 👎) when it shows one."""

    html: str
    button: tuple[str, str] | None = None  # (label, callback data)
    answer_key: str | None = None


@dataclass(frozen=True, slots=True)
class InlineItem:
    id: str
    title: str
    description: str
    html: str


class Replies:
    """Turns questions into replies over the shared AnswerService. The pages behind the buttons live
    in the chat's own data (ChatPages), passed in by the caller."""

    def __init__(self, service: AnswerService) -> None:
        self.service = service

    def question(self, question: str, story: str | None, pages: ChatPages) -> Reply:
        """A question with no conversation before it, answered as the bot answers one."""
        exchange = self.converse(question, story, [])
        return self.reply(question, story, exchange.answer, pages, exchange.understood)

    def converse(self, question: str, story: str | None, turns: list[Turn]) -> Exchange:
        """A question in its conversation; like `answer`, it only reads the index."""
        return self.service.converse(question, story, turns, k=1)

    def reply(
        self, question: str, story: str | None, answer: Answer, pages: ChatPages, understood: str = ""
    ) -> Reply:
        """The reply to a question given its answer; remembers its page for the buttons ("More" pages on
        the question as understood). A follow-up's reply opens with how it was understood."""
        understood = understood or question
        shown = "" if understood == question else understood
        key = pages.add(page_for(question, story, answer, understood))
        if answer.best is None:
            return Reply(answer_html(answer, shown), None, key)
        label = MORE if answer.answered or answer.maybe else NEAREST  # a shown passage: More goes on from it
        return Reply(answer_html(answer, shown), (label, f"more:{key}"), key)

    def page(self, data: str, pages: ChatPages) -> tuple[str, Page] | None:
        """The page behind a button's callback data ("more:KEY", "good:KEY", "bad:KEY"), or None if expired."""
        key = data.partition(":")[2]
        page = pages.get(key)
        return None if page is None else (key, page)

    def next_hit(self, page: Page) -> Hit | None:
        """The passage "More" shows next; reads only the index, so it may run in a thread."""
        try:
            return self.service.more(page.understood, page.scope, page.shown)
        except UnknownStoryError:  # the story left the index since
            return None

    def more_reply(self, key: str, page: Page, hit: Hit | None, pages: ChatPages) -> Reply | str:
        """The next passage as a reply, or a notice for the button press; the page moves on in place."""
        if hit is None:
            return NO_MORE
        lead = "" if page.shown else f"{NOT_SAID} The nearest passage:"
        pages.put(key, next_page(page, hit))
        return Reply(hit_html(hit, lead=lead), (MORE, f"more:{key}"), key)

    def more(self, data: str, pages: ChatPages) -> Reply | str:
        """All of "More" at once (the bot splits it between the loop and a thread)."""
        found = self.page(data, pages)
        if found is None:
            return EXPIRED
        return self.more_reply(found[0], found[1], self.next_hit(found[1]), pages)

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
