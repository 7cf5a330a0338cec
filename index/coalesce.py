"""Questions that arrive together share one model call.

The bot answers chats in worker threads, so under load several questions reach the embedding model at the
same moment. One call on a batch of texts costs less than one call per text (the model's fixed costs per call
are paid once, and its matrix products work on more rows at a time), so `CoalescingEmbedder` puts them into
one call: a question that finds the model free goes straight in and waits for nothing; questions that arrive
while it is busy queue up, and the first of them to find it free again embeds the whole queue in one call
(leader and followers). Each caller gets its own row. An error in a call reaches every caller whose text was
in it, and the next call starts afresh.

"Busy" is `calls` model calls running: the service allows one per core, since a call runs on one thread (the
embedder is loaded with one intra-op thread for questions) and a second core would otherwise stand idle while
the queue waits.

Rows from a batch equal those of a lone call up to the last bits of a float32 (ONNX Runtime computes a batch of
one in another order than a larger one): see tests/test_coalesce.py.
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
    `embed` is the texts-to-rows function of the model (index.embed.Embedder.embed), called by at most `calls`
    threads at once (so it must be thread-safe when `calls` is more than 1, as an Embedder is)."""

    def __init__(self, embed: EmbedTexts, max_batch: int = MAX_BATCH, calls: int = 1) -> None:
        if max_batch < 1 or calls < 1:
            raise ValueError(f"max_batch and calls must be at least 1, not {max_batch} and {calls}")
        self._embed = embed
        self._max_batch = max_batch
        self._calls = calls  # model calls at once: a caller finding fewer running goes straight in
        self._turn = threading.Condition()  # guards _running and _queue; notified whenever a call ends
        self._running = 0  # model calls running
        self._queue: list[_Waiting] = []

    @property
    def queued(self) -> int:
        """Texts waiting for a call (those of running calls are not counted)."""
        with self._turn:
            return len(self._queue)

    def embed_one(self, text: str) -> np.ndarray:
        """The row of `text`, from a call of its own when the model is free, else from the next shared call."""
        me = _Waiting(text)
        with self._turn:
            self._queue.append(me)
            # Wait only while the model is busy: a caller finding a call free leads at once. A text a leader has
            # taken is marked running, and its caller waits on for the end of that call, which sets its row.
            while not me.row.done() and (me.row.running() or self._running >= self._calls):
                self._turn.wait()
            if me.row.done():
                return me.row.result()
            # Lead: this text, still queued, and the oldest of the others.
            self._queue.remove(me)
            others = self._max_batch - 1
            batch, self._queue = [me, *self._queue[:others]], self._queue[others:]
            for waiting in batch:
                waiting.row.set_running_or_notify_cancel()  # taken: no longer free to lead
            self._running += 1
        try:
            self._run(batch)
        finally:
            with self._turn:
                self._running -= 1
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
