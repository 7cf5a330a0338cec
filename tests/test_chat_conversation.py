"""The terminal chat holds one conversation: follow-ups, the quiet "understood" line, expiry, /new, /source."""

from __future__ import annotations

from bot.cli.chat import chat
from index.service import AnswerService
from tests.conftest import RAIL

FOLLOW_UP = "What did he say the deal would cost?"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _chat(service: AnswerService, *lines: str, clock: Clock | None = None, minutes: float = 30) -> list[str]:
    replies: list[str] = []
    clock = clock or Clock()

    def steps() -> object:
        for line in lines:
            if line.startswith("+"):  # "+31": that many minutes pass
                clock.now += float(line[1:]) * 60
                continue
            yield line

    chat(service, steps(), replies.append, story=RAIL, context_minutes=minutes, clock=clock)  # type: ignore[arg-type]
    return [r.rstrip("\n") for r in replies]


def test_a_follow_up_is_answered_and_says_what_it_understood(service: AnswerService) -> None:
    first, follow = _chat(service, "Who is Carl Beaumont?", FOLLOW_UP)
    assert not first.startswith("↳")  # a standalone question shows no such line
    assert follow.splitlines()[0] == "↳ What did Carl Beaumont say the deal would cost?"
    assert "$41 million" in follow.splitlines()[1]


def test_new_forgets_the_conversation_and_the_more_paging(service: AnswerService) -> None:
    replies = _chat(service, "Who is Carl Beaumont?", "/new", FOLLOW_UP, "/more")
    assert replies[1].startswith("New conversation")
    assert not replies[2].startswith("↳")
    alone = _chat(service, FOLLOW_UP)
    assert replies[2] == alone[0]


def test_the_conversation_expires_after_the_idle_minutes(service: AnswerService) -> None:
    kept = _chat(service, "Who is Carl Beaumont?", "+29", FOLLOW_UP)
    assert kept[1].startswith("↳")
    expired = _chat(service, "Who is Carl Beaumont?", "+31", FOLLOW_UP)
    assert not expired[1].startswith("↳")
    off = _chat(service, "Who is Carl Beaumont?", FOLLOW_UP, minutes=0)
    assert not off[1].startswith("↳")


def test_switching_story_ends_the_conversation(service: AnswerService) -> None:
    replies = _chat(service, "Who is Carl Beaumont?", f"/story {RAIL}", FOLLOW_UP)
    assert not replies[2].startswith("↳")


def test_source_and_stories_show_author_publisher_and_date(service: AnswerService) -> None:
    source, stories = _chat(service, "/source", "/stories")
    assert "author: By Tom Reyes" in source
    assert "publisher: Eastbrook Daily" in source
    assert "published: Published Sunday, 11:48 PM" in source
    rail = next(line for line in stories.splitlines() if line.startswith(RAIL))
    assert "Tom Reyes" in rail
    assert "Sunday, 11:48 PM" in rail


def test_who_wrote_it_is_answered_from_the_byline(service: AnswerService) -> None:
    [reply] = _chat(service, "Who wrote this article?")
    assert reply.splitlines()[0] == "By Tom Reyes"
    assert "¶0" in reply
