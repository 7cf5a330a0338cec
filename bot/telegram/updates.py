"""Reading updates one by one when a batch cannot be read whole, so one bad update does not make the bot deaf.

python-telegram-bot reads a getUpdates batch whole. When one update in it fails to parse (a self-hosted
Bot API server older than the library, a library bug with a new field), the whole batch is dropped
unconfirmed and fetched again at the next poll, failing the same way, forever: every question after it
goes unanswered. Here, only when that happens, the batch is read again update by update: one that cannot
be read is logged and replaced by its bare id, so the batch is confirmed and the questions beside it are
answered. A batch that reads whole is parsed once, by the library, as usual.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ExtBot

log = logging.getLogger("storybot.updates")


class _NotTheUnreadBatch(logging.Filter):
    """Drops the library's CRITICAL report of a batch it could not read (the raw batch, users' messages
    and all, with a traceback): the batch is read update by update instead, and each update skipped gets
    one warning line of its own."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Error while parsing updates")


class TolerantBot(ExtBot[None]):
    _batch: list[dict[str, Any]] | None = None  # the last getUpdates result, raw

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        library = self._LOGGER
        if not any(isinstance(f, _NotTheUnreadBatch) for f in library.filters):
            library.addFilter(_NotTheUnreadBatch())

    async def _do_post(self, endpoint: str, data: Any, **kwargs: Any) -> Any:
        result = await super()._do_post(endpoint, data, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            self._batch = result
        return result

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        self._batch = None
        try:
            return await super().get_updates(*args, **kwargs)
        except TelegramError:
            raise
        except Exception:  # the batch came back but could not be read whole
            batch, self._batch = self._batch, None
            if batch is None:
                raise
            updates = tuple(self._readable(raw) for raw in batch)
            for update in updates:  # as ExtBot.get_updates does after reading a batch
                self.insert_callback_data(update)
            return updates

    def _readable(self, raw: dict[str, Any]) -> Update:
        try:
            return Update.de_json(raw, self)
        except Exception as exc:  # whatever the library trips on, the rest of the batch must go through
            kinds = [key for key in raw if key != "update_id"]
            log.warning("skipped update %s (%s): it could not be read: %s", raw.get("update_id"), kinds, exc)
            return Update(raw["update_id"])
