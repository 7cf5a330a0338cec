"""Noticing a long poll that has stopped making progress.

A connection that goes silent is caught by the read timeout, and python-telegram-bot polls again.
What that misses - a reply that trickles in a byte at a time so no single read ever times out, or a
polling loop that hangs - the watchdog catches: when no getUpdates request has started or ended for
`limit` seconds, polling has stalled, and the bot exits for its supervisor to restart it. A fresh
process is the one recovery sure to work, whatever hung.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from telegram.request import HTTPXRequest


class PollWatch(HTTPXRequest):
    """The connection getUpdates uses (and nothing else), noting when each request starts and ends."""

    def __init__(self, read_timeout: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(connection_pool_size=1, read_timeout=read_timeout)
        self._clock = clock
        self.last_progress = clock()

    def touch(self) -> None:
        self.last_progress = self._clock()

    def quiet_for(self) -> float:
        return self._clock() - self.last_progress

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        self.touch()
        try:
            return await super().do_request(*args, **kwargs)
        finally:
            self.touch()


async def watch(polls: PollWatch, limit: float, on_stall: Callable[[float], None]) -> None:
    """Call `on_stall(seconds quiet)` once polling has been quiet for longer than `limit`, then return."""
    polls.touch()  # the clock starts when polling does, not when the index began loading
    check_every = min(5.0, limit / 4)
    while True:
        await asyncio.sleep(check_every)
        quiet = polls.quiet_for()
        if quiet > limit:
            on_stall(quiet)
            return
