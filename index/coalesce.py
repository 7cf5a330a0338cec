"""Questions that arrive together share one model call.

The bot answers chats in worker threads, so under load several questions reach the embedding model at the
same moment. One call on a batch of texts costs much less than one call per text (the model's fixed costs
per call are paid once, and its matrix products work on more rows at a time), so `CoalescingEmbedder` puts
them into one call: a question that finds no call running goes straight in, alone, and waits for nothing;
questions that arrive while a call is running queue up, and the first of them to wake once it ends embeds
the whole queue in the next call (leader and followers). Each caller gets its own row. An error in a call
reaches every caller whose text was in it, and the next call starts afresh.

Rows from a batch equal those of a lone call up to rounding in the last bits of a float32 (the matrix
products sum in another order for more rows): see tests/test_coalesce.py.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

import numpy as np

EmbedTexts = Callable[[Sequence[str]], np.ndarray]  # texts -> one unit-length row each, in the order given

# Questions one call takes at most: enough for any burst the bot sees, few enough that the first caller of a
# long queue is not kept waiting for hundreds of others' rows. The embedder splits a batch further by length.
MAX_BATCH = 64


@dataclass(frozen=True, eq=False)
class _Waiting:
    """One caller's text and where its row (or the call's error) is left for it. A Future because it is
    already a thread-safe slot that re-raises an error in whoever reads it."""

    text: str
    row: Future[np.ndarray] = field(default_factory=Future)


class CoalescingEmbedder:
    """`embed_one` for many threads at once: texts that arrive while the model is busy share its next call.
    `embed` is the texts-to-rows function of the model (index.embed.Embedder.embed), called by one thread
    at a time."""

    def __init__(self, embed: EmbedTexts, max_batch: int = MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, not {max_batch}")
        self._embed = embed
        self._max_batch = max_batch
        self._turn = threading.Condition()  # guards _busy and _queue; notified whenever a call ends
        self._busy = False  # a call is running
        self._queue: list[_Waiting] = []

    @property
    def queued(self) -> int:
        """Texts waiting for the next call (the running one's are not counted)."""
        with self._turn:
            return len(self._queue)

    def embed_one(self, text: str) -> np.ndarray:
        """The row of `text`, from a call of its own when the model is idle, else from the next shared call."""
        me = _Waiting(text)
        with self._turn:
            self._queue.append(me)
            # Wait only while another caller's call runs: with the model idle, whoever holds the lock leads.
            # A follower whose text a leader has taken waits on for that call's end, when its row is set.
            while self._busy and not me.row.done():
                self._turn.wait()
            if me.row.done():
                return me.row.result()
            # Lead: this text and the oldest of those queued. It is still queued (a text leaves the queue
            # only in a batch, which sets its row before the call that took it ends).
            self._queue.remove(me)
            others = self._max_batch - 1
            batch, self._queue = [me, *self._queue[:others]], self._queue[others:]
            self._busy = True
        try:
            self._run(batch)
        finally:
            with self._turn:
                self._busy = False
                self._turn.notify_all()  # the followers: their rows are set, or one of them leads next
        return me.row.result()

    def _run(self, batch: list[_Waiting]) -> None:
        """One model call for the batch's distinct texts; every caller's slot filled, with its row or the error.
        Outside the lock, so that texts arriving meanwhile can queue for the next call."""
        distinct = list(dict.fromkeys(waiting.text for waiting in batch))
        try:
            rows = self._embed(distinct)
            if len(rows) != len(distinct):
                raise RuntimeError(f"the embedder gave {len(rows)} rows for {len(distinct)} texts")
        except BaseException as error:  # even KeyboardInterrupt: no caller may be left waiting for a row
            for waiting in batch:
                waiting.row.set_exception(error)
            if not isinstance(error, Exception):
                raise
            return
        where = {text: i for i, text in enumerate(distinct)}
        for waiting in batch:
            # a copy, not a view: a cached row would keep its whole batch alive
            waiting.row.set_result(rows[where[waiting.text]].copy())
