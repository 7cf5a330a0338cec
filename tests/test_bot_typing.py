"""The "typing" action: shown while a slow answer is worked out, never for a quick one (Telegram's advice),
end to end against the fake Bot API, and the helpers that decide it and where an answer is worked out."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import Settings
from bot.telegram.progress import Offloader, shown_if_slow
from index.service import AnswerService
from index.types import Answer
from tests.bot_harness import running_bot
from tests.fake_bot_api import FakeBotAPI

SUMMIT = "where is the third summit?"
SUMMIT_SENTENCE = "in an unspecified time and place"


class HeldService(AnswerService):
    """The real index, whose answers wait until the test lets them go: a huge index, or a cold disk."""

    def __init__(self, index_path: Path, stories_dir: Path) -> None:
        super().__init__(index_path, stories_dir)
        self.release = threading.Event()
        self.asking = threading.Event()

    def ask(self, question: str, story: str | None = None, k: int = 3) -> Answer:
        self.asking.set()
        if not self.release.wait(20):
            raise TimeoutError("the test never released the answer")
        return super().ask(question, story, k)


async def test_a_slow_answer_shows_typing_first_then_the_answer(
    fake: FakeBotAPI, settings: Settings, index_path: Path, stories_dir: Path
) -> None:
    service = HeldService(index_path, stories_dir)
    async with running_bot(fake, settings, service=service):
        fake.message(SUMMIT, user_id=42)
        typing = (await fake.wait_sent(1, "sendChatAction"))[0]
        assert typing.params["action"] == "typing"
        assert typing.params["chat_id"] == 42
        assert not fake.sent("sendMessage")  # still working on it
        service.release.set()
        sent = (await fake.wait_sent())[0]
        assert SUMMIT_SENTENCE in sent.result["text"]
        assert fake.calls.index(typing) < fake.calls.index(sent)


async def test_a_slow_answer_in_one_chat_does_not_hold_up_another(
    fake: FakeBotAPI, settings: Settings, index_path: Path, stories_dir: Path
) -> None:
    service = HeldService(index_path, stories_dir)
    async with running_bot(fake, settings, service=service):
        fake.message(SUMMIT, user_id=1)
        await asyncio.to_thread(service.asking.wait, 10)
        fake.message("/help", user_id=2)  # answered while chat 1's answer is still being worked out
        help_sent = (await fake.wait_sent())[0]
        assert help_sent.params["chat_id"] == 2
        service.release.set()
        await fake.wait_sent(2)


async def test_a_quick_answer_sends_no_typing_action(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message(SUMMIT, user_id=42)
        fake.message(f"/ask {SUMMIT}", user_id=43)
        await fake.wait_sent(2)
        assert not fake.sent("sendChatAction", delivered=False)


async def test_the_sign_of_life_repeats_while_the_work_lasts() -> None:
    shown = 0
    twice = threading.Event()

    async def show() -> None:
        nonlocal shown
        shown += 1
        if shown == 2:
            twice.set()

    def work() -> str:
        if not twice.wait(20):
            raise TimeoutError("never shown twice")
        return "done"

    assert await shown_if_slow(work, show, after=0.01, every=0.01) == "done"
    assert shown >= 2


async def test_quick_work_is_not_shown_and_its_error_reaches_the_caller() -> None:
    shown: list[int] = []

    async def show() -> None:
        shown.append(1)

    assert await shown_if_slow(lambda: 42, show, after=30) == 42

    def broken() -> int:
        raise ValueError("no index")

    with pytest.raises(ValueError, match="no index"):
        await shown_if_slow(broken, show, after=30)
    assert shown == []


def _where(log: list[int]) -> Callable[[], str]:
    def work() -> str:
        log.append(threading.get_ident())
        return "answer"

    return work


def _busy(seconds: float) -> Callable[[], str]:
    def work() -> str:
        end = time.thread_time() + seconds  # CPU, as an answer on a huge index spends it
        while time.thread_time() < end:
            pass
        return "slow answer"

    return work


async def _nothing() -> None:
    return None


async def test_the_first_work_goes_to_a_thread_and_quick_work_then_runs_on_the_loop() -> None:
    offloader, ran = Offloader(), []
    assert await offloader.run(_where(ran), _nothing) == "answer"
    assert await offloader.run(_where(ran), _nothing) == "answer"
    assert ran[0] != threading.get_ident()  # cost unknown: not on the loop
    assert ran[1] == threading.get_ident()


async def test_after_slow_work_the_next_goes_to_a_thread_until_work_is_quick_again() -> None:
    offloader, ran = Offloader(budget=0.002), []
    await offloader.run(_where(ran), _nothing)
    assert offloader.inline
    await offloader.run(_busy(0.02), _nothing)  # ten times the budget, measured on the loop
    assert not offloader.inline
    for _ in range(30):
        await offloader.run(_where(ran), _nothing)
    assert ran[1] != threading.get_ident()  # the one right after the slow work
    assert threading.get_ident() in ran[2:]  # quick again: back on the loop


async def test_work_that_is_not_ready_never_runs_on_the_loop() -> None:
    offloader, ran = Offloader(), []
    for _ in range(3):
        await offloader.run(_where(ran), _nothing, ready=False)
    assert threading.get_ident() not in ran
    assert not offloader.inline  # and loading first says nothing about what an answer costs


async def test_an_error_on_the_loop_reaches_the_caller_and_a_slow_one_counts_as_slow() -> None:
    offloader, ran = Offloader(budget=0.002), []
    await offloader.run(lambda: 1, _nothing)

    def broken() -> int:
        ran.append(threading.get_ident())
        _busy(0.02)()
        raise ValueError("no index")

    with pytest.raises(ValueError, match="no index"):
        await offloader.run(broken, _nothing)
    assert ran == [threading.get_ident()]  # it failed on the loop
    assert not offloader.inline  # and took long doing it
    assert await offloader.run(lambda: 2, _nothing) == 2


class SlowService(HeldService):
    """The real index on a machine where every answer costs CPU past the budget (a huge index); answers
    go at once unless the test holds them, to see what the bot does meanwhile."""

    def __init__(self, index_path: Path, stories_dir: Path) -> None:
        super().__init__(index_path, stories_dir)
        self.release.set()

    def ask(self, question: str, story: str | None = None, k: int = 3) -> Answer:
        _busy(0.005)()
        return super().ask(question, story, k)


async def test_a_slow_more_or_inline_answer_is_worked_out_off_the_loop(
    fake: FakeBotAPI, settings: Settings, index_path: Path, stories_dir: Path
) -> None:
    service = SlowService(index_path, stories_dir)
    async with running_bot(fake, settings, service=service):
        fake.message(SUMMIT, user_id=1)
        first = (await fake.wait_sent())[0].result  # measured: slow, so what follows goes to a thread
        for action, reply in (
            (lambda: fake.press(first, user_id=1), "editMessageText"),
            (lambda: fake.inline("summit", user_id=1), "answerInlineQuery"),
        ):
            service.release.clear()
            service.asking.clear()
            action()
            await asyncio.to_thread(service.asking.wait, 10)
            helps = len(fake.sent()) + 1
            fake.message("/help", user_id=2)  # answered while the button's or inline answer is held
            assert (await fake.wait_sent(helps))[-1].params["chat_id"] == 2
            assert not fake.sent(reply)
            service.release.set()
            await fake.wait_sent(1, reply)


async def test_two_quick_presses_of_more_page_on_twice(
    fake: FakeBotAPI, settings: Settings, index_path: Path, stories_dir: Path
) -> None:
    service = SlowService(index_path, stories_dir)  # answers in a thread, so two presses could overlap
    async with running_bot(fake, settings, service=service):
        fake.message(SUMMIT, user_id=1)
        first = (await fake.wait_sent())[0].result
        fake.press(first, user_id=1)
        fake.press(first, user_id=1)
        edits = await fake.wait_sent(2, "editMessageText")
    assert len(fake.sent("editMessageText")) == 2  # counted after the bot stopped: no third page
    bold = [e.result["html"].split("<b>")[1].split("</b>")[0] for e in edits]
    assert bold[0] != bold[1]
    assert len(fake.sent()) == 1  # no page sent again as a new message
