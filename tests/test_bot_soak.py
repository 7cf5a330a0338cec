"""Soak: 10,000 questions through the loopback API to a `storybot serve` process; all answered, memory flat.

It takes minutes, so it runs only with STORYBOT_SOAK=1: `make soak`.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.fake_bot_api import FakeBotAPI
from tests.test_bot_process import CANARY, finish, start_serve

QUESTIONS = 10_000
BATCH = 250


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


# read at import: the autouse fixture clears STORYBOT_ variables before each test
pytestmark = pytest.mark.skipif(os.environ.get("STORYBOT_SOAK") != "1", reason="soak runs only with STORYBOT_SOAK=1")


async def test_ten_thousand_questions_all_answered_with_flat_memory(
    index_path: Path, stories_dir: Path, tmp_path: Path
) -> None:
    fake = FakeBotAPI(token=CANARY).start()
    proc = start_serve(
        fake, index_path, stories_dir, tmp_path, STORYBOT_LOG_LEVEL="WARNING", STORYBOT_USER_QUESTIONS_PER_MINUTE="0"
    )
    try:
        after_first_1000 = 0
        series: list[int] = []  # RSS in kB after every 1,000 questions
        for start in range(0, QUESTIONS, BATCH):
            for n in range(start, start + BATCH):
                fake.message(
                    "where is the third summit?" if n % 2 else "when was the strike set to begin?",
                    user_id=1_000_000 + n,
                )
            await fake.wait_sent(start + BATCH, within=120)
            with fake._cond:  # keep the fake's own memory small: drop what the test no longer needs
                fake.calls[:] = [c for c in fake.calls if c.method == "sendMessage" and c.status == 200]
                fake._messages.clear()
            if (start + BATCH) % 1000 == 0:
                series.append(rss_kb(proc.pid))
                after_first_1000 = after_first_1000 or series[0]
        at_end = rss_kb(proc.pid)
        proc.send_signal(signal.SIGTERM)
        code, output = finish(proc, tmp_path)
    finally:
        if proc.poll() is None:
            proc.kill()
        fake.stop()
    chats = [c.params["chat_id"] for c in fake.sent("sendMessage")]
    assert len(chats) == QUESTIONS
    assert len(set(chats)) == QUESTIONS  # each question answered once
    assert code == 0, output
    print(f"RSS after 1000 questions: {after_first_1000} kB, after {QUESTIONS}: {at_end} kB")
    print(f"RSS every 1000 questions (kB): {series}")
    assert at_end <= after_first_1000 * 1.10
