"""The bot-throughput harness at toy size: real `storybot serve` and echo-bot processes against the loopback
Bot API, every question answered. Rates are printed by `make bench`, never asserted here."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import throughput
from bench.report import Report


def test_the_harness_runs_both_bots_and_every_question_is_answered(
    index_path: Path, stories_dir: Path, tmp_path: Path
) -> None:
    t = throughput.measure(index_path, tmp_path / "work", questions=20, chats=4, rounds=1, stories=stories_dir)
    assert (t.questions, t.chats, t.rounds) == (20, 4, 1)
    assert len(t.storybot_runs) == len(t.echo_runs) == len(t.echo_concurrent_runs) == 1
    assert min(t.storybot_per_second, t.echo_per_second, t.echo_concurrent_per_second, t.server_per_second) > 0
    # a quick answer goes without a typing action: one sendMessage a question, plus the polls
    assert 1.0 <= t.storybot_calls_per_question < 2.0
    table = Report("2 cores (nproc), Test CPU", "now", "libs", throughput=t).markdown()
    assert "**5. Bot throughput**: a burst of 20 questions from 4 private chats" in table
    assert "not measured" not in table


def test_a_bot_that_never_answers_is_reported_not_timed(tmp_path: Path) -> None:
    def rejected(base_url: str) -> tuple[list[str], dict[str, str]]:
        argv, env = throughput.echo_command(None)(base_url)
        return argv, {**env, "TELEGRAM_BOT_TOKEN": "1:not-the-fake-servers-token"}

    with pytest.raises(SystemExit, match="the bot never polled"):
        throughput.burst(rejected, tmp_path / "rejected", questions=3, chats=1, within=5)
