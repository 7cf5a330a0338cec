"""python-telegram-bot's persistence over the state file (bot/store/db.py): chat_data and user_data as JSON.

Ids are stored only as keyed hashes, so the file cannot say which chats it holds: a chat's stored
data is handed back the first time the chat is seen again (`refresh_chat_data`, which PTB calls
before every handler), not all at start. Without STORYBOT_KEEP_QUESTIONS no question's text is stored:
a chat's answers and conversation then stay in memory, and its buttons expire with a restart.
bot_data holds the answer service and is not stored.

Writes are batched the PTB way: PTB hands over the chats and users touched every `update_interval`
seconds and at shutdown, and the questions and votes recorded since go in the same transaction, in a
worker thread. A write that fails (the file locked, read-only, full or damaged) is logged in one line,
kept, and tried again with the next batch; the bot answers from memory meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.errors import UsageError
from bot.store.db import Batch, CorruptStateError, NewerStateError, StateDB, describe, to_json
from bot.store.records import Asked, Vote
from bot.telegram.pages import QUESTION_KEYS

log = logging.getLogger("storybot.state")

UPDATE_INTERVAL = 10.0  # seconds between writes (STORYBOT_STATE_WRITE_SECONDS): what a crash may lose
MAX_UNWRITTEN_QUESTIONS = 100_000  # kept in memory while the file refuses writes; the oldest go first

Data = dict[Any, Any]


class StatePersistence(BasePersistence[Data, Data, Data]):
    def __init__(self, db: StateDB, update_interval: float = UPDATE_INTERVAL) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=True, user_data=True, callback_data=False),
            update_interval=update_interval,
        )
        self.db = db
        self._staged = Batch()
        self._stored: dict[str, dict[str, Any]] = {"chat": {}, "user": {}}  # by hashed id, not yet seen again
        self._seen: dict[str, set[int]] = {"chat": set(), "user": set()}
        self._writer: asyncio.Task[None] | None = None
        self._retry: asyncio.TimerHandle | None = None  # after a failed write, even if no update comes
        self._failure: str | None = None  # the failure last logged, so a lasting one is said once
        self.dropped_questions = 0
        try:
            db.open()
        except (CorruptStateError, NewerStateError):
            raise  # `storybot serve` refuses these: one line, and what to do
        except (sqlite3.Error, OSError) as exc:
            self._failed("cannot open", exc)

    # ---- what the bot records ----

    def asked(self, event: Asked) -> None:
        waiting = self._staged.asked
        waiting.append(event)
        if len(waiting) > MAX_UNWRITTEN_QUESTIONS:  # the file has refused writes for long: the oldest go
            cut = len(waiting) // 10
            del waiting[:cut]
            self.dropped_questions += cut

    def voted(self, vote: Vote) -> None:
        self._staged.votes[vote.key] = vote  # a changed vote replaces the earlier one

    async def write_now(self) -> bool:
        """Write everything staged (after any write under way); True when the file has it all."""
        if self._writer is not None:
            with contextlib.suppress(Exception):
                await self._writer
        await self._write()
        return not self._staged

    # ---- BasePersistence: loading ----

    async def get_chat_data(self) -> dict[int, Data]:
        self._stored["chat"] = self._load("chat")
        return {}  # handed back chat by chat: refresh_chat_data

    async def get_user_data(self) -> dict[int, Data]:
        self._stored["user"] = self._load("user")
        return {}

    async def get_bot_data(self) -> Data:
        return {}  # not stored (store_data says so): bot_data holds the live answer service

    async def get_callback_data(self) -> Any:
        return None  # not stored: the buttons carry short keys into chat_data (bot/telegram/pages.py)

    async def get_conversations(self, name: str) -> dict[Any, object]:
        raise NotImplementedError("storybot has no ConversationHandler: its conversations live in chat_data")

    async def refresh_chat_data(self, chat_id: int, chat_data: Data) -> None:
        self._hand_back("chat", chat_id, chat_data)

    async def refresh_user_data(self, user_id: int, user_data: Data) -> None:
        self._hand_back("user", user_id, user_data)

    async def refresh_bot_data(self, bot_data: Data) -> None:
        return None

    def _hand_back(self, kind: str, ident: int, data: Data) -> None:
        stored, seen = self._stored[kind], self._seen[kind]
        if not stored or ident in seen:  # nothing left to hand back, or handed back already
            return
        seen.add(ident)
        try:
            value = stored.pop(self.db.hash_id(ident) or "", None)
        except (sqlite3.Error, OSError, UsageError):
            return
        if isinstance(value, dict):
            for key, item in value.items():
                data.setdefault(key, item)
        if not stored:
            seen.clear()

    def _load(self, kind: str) -> dict[str, Any]:
        try:
            return self.db.load(kind)
        except (sqlite3.Error, OSError, UsageError) as exc:
            self._failed("cannot read", exc)
            return {}

    # ---- BasePersistence: writing ----

    async def update_chat_data(self, chat_id: int, data: Data) -> None:
        self._stage("chat", chat_id, data)

    async def update_user_data(self, user_id: int, data: Data) -> None:
        self._stage("user", user_id, data)

    async def update_bot_data(self, data: Data) -> None:
        return None  # never called: store_data leaves bot_data out

    async def update_callback_data(self, data: Any) -> None:
        return None  # never called: store_data leaves callback_data out

    async def update_conversation(self, name: str, key: Any, new_state: object | None) -> None:
        raise NotImplementedError("storybot has no ConversationHandler")

    async def drop_chat_data(self, chat_id: int) -> None:
        self._staged.data[("chat", chat_id)] = None
        self._write_soon()

    async def drop_user_data(self, user_id: int) -> None:
        self._staged.data[("user", user_id)] = None
        self._write_soon()

    async def flush(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if not await self.write_now():
            lost = self._staged
            log.warning(
                "stopping without writing %d questions, %d votes and %d chats' or users' state to %s",
                len(lost.asked),
                len(lost.votes),
                len(lost.data),
                self.db.path,
            )
        self.db.close()

    def _stage(self, kind: str, ident: int, data: Data) -> None:
        if not self.db.keep_questions and kind == "chat":  # readers' words stay in memory only
            data = {k: v for k, v in data.items() if k not in QUESTION_KEYS}
        try:
            self._staged.data[(kind, ident)] = to_json(data) if data else None
        except (TypeError, ValueError) as exc:  # a value JSON cannot hold: a bug, said once, never pickled
            if self._failure != f"json:{kind}":
                self._failure = f"json:{kind}"
                log.error("%s data holds a value JSON cannot store (%s); that %s's state is not saved", kind, exc, kind)
            return
        self._write_soon()

    def _write_soon(self) -> None:
        """One write for the whole round PTB is handing over (it stages every chat, then this runs)."""
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_after_round(), name="storybot:state")

    async def _write_after_round(self) -> None:
        await asyncio.sleep(0)
        await self._write()

    async def _write(self) -> None:
        batch, self._staged = self._staged, Batch()
        if not batch:
            return
        try:
            await asyncio.to_thread(self.db.write, batch)
        except (sqlite3.Error, OSError, UsageError) as exc:
            self._staged = batch.under(self._staged)  # nothing half-written: all of it waits for the next try
            self.db.close()  # reopened next time: a file made writable again, or moved aside, is seen afresh
            self._failed("cannot write", exc)
            if self._retry is None:
                self._retry = asyncio.get_running_loop().call_later(self.update_interval, self._try_again)
            return
        if self._failure is not None and not self._failure.startswith("json:"):
            log.warning("the state file %s is written again", self.db.path)
            self._failure = None

    def _try_again(self) -> None:
        self._retry = None
        self._write_soon()

    def _failed(self, doing: str, exc: BaseException) -> None:
        what = f"{doing} the state file {self.db.path}: {describe(exc)}"
        if what != self._failure:
            log.warning("%s; answering from memory, trying again every %g s", what, self.update_interval)
            self._failure = what
