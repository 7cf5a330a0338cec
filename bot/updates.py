"""Reading updates one by one, so that one the library cannot read does not make the bot deaf.

python-telegram-bot reads a getUpdates batch whole. When one update in it fails to parse (a self-hosted
Bot API server older than the library, a library bug with a new field), the whole batch is dropped
unconfirmed and fetched again at the next poll, failing the same way, forever: every question after it
goes unanswered. Here an update that cannot be read is logged and replaced by its bare id, so the
batch is confirmed and the questions beside it are answered.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

log = logging.getLogger("storybot.updates")


class TolerantBot(ExtBot[None]):
    async def _do_post(self, endpoint: str, data: Any, **kwargs: Any) -> Any:
        result = await super()._do_post(endpoint, data, **kwargs)
        if endpoint == "getUpdates" and isinstance(result, list):
            return [self._readable(raw) for raw in result]
        return result

    def _readable(self, raw: dict[str, Any]) -> dict[str, Any]:
        try:
            Update.de_json(raw, self)
        except Exception as exc:  # whatever the library trips on, the rest of the batch must go through
            kinds = [key for key in raw if key != "update_id"]
            log.warning("skipped update %s (%s): it could not be read: %s", raw.get("update_id"), kinds, exc)
            return {"update_id": raw["update_id"]}
        return raw
