"""Replies sent as plain JSON, without python-telegram-bot reading Telegram's copy of them back.

`Message.reply_html` builds the inline keyboard as objects and serialises it, then parses the message
Telegram returns into a `Message` (some hundred attributes, the keyboard once more) that the bot throws
away but for its id: together a large share of the bot's CPU per answer (bench/throughput.py). Here
the keyboard is JSON from the start, and `reply_html` posts the request `Message.reply_html` would post
for the bot's replies (the same chat, forum topic, business connection and direct-messages topic; a
quote when asked) through the library's own path for every call (defaults, the rate limiter and its
retries, bot/telegram/jsonbody.py's JSON body), and returns the new message's id. (The one thing it
leaves out, ExtBot's rewriting of keyboards for `arbitrary_callback_data`, storybot does not use: its
buttons carry short keys into chat_data, bot/telegram/pages.py.)
"""

from __future__ import annotations

from typing import Any

from telegram import Message
from telegram.constants import ParseMode

Keyboard = dict[str, Any]  # an InlineKeyboardMarkup as the Bot API takes it


def keyboard(rows: list[list[tuple[str, str]]]) -> Keyboard | None:
    """An inline keyboard of (label, callback data) buttons, or None when it has none."""
    rows = [row for row in rows if row]
    if not rows:
        return None
    return {"inline_keyboard": [[{"text": label, "callback_data": data} for label, data in row] for row in rows]}


def reply_data(message: Message, html: str, markup: Keyboard | None, quote: bool) -> dict[str, Any]:
    """The sendMessage parameters of an HTML reply to `message` (None values are left out when sent)."""
    topic = message.direct_messages_topic
    return {
        "chat_id": message.chat_id,
        "text": html,
        "parse_mode": ParseMode.HTML,
        "reply_markup": markup,
        "reply_parameters": {"message_id": message.message_id} if quote else None,
        # as Message.reply_html: a forum topic's reply stays in its topic, a business chat's in its connection
        "message_thread_id": message.message_thread_id if message.is_topic_message else None,
        "business_connection_id": message.business_connection_id,
        "direct_messages_topic_id": topic.topic_id if topic else None,
    }


async def reply_html(message: Message, html: str, markup: Keyboard | None = None, quote: bool = False) -> int:
    """Send `html` in reply to `message`; the id of the message sent."""
    result = await message.get_bot()._post("sendMessage", reply_data(message, html, markup, quote))
    return int(result["message_id"])
