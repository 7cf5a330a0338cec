"""Answering without holding the event loop: quick work inline, slow work in a thread with a sign of life.

A thread keeps the loop free while an answer is worked out, but the hop costs more than a quick answer
(the worker thread fights the loop for the GIL; README "Performance" has the measurement). So
`Offloader` measures the work and runs it inline only while it has been quick: under `budget` (1 ms,
less than python-telegram-bot spends on one update of its own). Until the first measurement (and
whenever the work is not ready to be quick, say an index still to load) it goes to a thread, as does
everything after a slow answer until answers are quick again.

Telegram recommends the "typing" action only "when a response from the bot will take a noticeable amount
of time to arrive". So in a thread the action goes out only when the work outlasts a short delay (an
index still loading, a huge corpus), and again every few seconds, as Telegram shows it for 5 s at most.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

SHOW_AFTER = 0.3  # seconds: a reply later than this is noticeable
SHOW_EVERY = 4.5  # seconds: Telegram clears a chat action after 5 s or at the next message
BUDGET = 0.001  # seconds the loop may be held by one answer


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


class Offloader:
    """Runs work inline while it has been quick, otherwise in a thread via `shown_if_slow`.

    The cost estimate jumps to any slower measurement at once and decays towards quick ones, so one
    slow answer sends the next few to a thread. The cost is the CPU time the work took, on the loop or in
    a thread: what it holds the loop for inline. Not the wall time: on a busy machine the process is
    preempted in the middle of quick work, and counting that as slow would send answers to a thread just
    when the hop's extra CPU hurts most (its wall time in a thread includes waiting for the GIL, too)."""

    def __init__(self, budget: float = BUDGET, decay: float = 0.8) -> None:
        self.budget = budget
        self.decay = decay
        self.cost = math.inf  # unknown: the first work goes to a thread

    @property
    def inline(self) -> bool:
        return self.cost <= self.budget

    async def run(self, work: Callable[[], T], show: Callable[[], Awaitable[None]], ready: bool = True) -> T:
        """`work()`'s result; inline only when `ready` (nothing to load first) and recent work was quick."""
        if ready and self.inline:
            start = time.thread_time()
            try:
                return work()
            finally:  # work that fails slowly counts as slow too
                self._measured(time.thread_time() - start)

        spent: list[float] = []  # the thread's CPU time, read back on the loop

        def timed() -> T:
            start = time.thread_time()
            try:
                return work()
            finally:
                spent.append(time.thread_time() - start)

        try:
            return await shown_if_slow(timed, show)
        finally:
            if spent and ready:  # loading the index first is not what an answer costs
                self._measured(spent[0])

    def _measured(self, seconds: float) -> None:
        blended = seconds if math.isinf(self.cost) else self.decay * self.cost + (1 - self.decay) * seconds
        self.cost = max(seconds, blended)
