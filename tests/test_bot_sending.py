"""bot/telegram/sending.py posts exactly what python-telegram-bot's Message.reply_html posts for a reply."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.ext import ExtBot

from bot.telegram.jsonbody import JSONRequest
from bot.telegram.sending import keyboard, reply_html
from tests.fake_bot_api import FakeBotAPI

HTML = "the passage, <b>the sentence</b> — <i>the citation</i>"
BUTTONS = [[("More", "more:abc"), ("👍", "good:abc"), ("👎", "bad:abc")]]

# the messages a reply can answer: a private chat, a group, a forum topic, a business chat
SHAPES: dict[str, dict[str, Any]] = {
    "private": {},
    "group": {"chat_id": -100123, "chat_type": "supergroup"},
    "topic": {"chat_id": -100124, "chat_type": "supergroup", "message_thread_id": 77, "is_topic_message": True},
    "thread, not a topic": {"chat_id": -100125, "chat_type": "supergroup", "message_thread_id": 78},
    "business": {"business_connection_id": "biz-1"},
    "direct messages": {"chat_id": -100126, "chat_type": "supergroup", "direct_messages_topic": {"topic_id": 9}},
}


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("quote", [False, True])
async def test_a_reply_posts_what_reply_html_posts_and_returns_the_new_message_id(
    fake: FakeBotAPI, shape: str, quote: bool
) -> None:
    bot = ExtBot(fake.token, base_url=fake.base_url, request=JSONRequest())
    await bot.initialize()
    try:
        update = fake.message("a question", user_id=42, **SHAPES[shape])
        message = Message.de_json(update["message"], bot)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data) for text, data in BUTTONS[0]]])
        theirs = await message.reply_html(HTML, reply_markup=markup, do_quote=quote)
        ours = await reply_html(message, HTML, keyboard(BUTTONS), quote=quote)
    finally:
        await bot.shutdown()
    first, second = fake.sent()
    assert second.params == first.params
    assert second.params["text"] == HTML
    assert ("reply_parameters" in second.params) is quote
    assert ours == second.result["message_id"] != theirs.message_id


def test_a_keyboard_without_buttons_is_none_and_empty_rows_are_left_out() -> None:
    assert keyboard([[]]) is None
    assert keyboard([]) is None
    assert keyboard([[], [("More", "more:1")]]) == {"inline_keyboard": [[{"text": "More", "callback_data": "more:1"}]]}
