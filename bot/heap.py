"""Keeping the garbage collector off what lives as long as the process.

A serving process's heap is mostly long-lived: the libraries' modules and, above all, the loaded index
(a large one is millions of objects). The bot, the terminal chat and `ask --jsonl` all answer for a
while once the index is loaded. Python's collector still walks all of it at every full collection,
which a burst of updates or questions (each a tree of new objects) triggers again and again, each walk
a pause of tens of milliseconds in some answer. Freezing what is alive once the index is loaded leaves
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
