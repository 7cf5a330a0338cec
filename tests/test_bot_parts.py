"""The bot's parts on their own: rate limit, "More" memory, retries, token redaction, group addressing."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot import logs
from bot.telegram.limits import KeyedLock, UserRateLimit, Verdict
from bot.telegram.pages import ChatPages
from bot.telegram.replies import EXPIRED, Replies, addressed_question
from bot.telegram.retry import RetryingLimiter
from index.service import AnswerService
from tests.fake_bot_api import FakeBotAPI

CANARY = "918273:CANARY-token-AAbbCCdd"


def test_rate_limit_allows_then_notifies_once_then_is_silent_until_the_window_passes() -> None:
    limit = UserRateLimit(per_minute=3)
    verdicts = [limit.check(1, now=float(t)) for t in range(6)]
    assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.NOTIFY] + [Verdict.SILENT] * 2
    assert limit.check(2, now=5.0) is Verdict.ALLOW
    assert limit.check(1, now=60.0) is Verdict.ALLOW


def test_rate_limit_zero_is_off() -> None:
    limit = UserRateLimit(per_minute=0)
    assert all(limit.check(1, now=0.0) is Verdict.ALLOW for _ in range(1000))
    assert len(limit) == 0


def test_rate_limit_memory_is_bounded_over_100k_users() -> None:
    limit = UserRateLimit(per_minute=20, capacity=10_000)
    for user in range(100_000):
        limit.check(user, now=1.0)
    assert len(limit) == 10_000
    assert limit.check(99_999, now=1.0) is Verdict.ALLOW  # recent users are still remembered


def test_a_chats_answers_are_bounded_and_forget_the_oldest(service: AnswerService) -> None:
    chat_data: dict[str, object] = {}
    pages = ChatPages.of(chat_data)
    replies = Replies(service)
    keys = [replies.question(f"where is summit {n}?", None, pages).answer_key for n in range(100)]
    assert len(pages) == 20
    assert chat_data["answers"] is pages.store  # the chat's own data: what persistence stores
    assert keys[0] is not None
    assert keys[-1] is not None
    assert pages.get(keys[0]) is None
    assert pages.get(keys[-1]) is not None
    assert all(len(f"more:{k}".encode()) <= 64 for k in keys if k)
    assert replies.more(f"more:{keys[0]}", pages) == EXPIRED
    json.dumps(chat_data)  # plain JSON, nothing else


async def test_keyed_locks_serialise_one_key_and_vanish_when_free() -> None:
    locks: KeyedLock[int] = KeyedLock()
    order: list[str] = []

    async def work(key: int, name: str, pause: float) -> None:
        async with locks.hold(key):
            await asyncio.sleep(pause)
            order.append(name)

    await asyncio.gather(work(1, "a1", 0.05), work(1, "a2", 0), work(2, "b", 0))
    assert order == ["b", "a1", "a2"]
    assert len(locks) == 0


@pytest.mark.parametrize(
    ("text", "to_bot", "expected"),
    [
        ("@story_bot where is it?", False, "where is it?"),
        ("where is it @Story_Bot?", False, "where is it ?"),
        ("where is it?", True, "where is it?"),
        ("where is it?", False, None),
        ("mail me at x@story_botany.com", False, None),
        ("@story_bot", False, None),
    ],
)
def test_group_messages_are_questions_only_when_addressed(text: str, to_bot: bool, expected: str | None) -> None:
    assert addressed_question(text, "story_bot", to_bot) == expected


class Flaky:
    """A Bot API call that fails with the given errors, then succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": True}


