"""Telegram's faults against the running bot: 429s and 5xx on sends, failing and stalled polls,
409 Conflict, a rejected token, a graceful stop with answers in flight, and webhook mode."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest

from bot.config import Settings
from bot.errors import UsageError
from bot.telegram.options import ServeOptions
from bot.telegram.runner import EXIT_CONFLICT, EXIT_STALLED, serve
from tests.bot_harness import POLL, bot_settings, running_bot
from tests.fake_bot_api import DROPPED, FakeBotAPI

SUMMIT = "where is the third summit?"


def delivered_per_chat(fake: FakeBotAPI) -> dict[int, int]:
    counts: dict[int, int] = {}
    for call in fake.sent("sendMessage"):
        counts[call.params["chat_id"]] = counts.get(call.params["chat_id"], 0) + 1
    return counts


async def test_429_and_5xx_on_sends_are_retried_and_every_question_answered_exactly_once(
    fake: FakeBotAPI, settings: Settings
) -> None:
    fake.fail("sendMessage", 429, times=1, retry_after=1)
    fake.fail("sendMessage", 502, times=1)
    fake.fail("sendMessage", 500, times=1)
    async with running_bot(fake, settings):
        for user in range(101, 106):  # concurrent questions from five users
            fake.message(SUMMIT, user_id=user)
        await fake.wait_sent(5)
    # counted once the bot has stopped, every update it took handled: a duplicate would be among these
    assert delivered_per_chat(fake) == {user: 1 for user in range(101, 106)}
    assert len(fake.sent("sendMessage", delivered=False)) == 8  # 5 delivered + 3 refused


async def test_one_chats_answers_keep_their_order_when_a_send_is_retried(fake: FakeBotAPI, settings: Settings) -> None:
    fake.fail("sendMessage", 429, times=1, retry_after=1, when="unspecified time and place")  # the first answer
    async with running_bot(fake, settings):
        fake.message(SUMMIT, user_id=7)
        fake.message("when was the strike set to begin?", user_id=7)
        first, second = (c.result["text"] for c in await fake.wait_sent(2))
        assert "unspecified time and place" in first
        assert "4 a.m. Monday" in second


async def test_the_limiter_on_still_retries_429(fake: FakeBotAPI, index_path: Path, stories_dir: Path) -> None:
    fake.fail("sendMessage", 429, times=1, retry_after=1)
    async with running_bot(fake, bot_settings(fake, index_path, stories_dir, max_sends_per_second=30)):
        fake.message(SUMMIT, user_id=5)
        fake.message(SUMMIT, user_id=6)
        await fake.wait_sent(2)
        assert delivered_per_chat(fake) == {5: 1, 6: 1}


async def test_polling_survives_5xx_and_timeouts_on_get_updates(fake: FakeBotAPI, settings: Settings) -> None:
    fake.fail("getUpdates", 502, times=1)
    fake.fail("getUpdates", 500, times=1)
    fake.fail("getUpdates", 200, times=1, delay=POLL + 3)  # a stalled long poll: past the read timeout
    async with running_bot(fake, settings):
        fake.message(SUMMIT)
        await fake.wait_sent(1, within=30)
        polls = [c.status for c in fake.sent("getUpdates", delivered=False)]
        assert polls[:2] == [502, 500]
        assert len(polls) >= 4  # the stalled poll was abandoned and polling went on


async def test_a_long_poll_that_never_ends_is_caught_by_the_watchdog_exit_4(
    fake: FakeBotAPI, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ServeOptions(poll_timeout=POLL, stall_limit=3)  # a whole poll takes at most POLL + 2 s
    async with running_bot(fake, settings, options, expect_exit=EXIT_STALLED) as task:
        fake.message(SUMMIT)
        await fake.wait_sent(1)
        await asyncio.sleep(4)  # idle polling past the limit is progress, not a stall
        assert not task.done()
        # a reply that dribbles in: every read gets a byte, so no read timeout ever fires
        fake.fail("getUpdates", 200, delay=60, trickle=True)
        await asyncio.wait_for(asyncio.shield(task), 20)
    assert "long polling stalled" in capsys.readouterr().err


async def test_a_send_whose_reply_times_out_is_not_sent_twice(
    fake: FakeBotAPI, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    # Telegram acts on the send but its reply comes after the bot stopped waiting
    fake.fail("sendMessage", 200, delay=2.0)
    async with running_bot(fake, settings, ServeOptions(poll_timeout=POLL, send_timeout=0.5)):
        fake.message(SUMMIT, user_id=5)
        await fake.wait_for(lambda: any("not sent again" in r.getMessage() for r in caplog.records))
        await fake.wait_sent(1)
        fake.message(SUMMIT, user_id=6)  # and the bot goes on answering
        await fake.wait_for(lambda: delivered_per_chat(fake).get(6))
        assert delivered_per_chat(fake) == {5: 1, 6: 1}
        assert len(fake.sent("sendMessage", delivered=False)) == 2


async def test_a_send_dropped_without_a_reply_is_sent_again_and_arrives_once(
    fake: FakeBotAPI, settings: Settings
) -> None:
    fake.fail("sendMessage", drop=True)  # the connection closes before Telegram acts on the send
    async with running_bot(fake, settings):
        fake.message(SUMMIT, user_id=5)
        await fake.wait_sent(1)
        assert [c.status for c in fake.sent("sendMessage", delivered=False)] == [DROPPED, 200]
        assert delivered_per_chat(fake) == {5: 1}


async def test_409_conflict_stops_the_bot_with_exit_3(
    fake: FakeBotAPI, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_bot(fake, settings, expect_exit=EXIT_CONFLICT) as task:
        fake.fail("getUpdates", 409, times=3)
        await asyncio.wait_for(asyncio.shield(task), 10)
    assert "another instance is running" in capsys.readouterr().err


async def test_a_rejected_token_is_one_line_without_the_token(
    fake: FakeBotAPI, index_path: Path, stories_dir: Path
) -> None:
    canary = "555000:CANARY-never-print-me"
    settings = bot_settings(fake, index_path, stories_dir, telegram_bot_token=canary)
    with pytest.raises(UsageError) as caught:
        await serve(settings, ServeOptions(poll_timeout=POLL))
    assert str(caught.value) == "Telegram rejected the bot token"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


async def test_a_token_revoked_while_polling_exits_2(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings, expect_exit=2) as task:
        fake.token = "999:revoked"  # every call from now on gets 401
        await asyncio.wait_for(asyncio.shield(task), 15)


async def test_an_answer_that_cannot_be_edited_in_is_sent_anew(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message(SUMMIT)
        first = (await fake.wait_sent())[0].result
        fake.fail("editMessageText", 400, description="Bad Request: message can't be edited")
        fake.press(first)
        second = (await fake.wait_sent(2))[1].result
        assert "<b>" in second["html"]
        assert second["reply_markup"]["inline_keyboard"][0][0]["text"] == "More"


async def test_stopping_lets_answers_in_flight_finish(fake: FakeBotAPI, settings: Settings) -> None:
    fake.fail("sendMessage", 200, times=1, delay=1.0)  # the answer is slow to send
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, ServeOptions(poll_timeout=POLL), stop))
    await fake.wait_for(lambda: fake.sent("getUpdates", delivered=False))
    fake.message(SUMMIT)
    await fake.wait_for(lambda: fake.sent("sendMessage", delivered=False))
    stop.set()
    assert await asyncio.wait_for(task, 20) == 0
    assert len(fake.sent("sendMessage")) == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


async def test_webhook_mode_answers_updates_posted_with_the_secret(fake: FakeBotAPI, settings: Settings) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hook"
    options = ServeOptions(webhook_url=url, listen="127.0.0.1", port=port, webhook_secret="s3cret-token_1")
    async with running_bot(fake, settings, options):
        webhook = (await fake.wait_sent(1, "setWebhook"))[0].params
        assert webhook["url"] == url
        assert webhook["secret_token"] == "s3cret-token_1"
        await fake.wait_for(lambda: listening(port))  # setWebhook comes before the server listens
        update = {"update_id": 1, "message": fake.message(SUMMIT, user_id=31)["message"]}
        fake._updates.clear()  # delivered by webhook, not by polling
        async with httpx.AsyncClient() as client:
            refused = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"})
            accepted = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token_1"}
            )
        assert refused.status_code == 403
        assert accepted.status_code == 200
        assert (await fake.wait_sent())[0].params["chat_id"] == 31
        assert not fake.sent("getUpdates", delivered=False)
