"""Where a Telegram chat's conversation lives: in PTB's `context.chat_data`, as plain JSON-able data, so a
persistence layer can store it as it is. Per chat, so two chats never see each other's context.

The shape of `chat_data` (every key optional):

    {
      "conversation": CONV,                  # a private chat: the chat's recent turns
      "users": {"<asker>": CONV, ...},       # a group: each user's own last turns (at most MAX_USERS),
                                             #   under a keyed hash of the user id, never the id itself
      "replies": {"<bot message id>": CONV}, # a group: the conversation each answer of the bot continues
                                             #   when someone replies to it (the last MAX_REPLIES answers)
    }
    CONV = {"story": <the chat's story id or None>,
            "turns": [{"q", "understood", "sentence", "passage_id", "story", "answered", "at"}, ...]}

CONV is made and read by index.dialogue (remember / recent_turns): at most index.dialogue.MAX_TURNS turns,
"at" in epoch seconds, expired by the reader after STORYBOT_CONTEXT_MINUTES idle.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

CONVERSATION = "conversation"
USERS = "users"
REPLIES = "replies"
MAX_REPLIES = 50
MAX_USERS = 500


def current(chat_data: MutableMapping[Any, Any], private: bool, asker: str | None, replied_to: int | None) -> object:
    """The conversation a question continues: the chat's in private; in a group the answer replied to,
    else the asking user's own."""
    if private:
        return chat_data.get(CONVERSATION)
    if replied_to is not None:
        found = _table(chat_data, REPLIES).get(str(replied_to))
        if found is not None:
            return found
    return _table(chat_data, USERS).get(asker) if asker is not None else None


def store(
    chat_data: MutableMapping[Any, Any],
    private: bool,
    asker: str | None,
    conversation: dict[str, object],
    answer_id: int | None,
) -> None:
    """Keep the conversation after an answer: as the chat's, or the user's and the answer message's."""
    if private:
        chat_data[CONVERSATION] = conversation
        return
    if asker is not None:
        _put(_table(chat_data, USERS), asker, conversation, MAX_USERS)
    if answer_id is not None:
        _put(_table(chat_data, REPLIES), str(answer_id), conversation, MAX_REPLIES)


def forget(chat_data: MutableMapping[Any, Any], private: bool, asker: str | None) -> None:
    """/new: the asker's conversation ends."""
    if private:
        chat_data.pop(CONVERSATION, None)
        chat_data.pop(REPLIES, None)
    elif asker is not None:
        _table(chat_data, USERS).pop(asker, None)


def forget_all(chat_data: MutableMapping[Any, Any]) -> None:
    """The chat switched story: every conversation in it ends."""
    for key in (CONVERSATION, USERS, REPLIES):
        chat_data.pop(key, None)


def _table(chat_data: MutableMapping[Any, Any], name: str) -> dict[str, Any]:
    table = chat_data.get(name)
    if not isinstance(table, dict):
        table = chat_data[name] = {}
    return table


def _put(table: dict[str, Any], key: str, value: object, limit: int) -> None:
    table.pop(key, None)  # re-inserted last: the oldest go first
    table[key] = value
    while len(table) > limit:
        table.pop(next(iter(table)))
