"""Questions arriving together share one model call (index/coalesce.py), and a lone one waits for nothing.

The overlap of callers is made certain, not left to timing: the fake model holds its first call until the test
has seen the other callers queue behind it (`CoalescingEmbedder.queued`), then lets it go."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pytest

from index.coalesce import CoalescingEmbedder
from index.embed import DIMENSIONS, Embedder

WAIT = 30.0  # seconds before a test gives up on a thread: only ever reached when the code under test is stuck


def row_of(text: str) -> np.ndarray:
    """A unit row that names its text: the fake model's answer for it."""
    rng = np.random.default_rng(zlib.crc32(text.encode("utf-8")))
    row = rng.standard_normal(DIMENSIONS).astype(np.float32)
    return row / np.linalg.norm(row)


class FakeModel:
    """Records each call's texts and the thread it ran on; holds its first `hold` calls until `release` is set,
    and fails the calls whose number (from 0) is in `failing`."""

    def __init__(self, hold: int = 0, failing: frozenset[int] = frozenset()) -> None:
        self.calls: list[list[str]] = []
        self.threads: list[int] = []
        self.entered = threading.Semaphore(0)  # released once per call, as it starts
        self.release = threading.Event()
        self.hold = hold
        self.failing = failing

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        number = len(self.calls)
        self.calls.append(list(texts))
        self.threads.append(threading.get_ident())
        self.entered.release()
        if number < self.hold:
            assert self.release.wait(WAIT), "the test never let a held call go"
        if number in self.failing:
            raise ValueError(f"call {number} fails")
        return np.stack([row_of(text) for text in texts])

    def wait_entered(self) -> None:
        assert self.entered.acquire(timeout=WAIT), "the model was never called"


def until(condition: Callable[[], bool]) -> None:
    """Wait for the other threads to get somewhere (a test that gets stuck fails instead of hanging)."""
    done = threading.Event()
    for _ in range(int(WAIT * 1000)):
        if condition():
            return
        done.wait(0.001)
    pytest.fail("the callers never queued")


def test_a_lone_question_goes_straight_into_a_call_of_its_own() -> None:
    model = FakeModel(hold=1)
    batcher = CoalescingEmbedder(model)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(batcher.embed_one, "where is the summit?")
        model.wait_entered()  # the model has it before any other caller exists: nothing waited for company
        assert model.calls == [["where is the summit?"]]
        later = pool.submit(batcher.embed_one, "who called it off?")
        until(lambda: batcher.queued == 1)  # arrived during the call: it waits for the next one
        assert model.calls == [["where is the summit?"]]
        model.release.set()
        np.testing.assert_array_equal(first.result(WAIT), row_of("where is the summit?"))
        np.testing.assert_array_equal(later.result(WAIT), row_of("who called it off?"))
    assert model.calls == [["where is the summit?"], ["who called it off?"]]

    # the caller's own thread runs its call: no hand-off to another thread, no wait
    alone = FakeModel()
    np.testing.assert_array_equal(CoalescingEmbedder(alone).embed_one("when?"), row_of("when?"))
    assert alone.calls == [["when?"]]
    assert alone.threads == [threading.get_ident()]


def test_callers_arriving_during_a_call_share_the_next_one() -> None:
    model = FakeModel(hold=1)
    batcher = CoalescingEmbedder(model)
    texts = ["a question", "a second question", "a third, somewhat longer, question", "a question again"]
    with ThreadPoolExecutor(len(texts) + 2) as pool:
        lead = pool.submit(batcher.embed_one, "the first")
        model.wait_entered()
        queued = [pool.submit(batcher.embed_one, text) for text in [*texts, texts[0]]]  # one text asked twice
        until(lambda: batcher.queued == len(texts) + 1)
        model.release.set()
        rows = [future.result(WAIT) for future in queued]
        np.testing.assert_array_equal(lead.result(WAIT), row_of("the first"))
    for text, row in zip([*texts, texts[0]], rows, strict=True):
        np.testing.assert_array_equal(row, row_of(text))  # each caller its own row
        assert row.base is None  # a row of its own, not a view keeping the batch alive in the service's cache
    assert len(model.calls) == 2  # six callers, two model calls
    assert sorted(model.calls[1]) == sorted(texts)  # the repeated text embedded once


