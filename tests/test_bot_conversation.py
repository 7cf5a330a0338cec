"""Conversations in Telegram, end to end: the real Application against the loopback fake Bot API.

Private chats keep the chat's recent turns; in a group a reply to an answer continues that answer's
conversation and anything else the asker's own; chats never see each other's context.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.config import Settings
from bot.telegram import conversation
from bot.telegram.handlers import NEW
from bot.telegram.replies import EXPIRED
from index.dialogue import Turn, remember
from tests.bot_harness import bot_settings, running_bot
from tests.conftest import RAIL
from tests.fake_bot_api import FakeBotAPI

WHO = "Who is Carl Beaumont?"
COST = "What did he say the deal would cost?"
UNDERSTOOD = "↳ What did Carl Beaumont say the deal would cost?"
SUMMIT = "where is the third summit?"
GROUP = {"chat_id": -100777, "chat_type": "supergroup"}


def _bold(text_html: str) -> str:
    return text_html.split("<b>")[1].split("</b>")[0]


async def test_a_private_follow_up_is_understood_and_says_so(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message(WHO, user_id=42)
        first = (await fake.wait_sent(1))[0].result
        fake.message(COST, user_id=42)
        second = (await fake.wait_sent(2))[1].result
    assert not first["text"].startswith("↳")
    assert second["text"].startswith(UNDERSTOOD)
    assert "$41 million" in _bold(second["html"])


async def test_new_forgets_the_conversation_and_retires_its_more_button(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message(WHO, user_id=42)
        first = (await fake.wait_sent(1))[0].result
        fake.message("/new", user_id=42)
        assert (await fake.wait_sent(2))[1].result["text"] == NEW
        fake.message(COST, user_id=42)
        third = (await fake.wait_sent(3))[2].result
        fake.press(first)
        ack = (await fake.wait_sent(1, "answerCallbackQuery"))[0]
    assert not third["text"].startswith("↳")
    assert ack.params["text"] == EXPIRED


async def test_follow_ups_end_when_context_minutes_is_0(fake: FakeBotAPI, index_path: Path, stories_dir: Path) -> None:
    settings = bot_settings(fake, index_path, stories_dir, context_minutes=0)
    async with running_bot(fake, settings):
        fake.message(WHO, user_id=42)
        await fake.wait_sent(1)
        fake.message(COST, user_id=42)
        second = (await fake.wait_sent(2))[1].result
    assert not second["text"].startswith("↳")


async def test_switching_story_ends_the_conversation(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        for n, text in enumerate([WHO, f"/story {RAIL}", COST], 1):
            fake.message(text, user_id=42)
            await fake.wait_sent(n)
    assert not fake.texts()[2].startswith("↳")


async def test_in_a_group_a_reply_continues_that_answer_and_users_keep_their_own(
    fake: FakeBotAPI, settings: Settings
) -> None:
    async with running_bot(fake, settings):
        fake.message(f"/ask {WHO}", user_id=5, **GROUP)
        answer_to_5 = (await fake.wait_sent(1))[0].result
        fake.message(f"/ask {COST}", user_id=6, **GROUP)  # another user: not user 5's conversation
        await fake.wait_sent(2)
        fake.message(COST, user_id=6, reply_to=answer_to_5, **GROUP)  # a reply to 5's answer continues it
        await fake.wait_sent(3)
        fake.message(f"/ask {COST}", user_id=5, **GROUP)  # 5's own last turn
        await fake.wait_sent(4)
        texts = fake.texts()
    assert not texts[1].startswith("↳")
    assert texts[2].startswith(UNDERSTOOD)
    assert texts[3].startswith(UNDERSTOOD)


async def test_interleaved_chats_never_see_each_others_context(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        with fake.burst():
            fake.message(WHO, user_id=101)
            fake.message(SUMMIT, user_id=102)
            fake.message(f"/ask {SUMMIT}", user_id=103, **GROUP)
        await fake.wait_sent(3)
        with fake.burst():
            fake.message("who said so?", user_id=102)
            fake.message(f"/ask {COST}", user_id=104, **GROUP)  # someone else in the group: no context
            fake.message(COST, user_id=101)
            fake.message("/ask who said so?", user_id=103, **GROUP)
        await fake.wait_sent(7)
        a, b, group = fake.texts(101), fake.texts(102), fake.texts(-100777)
    assert a[1].startswith(UNDERSTOOD)
    assert "Moon Jae-in said" in b[1]
    assert b[1].startswith("↳ who said")
    assert "Carl Beaumont" not in b[1].splitlines()[0]
    follow_ups = [t for t in group[1:] if t.startswith("↳")]
    assert len(follow_ups) == 1
    assert follow_ups[0].startswith("↳ who said")
    assert "Moon Jae-in said" in follow_ups[0]


def test_chat_data_holds_plain_json_bounded_per_user_and_per_answer() -> None:
    data: dict[str, object] = {}
    turn = Turn(WHO, WHO, "Regional transit chief Carl Beaumont said so.", f"{RAIL}:4.1", RAIL, True)
    for n in range(conversation.MAX_REPLIES + 10):
        kept = remember(None, turn, 1000.0 + n, None)
        conversation.store(data, False, f"user{n % 3}", kept, 5000 + n)
    assert json.loads(json.dumps(data)) == data
    assert len(data["replies"]) == conversation.MAX_REPLIES  # type: ignore[arg-type]
    assert set(data["users"]) == {"user0", "user1", "user2"}  # type: ignore[arg-type]
    recent = 5000 + conversation.MAX_REPLIES + 9
    assert conversation.current(data, False, "user1", recent) is not None  # a recent answer
    assert conversation.current(data, False, "user9", 5000) is None  # an answer too old, and a user who never asked
    conversation.forget(data, False, "user1")
    assert conversation.current(data, False, "user1", None) is None
    assert conversation.current(data, False, "user2", None) is not None  # the others keep theirs


async def test_who_wrote_it_and_source_show_the_story_s_own_lines(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        for n, text in enumerate([f"/story {RAIL}", "Who wrote this article?", "/source", "/stories"], 1):
            fake.message(text, user_id=42)
            await fake.wait_sent(n)
        _, wrote, source, stories = fake.texts()
    assert wrote.startswith("By Tom Reyes")
    assert "Author: By Tom Reyes" in source
    assert "Published: Published Sunday, 11:48 PM" in source
    assert "by Tom Reyes, Published Sunday, 11:48 PM" in stories
