"""Updates that are not a question: each, as Telegram shapes it, through the running bot. No crash
(nothing logged as a failure), and no reply where none is due; a /help after it is the marker that
everything before it has been handled."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from telegram import Update

from bot.config import Settings
from tests.bot_harness import running_bot
from tests.fake_bot_api import BOT_USERNAME, FakeBotAPI

SUMMIT = "where is the third summit?"
SUMMIT_SENTENCE = "in an unspecified time and place"
GROUP = {"chat_id": -100777, "chat_type": "supergroup"}
REPLIES = ("sendMessage", "editMessageText", "sendChatAction", "answerCallbackQuery", "answerInlineQuery")


def _edited(fake: FakeBotAPI) -> Any:
    return fake.edit(fake.message("hello there", user_id=42, chat_type="private"), SUMMIT)


ODD: dict[str, Callable[[FakeBotAPI], Any]] = {
    "sticker": lambda fake: fake.sticker(),
    "photo": lambda fake: fake.photo(),
    "photo with a question as caption": lambda fake: fake.photo(caption=SUMMIT),
    "channel post (no user)": lambda fake: fake.channel_post(SUMMIT),
    "command in a channel (no user)": lambda fake: fake.channel_post(f"/ask@{BOT_USERNAME} {SUMMIT}"),
    "poll (neither user nor chat)": lambda fake: fake.poll_update(),
    "command for another bot, private": lambda fake: fake.message(f"/ask@other_bot {SUMMIT}"),
    "command for another bot, group": lambda fake: fake.message(f"/ask@other_bot {SUMMIT}", **GROUP),
    "help for another bot, group": lambda fake: fake.message("/help@other_bot", **GROUP),
    "unknown command": lambda fake: fake.message("/frobnicate now"),
}


async def _marker_answered(fake: FakeBotAPI) -> None:
    fake.message("/help", user_id=42)
    await fake.wait_sent(1)


def _only_the_marker_answered(fake: FakeBotAPI, caplog: pytest.LogCaptureFixture) -> None:
    """Checked once the bot has stopped, with every update it took handled: a reply to the odd one
    would be counted here."""
    replies = [c for c in fake.calls if c.method in REPLIES]
    assert [c.method for c in replies] == ["sendMessage"], [(c.method, c.params) for c in replies]
    assert "/ask" in fake.texts()[0]
    failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not failures, [r.getMessage() for r in failures]


@pytest.mark.parametrize("kind", list(ODD))
async def test_an_update_that_is_not_a_question_gets_no_reply(
    kind: str, fake: FakeBotAPI, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(fake, settings):
        ODD[kind](fake)
        await _marker_answered(fake)
    _only_the_marker_answered(fake, caplog)


async def test_an_edited_question_is_not_answered_again(
    fake: FakeBotAPI, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(fake, settings):
        question = fake.message(SUMMIT, user_id=42)
        await fake.wait_sent(1)
        fake.edit(question, SUMMIT + " (edited)")
        fake.message("/help", user_id=42)
        await fake.wait_sent(2)
    assert [c.method for c in fake.calls if c.method in REPLIES] == ["sendMessage", "sendMessage"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_an_anonymous_admins_question_in_a_group_is_answered(
    fake: FakeBotAPI, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(fake, settings):
        fake.anonymous_admin(f"/ask {SUMMIT}")
        sent = (await fake.wait_sent(1))[0]
        assert SUMMIT_SENTENCE in sent.result["text"]
        assert sent.params["chat_id"] == GROUP["chat_id"]
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_an_update_the_library_cannot_read_is_skipped_not_fetched_forever(
    fake: FakeBotAPI, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(fake, settings):
        poll = fake.poll_update()["poll"]
        del poll["options"][0]["persistent_id"]  # as an older self-hosted Bot API server sends it
        fake.message(SUMMIT, user_id=42)  # in the same batch: it must not be lost with it
        sent = (await fake.wait_sent(1))[0]
        assert SUMMIT_SENTENCE in sent.result["text"]
    skipped = [r.getMessage() for r in caplog.records if r.name == "storybot.updates"]
    assert len(skipped) == 1
    assert "could not be read" in skipped[0]
    # one warning line, not the library's CRITICAL dump of the batch with a traceback
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


async def test_a_batch_that_reads_whole_is_parsed_once(
    fake: FakeBotAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[int] = []
    de_json = Update.de_json

    def counting(data: dict[str, object], bot: object) -> Update:
        update = de_json(data, bot)  # type: ignore[arg-type]
        parsed.append(update.update_id)
        return update

    monkeypatch.setattr(Update, "de_json", counting)
    async with running_bot(fake, settings):
        fake.message(SUMMIT, user_id=42)
        fake.message("/help", user_id=43)
        await fake.wait_sent(2)
    assert len(parsed) == len(set(parsed)) == 2
