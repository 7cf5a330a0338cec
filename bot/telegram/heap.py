"""Keeping the garbage collector off what lives as long as the process.

A bot's heap is mostly long-lived: python-telegram-bot, httpx and pydantic's modules, and the loaded
index. Python's collector still walks all of it at every full collection, which a burst of updates (each
a tree of new objects) triggers again and again. Freezing what is alive once the index is loaded leaves
the collector only the objects made since (README "Performance" has the gain). Frozen objects are still
freed by reference counting; before a new index is frozen the old one is unfrozen and collected, so
cycles in it cannot outlive a reload.
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Collect what is garbage now and freeze the rest: call after (re)loading the index."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
