"""Running the bot exactly as `storybot serve` runs it, in the test's event loop, against the fake API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.config import Settings, load_settings
from bot.telegram.options import ServeOptions
from bot.telegram.persistence import StatePersistence
from bot.telegram.runner import serve
from index.service import AnswerService
from tests.fake_bot_api import FakeBotAPI

POLL = 0.5  # seconds: short long polls keep the tests fast


def bot_settings(fake: FakeBotAPI, index_path: Path, stories_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": fake.token,
        "telegram_base_url": fake.base_url,
        "index_path": index_path,
        "stories_dir": stories_dir,
        "max_sends_per_second": 0,
    }
    values.update(overrides)
    return load_settings(**values)


@asynccontextmanager
async def running_bot(
    fake: FakeBotAPI,
    settings: Settings,
    options: ServeOptions | None = None,
    expect_exit: int = 0,
    service: AnswerService | None = None,
    store: StatePersistence | None = None,
) -> AsyncIterator[asyncio.Task[int]]:
    """Start the bot, wait until it polls, hand over; on the way out stop it and check its exit code.
    `service`, when given, answers the questions instead of the index in `settings`; `store` keeps the
    state instead of the file at settings.state_file."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, options or ServeOptions(poll_timeout=POLL), stop, service, store))
    if options is None or options.webhook_url is None:
        await fake.wait_for(lambda: task.done() or fake.sent("getUpdates", delivered=False))
    try:
        yield task
    finally:
        stop.set()
        code = await asyncio.wait_for(task, 20)
        assert code == expect_exit