def test_a_long_queue_is_embedded_in_calls_of_at_most_max_batch() -> None:
    model = FakeModel(hold=1)
    batcher = CoalescingEmbedder(model, max_batch=2)
    texts = [f"question {i}" for i in range(5)]
    with ThreadPoolExecutor(len(texts) + 1) as pool:
        pool.submit(batcher.embed_one, "first")
        model.wait_entered()
        queued = [pool.submit(batcher.embed_one, text) for text in texts]
        until(lambda: batcher.queued == len(texts))
        model.release.set()
        for text, future in zip(texts, queued, strict=True):
            np.testing.assert_array_equal(future.result(WAIT), row_of(text))
    assert [len(call) for call in model.calls] == [1, 2, 2, 1]
    assert sorted(text for call in model.calls[1:] for text in call) == texts
    with pytest.raises(ValueError, match="must be at least 1"):
        CoalescingEmbedder(model, max_batch=0)
    with pytest.raises(ValueError, match="must be at least 1"):
        CoalescingEmbedder(model, calls=0)


def test_with_two_calls_allowed_two_lone_questions_go_straight_in_and_the_rest_share_the_next() -> None:
    """One call per core: questions on a machine with an idle core do not queue behind a running call."""
    model = FakeModel(hold=2)
    batcher = CoalescingEmbedder(model, calls=2)
    texts = ["c", "d", "e"]
    with ThreadPoolExecutor(5) as pool:
        first = pool.submit(batcher.embed_one, "a")
        model.wait_entered()
        second = pool.submit(batcher.embed_one, "b")
        model.wait_entered()  # in a call of its own beside the first
        assert sorted(map(sorted, model.calls)) == [["a"], ["b"]]
        queued = [pool.submit(batcher.embed_one, text) for text in texts]
        until(lambda: batcher.queued == len(texts))
        model.release.set()
        for text, future in zip(["a", "b", *texts], [first, second, *queued], strict=True):
            np.testing.assert_array_equal(future.result(WAIT), row_of(text))
    # the queued three in one call, or split between the two freed calls: fewer calls than callers either way
    assert sorted(text for call in model.calls[2:] for text in call) == texts
    assert len(model.calls) <= 4


def test_an_error_reaches_every_caller_of_its_call_and_the_next_call_works() -> None:
    model = FakeModel(hold=1, failing=frozenset({1, 3}))
    batcher = CoalescingEmbedder(model)
    with ThreadPoolExecutor(4) as pool:
        lead = pool.submit(batcher.embed_one, "fine")
        model.wait_entered()
        doomed = [pool.submit(batcher.embed_one, text) for text in ("b", "c", "d")]
        until(lambda: batcher.queued == 3)
        model.release.set()
        np.testing.assert_array_equal(lead.result(WAIT), row_of("fine"))
        for future in doomed:
            with pytest.raises(ValueError, match="call 1 fails"):
                future.result(WAIT)
    assert len(model.calls) == 2
    np.testing.assert_array_equal(batcher.embed_one("after"), row_of("after"))  # not wedged
    with pytest.raises(ValueError, match="call 3 fails"):  # a lone caller's own call failing
        batcher.embed_one("alone")
    np.testing.assert_array_equal(batcher.embed_one("and after"), row_of("and after"))
    assert batcher.queued == 0


def test_a_model_giving_the_wrong_number_of_rows_fails_its_callers() -> None:
    batcher = CoalescingEmbedder(lambda texts: np.zeros((len(texts) + 1, DIMENSIONS), dtype=np.float32))
    with pytest.raises(RuntimeError, match="2 rows for 1 texts"):
        batcher.embed_one("x")


@pytest.fixture(scope="module")
def model() -> Embedder:
    return Embedder.load(1)


def test_with_the_real_model_each_caller_gets_the_row_a_lone_call_gives(model: Embedder) -> None:
    """Padded to the longest of its call and sorted by length (index/embed.py), a row is still its text's."""
    questions = [
        "where is the third summit?",
        "who",
        "why was the rail strike called off after the union and the operator met late on Sunday night?",
        "what did the union accept?",
        "how many daily riders would the strike have hit?",
    ]
    calls: list[list[str]] = []
    entered, release = threading.Event(), threading.Event()

    def held(texts: Sequence[str]) -> np.ndarray:
        calls.append(list(texts))
        if len(calls) == 1:
            entered.set()
            assert release.wait(WAIT)
        return model.embed(texts)

    batcher = CoalescingEmbedder(held)
    futures: list[Future[np.ndarray]] = []
    with ThreadPoolExecutor(len(questions)) as pool:
        futures.append(pool.submit(batcher.embed_one, questions[0]))
        assert entered.wait(WAIT)
        futures += [pool.submit(batcher.embed_one, q) for q in questions[1:]]
        until(lambda: batcher.queued == len(questions) - 1)
        release.set()
        rows = [future.result(WAIT) for future in futures]
    assert [len(call) for call in calls] == [1, len(questions) - 1]  # the batch was really shared
    for question, row in zip(questions, rows, strict=True):
        assert np.allclose(row, model.embed_one(question), atol=1e-5)