@pytest.fixture(autouse=True)
def _timedelta_periods(monkeypatch: pytest.MonkeyPatch) -> None:
    """As the bot runs: PTB 23's timedelta periods, without the deprecation warnings."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def run(limiter: RetryingLimiter, call: Flaky) -> Any:
    return await limiter.process_request(call, (), {}, "sendMessage", {}, None)


async def test_retry_after_and_server_errors_are_retried() -> None:
    call = Flaky(RetryAfter(0), NetworkError("Bad Gateway"), NetworkError("Internal Server Error"))
    assert await run(RetryingLimiter(0, first_backoff=0), call) == {"ok": True}
    assert call.calls == 4


async def test_retries_are_bounded_in_count() -> None:
    call = Flaky(*[NetworkError("Bad Gateway")] * 10)
    with pytest.raises(NetworkError):
        await run(RetryingLimiter(0, attempts=3, first_backoff=0), call)
    assert call.calls == 3


async def test_retries_are_bounded_in_time() -> None:
    call = Flaky(RetryAfter(3600))
    with pytest.raises(RetryAfter):
        await run(RetryingLimiter(0, budget=60), call)
    assert call.calls == 1


def timed_out(cause: Exception | None) -> TimedOut:
    """TimedOut as PTB raises it: `raise TimedOut from <httpx error>`."""
    error = TimedOut()
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "error",
    [
        timed_out(httpx.ReadTimeout("no reply")),  # sent: Telegram may have acted on it
        timed_out(None),
        BadRequest("message is too long"),
    ],
)
async def test_timeouts_waiting_for_the_reply_and_bad_requests_are_not_retried(error: Exception) -> None:
    call = Flaky(error)
    with pytest.raises(type(error)):
        await run(RetryingLimiter(0, first_backoff=0), call)
    assert call.calls == 1


@pytest.mark.parametrize(
    "cause", [httpx.ConnectTimeout("connect"), httpx.PoolTimeout("pool"), httpx.WriteTimeout("write")]
)
async def test_timeouts_before_the_request_got_out_are_retried(cause: Exception) -> None:
    call = Flaky(timed_out(cause))
    assert await run(RetryingLimiter(0, first_backoff=0), call) == {"ok": True}
    assert call.calls == 2


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Root logging to a string, as `storybot serve` sets it up, restored afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG)
    yield out
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


async def test_the_token_never_reaches_the_log_even_from_httpx_at_debug(log_output: io.StringIO) -> None:
    fake = FakeBotAPI(token=CANARY).start()
    loggers = [logging.getLogger(name) for name in ("httpx", "httpcore")]
    levels = [lg.level for lg in loggers]
    hooks = sys.excepthook, threading.excepthook  # install() takes them over, for a serve process
    try:
        logs.install(CANARY)
        for lg in loggers:
            lg.setLevel(logging.DEBUG)
        async with httpx.AsyncClient() as client:
            await client.post(f"{fake.base_url}{CANARY}/getMe")
        log = logging.getLogger("storybot.test")
        log.debug("token %s and its secret %s", CANARY, CANARY.split(":")[1])
        bot = Bot(CANARY)
        assert CANARY in repr(bot)  # PTB's repr shows the token ...
        log.debug("the bot: %r, in a container: %r", bot, {"bot": bot})  # ... the log never does
        try:
            raise ValueError(f"bad url https://api.telegram.org/bot{CANARY}/getMe")
        except ValueError:
            log.exception("failed")
    finally:
        fake.stop()
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
        sys.excepthook, threading.excepthook = hooks
        logging.captureWarnings(False)
    text = log_output.getvalue()
    assert "getMe" in text  # httpx did log its request line
    assert "bot<token>/getMe" in text
    assert CANARY not in text
    assert CANARY.split(":")[1] not in text


def test_a_network_error_telegram_handled_itself_is_one_line_and_ours_keep_their_traceback(
    log_output: io.StringIO,
) -> None:
    hooks = sys.excepthook, threading.excepthook
    try:
        logs.install(CANARY)
        for name, error in (("telegram.ext.Updater", TimedOut()), ("storybot.test", ValueError("ours"))):
            try:
                raise error
            except (TimedOut, ValueError):
                logging.getLogger(name).exception("Error while calling `get_updates` one more time")
    finally:
        sys.excepthook, threading.excepthook = hooks
        logging.captureWarnings(False)
    telegram_line, *ours = log_output.getvalue().strip().splitlines()
    assert telegram_line.endswith("Error while calling `get_updates` one more time (TimedOut: Timed out)")
    assert ours[1] == "Traceback (most recent call last):"  # our own errors keep it
