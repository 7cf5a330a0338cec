"""`storybot serve` as a process: startup errors, signals, exit codes, and a canary token that never shows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.fake_bot_api import FakeBotAPI
from tests.storybot_run import one_line_error, run

CANARY = "424242:CANARY-secret-do-not-print"
SUMMIT = "where is the third summit?"


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    api = FakeBotAPI(token=CANARY).start()
    yield api
    api.stop()


def outside_env(**extra: str) -> dict[str, str]:
    """This environment without any STORYBOT_/TELEGRAM_ settings, with the project importable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYBOT_", "TELEGRAM_"))}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def start_serve(
    fake: FakeBotAPI, index_path: Path, stories_dir: Path, tmp_path: Path, *args: str, **env: str
) -> subprocess.Popen[str]:
    environment = outside_env(
        TELEGRAM_BOT_TOKEN=CANARY,
        TELEGRAM_BASE_URL=fake.base_url,
        STORYBOT_INDEX_PATH=str(index_path),
        STORYBOT_STORIES_DIR=str(stories_dir),
        STORYBOT_LOG_LEVEL="DEBUG",
        STORYBOT_MAX_SENDS_PER_SECOND="0",
    ) | env
    with (tmp_path / "serve.out").open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--poll-timeout", "0.5", *args],
            cwd=tmp_path,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )


def finish(proc: subprocess.Popen[str], tmp_path: Path) -> tuple[int, str]:
    code = proc.wait(timeout=30)
    return code, (tmp_path / "serve.out").read_text()


def assert_clean(output: str) -> None:
    assert CANARY not in output
    assert CANARY.split(":")[1] not in output
    assert "Traceback" not in output


