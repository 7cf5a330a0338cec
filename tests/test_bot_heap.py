"""The heap after the index is loaded: what is alive is frozen out of the collector's way, and a
reload lets the old index go, cycles and all."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from bot import heap
from bot.config import Settings
from bot.telegram.handlers import reload_index
from index.service import AnswerService
from tests.bot_harness import running_bot
from tests.fake_bot_api import FakeBotAPI


async def test_the_running_bot_has_frozen_what_was_alive_once_the_index_loaded(
    fake: FakeBotAPI, settings: Settings
) -> None:
    assert gc.get_freeze_count() == 0
    async with running_bot(fake, settings):
        await fake.wait_sent(1, "setMyCommands")
        assert gc.get_freeze_count() > 10_000  # the libraries' modules and the index


async def test_a_reload_frees_the_old_index_even_one_in_a_reference_cycle(
    index_path: Path, stories_dir: Path
) -> None:
    service = AnswerService(index_path, stories_dir)
    service.open()
    old = service.corpus
    old.cycle = old  # type: ignore[attr-defined]  # only the collector can free this one
    gone = weakref.ref(old)
    del old
    heap.settle()  # as the bot does once the index is loaded: the old index is frozen now
    assert "Reloaded" in await reload_index(service)
    assert gone() is None
    assert gc.get_freeze_count() > 0  # the new index, frozen in its turn
