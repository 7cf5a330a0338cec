"""Slow work, shown: run a blocking call in a thread and show a sign of life only if it is slow.

Telegram recommends the "typing" action only "when a response from the bot will take a noticeable
amount of time to arrive". An answer usually takes under a millisecond, and each Bot API call costs
the bot far more CPU than that, so the action goes out only when the work outlasts a short delay (the
index still loading, a huge corpus), and again every few seconds, as Telegram shows it for 5 s at most.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

SHOW_AFTER = 0.3  # seconds: a reply later than this is noticeable
SHOW_EVERY = 4.5  # seconds: Telegram clears a chat action after 5 s or at the next message


async def shown_if_slow(
    work: Callable[[], T],
    show: Callable[[], Awaitable[None]],
    after: float = SHOW_AFTER,
    every: float = SHOW_EVERY,
) -> T:
    """`work()` in a thread, so the event loop stays free to notice it is slow; `show()` after `after`
    seconds and every `every` seconds until it is done. Returns what `work` returns, or raises what it raises."""
    task = asyncio.ensure_future(asyncio.to_thread(work))
    wait = after
    while True:
        done, _ = await asyncio.wait({task}, timeout=wait)
        if done:
            return task.result()
        await show()
        wait = every