def test_a_missing_token_is_one_line_and_exit_2(index_path: Path, stories_dir: Path, tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"],
        cwd=tmp_path,
        env=outside_env(STORYBOT_INDEX_PATH=str(index_path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [r.stderr.strip()]
    assert r.stderr.startswith("storybot: TELEGRAM_BOT_TOKEN is not set")


def test_a_rejected_token_is_one_line_exit_2_never_echoed_even_at_debug(
    index_path: Path, stories_dir: Path, tmp_path: Path
) -> None:
    other = FakeBotAPI(token="111:another-token").start()
    try:
        code, output = finish(start_serve(other, index_path, stories_dir, tmp_path), tmp_path)
    finally:
        other.stop()
    assert code == 2
    assert output.strip().splitlines()[-1] == "storybot: Telegram rejected the bot token"
    assert_clean(output)


def test_a_rejected_token_at_the_default_log_level_is_exactly_one_line(
    index_path: Path, stories_dir: Path, tmp_path: Path
) -> None:
    other = FakeBotAPI(token="111:another-token").start()
    try:
        r = subprocess.run(
            [sys.executable, "-m", "bot.cli", "serve"],
            cwd=tmp_path,
            env=outside_env(
                TELEGRAM_BOT_TOKEN=CANARY,
                TELEGRAM_BASE_URL=other.base_url,
                STORYBOT_INDEX_PATH=str(index_path),
                STORYBOT_STORIES_DIR=str(stories_dir),
            ),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        other.stop()
    assert r.returncode == 2
    assert r.stderr.splitlines() == ["storybot: Telegram rejected the bot token"]
    assert r.stdout == ""
    assert [c.method for c in other.calls] == ["getMe"]  # it asked Telegram, and stopped at the answer


def test_a_damaged_index_is_one_line_and_exit_2(fake: FakeBotAPI, stories_dir: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.json"
    damaged.write_text('{"version": ')
    code, output = finish(start_serve(fake, damaged, stories_dir, tmp_path), tmp_path)
    assert code == 2
    last = output.strip().splitlines()[-1]
    assert last.startswith("storybot: ")
    assert "index" in last
    assert_clean(output)


@dataclass(frozen=True)
class Fault:
    """A fault of Telegram's, injected before the bot starts (`before`) or once it has answered (`after`)."""

    evidence: str  # what the output says when the fault happened: proof the case tested something
    before: Callable[[FakeBotAPI], object] = lambda fake: None
    after: Callable[[FakeBotAPI], object] | None = None  # None: SIGTERM once answered
    exit_code: int = 0
    args: tuple[str, ...] = ()
    answers: bool = True


def _revoke(fake: FakeBotAPI) -> None:
    fake.token = "999:revoked"


def _reject(fake: FakeBotAPI) -> None:
    fake.token = "111:another-token"


FAULTS = {
    "429 on a send": Fault("Too Many Requests", lambda f: f.fail("sendMessage", 429, retry_after=1)),
    "5xx on a send": Fault("Bad Gateway", lambda f: f.fail("sendMessage", 502)),
    "send dropped": Fault("Server disconnected", lambda f: f.fail("sendMessage", drop=True)),
    "send timeout": Fault(
        "not sent again", lambda f: f.fail("sendMessage", 200, delay=2), args=("--send-timeout", "0.5")
    ),
    "5xx on getUpdates": Fault("Internal Server Error", lambda f: f.fail("getUpdates", 500)),
    "getUpdates timeout": Fault("Timed out", lambda f: f.fail("getUpdates", 200, delay=3.5)),
    "stalled long poll": Fault(
        "long polling stalled",
        after=lambda f: f.fail("getUpdates", 200, delay=60, trickle=True),
        exit_code=4,
        args=("--stall-limit", "3"),
    ),
    "409 Conflict": Fault(
        "another instance is running", after=lambda f: f.fail("getUpdates", 409, times=5), exit_code=3
    ),
    "401 at start": Fault("Telegram rejected the bot token", _reject, exit_code=2, answers=False),
    "401 while running": Fault("Telegram rejected the bot token", after=_revoke, exit_code=2),
}


@pytest.mark.parametrize("name", list(FAULTS))
async def test_every_fault_at_debug_never_shows_the_token(
    name: str, fake: FakeBotAPI, index_path: Path, stories_dir: Path, tmp_path: Path
) -> None:
    fault = FAULTS[name]
    fault.before(fake)
    proc = start_serve(fake, index_path, stories_dir, tmp_path, *fault.args)
    try:
        if fault.answers:
            fake.message(SUMMIT, user_id=42)
            await fake.wait_sent(1, within=30)
            if fault.after:
                fault.after(fake)
            else:
                proc.send_signal(signal.SIGTERM)
        code, output = finish(proc, tmp_path)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == fault.exit_code, output[-3000:]
    assert fault.evidence in output, output[-3000:]
    if fault.answers:
        assert len(fake.sent("sendMessage")) == 1  # answered, and once
    assert_clean(output)
    assert "DEBUG" in output  # it did log at DEBUG
    assert "HTTP Request: POST http://127.0.0.1:" in output  # httpx's request lines are on ...
    assert "/bot<token>/getMe" in output  # ... and the token in their URLs masked


def test_a_bad_setting_beside_the_token_never_shows_it(index_path: Path, tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve"],
        cwd=tmp_path,
        env=outside_env(
            TELEGRAM_BOT_TOKEN=CANARY,
            STORYBOT_LOG_LEVEL="DEBUG",
            STORYBOT_ADMIN_USER_IDS=CANARY,  # the token pasted into the wrong setting
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2
    assert "STORYBOT_ADMIN_USER_IDS" in r.stderr
    assert_clean(r.stdout + r.stderr)


async def test_sigterm_lets_the_answer_in_flight_finish_and_exits_0(
    fake: FakeBotAPI, index_path: Path, stories_dir: Path, tmp_path: Path
) -> None:
    fake.fail("sendMessage", 200, times=1, delay=1.5)
    proc = start_serve(fake, index_path, stories_dir, tmp_path)
    try:
        fake.message(SUMMIT)
        await fake.wait_for(lambda: fake.sent("sendMessage", delivered=False), within=30)
        proc.send_signal(signal.SIGTERM)
        code, output = finish(proc, tmp_path)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, output
    assert len(fake.sent("sendMessage")) == 1
    assert_clean(output)


async def test_sighup_swaps_in_a_rebuilt_index(
    fake: FakeBotAPI, index_path: Path, stories_dir: Path, tmp_path: Path
) -> None:
    proc = start_serve(fake, index_path, stories_dir, tmp_path, STORYBOT_LOG_LEVEL="INFO")
    try:
        await fake.wait_for(lambda: fake.sent("getUpdates", delivered=False), within=30)
        (stories_dir / "lighthouse.txt").write_text(
            "Old lighthouse reopens as museum\n\nThe keeper's cottage now houses a collection of brass lenses.\n"
        )
        proc.send_signal(signal.SIGHUP)
        await fake.wait_for(lambda: "reloaded the index: 3 stories" in (tmp_path / "serve.out").read_text())
        fake.message("what does the keeper's cottage house?")
        assert "brass lenses" in (await fake.wait_sent(1))[0].result["text"]
        proc.send_signal(signal.SIGINT)
        code, output = finish(proc, tmp_path)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0
    assert_clean(output)
    assert "HTTP Request" not in output  # a request line per poll is for DEBUG only


IMPORTS_CHECK = """
import sys
from bot.cli import main
for argv in ({commands}):
    main(argv)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("telegram", "httpx", "httpcore", "tornado")
                or m.startswith("bot.telegram"))
print("LOADED", loaded)
"""


def test_index_ask_and_chat_never_import_telegram_or_httpx(tmp_path: Path, stories_dir: Path) -> None:
    index = str(tmp_path / "i.json")
    commands = (
        f"['index', '--index', {index!r}, '--stories', {str(stories_dir)!r}], "
        f"['ask', '--index', {index!r}, 'where is the summit?'], "
        f"['chat', '--index', {index!r}]"
    )
    r = subprocess.run(
        [sys.executable, "-c", IMPORTS_CHECK.format(commands=commands)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        input="where is the summit?\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert "LOADED []" in r.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--stall-limit", "20"), "--stall-limit must be longer than one long poll (35 s)"),
        (("--send-timeout", "0"), "must be positive"),
    ],
)
def test_timeouts_that_cannot_work_are_one_line(args: tuple[str, ...], expected: str, tmp_path: Path) -> None:
    line = one_line_error(run("serve", *args, cwd=tmp_path, env={"TELEGRAM_BOT_TOKEN": CANARY}))
    assert expected in line
    assert CANARY not in line


def test_warnings_and_uncaught_errors_go_through_the_masking_logs_too(tmp_path: Path) -> None:
    """What Python prints to stderr by itself (a warning, a thread's or the main thread's uncaught error)
    carries the token masked, as every log line does, once serve has installed the masking."""
    script = f"""
import logging, threading, warnings
from bot import logs
logging.basicConfig(level=logging.INFO)
logs.install({CANARY!r})
warnings.warn("a library warning quoting https://api.telegram.org/bot{CANARY}/getMe")
def crash():
    raise RuntimeError("bot{CANARY} in a thread")
worker = threading.Thread(target=crash, name="answer")
worker.start()
worker.join()
raise RuntimeError("bot{CANARY} in the main thread")
"""
    r = subprocess.run(
        [sys.executable, "-W", "default", "-c", script],
        cwd=tmp_path,
        env=outside_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 1
    assert CANARY not in r.stderr
    assert CANARY.split(":")[1] not in r.stderr
    assert "a library warning quoting https://api.telegram.org/bot<token>/getMe" in r.stderr
    assert "uncaught RuntimeError in answer" in r.stderr
    assert "uncaught RuntimeError" in r.stderr.split("in answer", 1)[1]  # the main thread's, after it


def test_a_damaged_state_file_stops_serve_at_start_in_one_line(
    fake: FakeBotAPI, index_path: Path, stories_dir: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state.sqlite3"
    state.write_bytes(b"not a database " * 500)
    proc = start_serve(fake, index_path, stories_dir, tmp_path, STORYBOT_STATE_PATH=str(state))
    code, output = finish(proc, tmp_path)
    assert code == 2
    assert output.strip().splitlines()[-1].startswith(f"storybot: the state file {state} is damaged")
    assert f"mv {state} {state}.broken" in output
    assert_clean(output)
    assert not fake.calls  # refused before asking Telegram anything
