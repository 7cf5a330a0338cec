"""Issue 5, item 4: bot throughput, questions answered per second through a real `storybot serve` process.

Each round starts a fresh loopback Bot API server (tests/fake_bot_api.py), starts the bot as its own
process against it, waits until it polls, then injects a burst of questions from many private chats at
once and times until the server has received a sendMessage for every one. Flood and per-user limits
are off (STORYBOT_MAX_SENDS_PER_SECOND=0, STORYBOT_USER_QUESTIONS_PER_MINUTE=0). The same burst goes to
a bare python-telegram-bot echo bot (bench/echo_bot.py), on PTB's defaults and again handling updates as
concurrently as storybot; the faster of the two is the ceiling. The bots take turns, each first in turn,
and medians are reported. The server's CPU is measured during every burst and the server alone is
timed too, to show it is not what limits the bots.

What limits both bots here (profiled with cProfile, and by switching parts off one at a time, 2026-11-28):
python-telegram-bot's CPU per update and per Bot API call, most of it in httpx and httpcore and in
parsing updates and replies. storybot costs more per question in four places, and each was cut:
- the answer's hop to a thread, where the worker fought the loop for the GIL: quick answers now run on
  the loop and only slow ones go to a thread (bot/progress.py), +16%;
- the form encoding of a long answer, done by urllib a character at a time: answers now go as JSON
  bodies (bot/jsonbody.py), +2.5%;
- the garbage collector walking the libraries and the index at every full collection: the heap is
  frozen once the index is loaded (bot/heap.py), +5%;
- each update parsed twice (bot/updates.py now re-reads a batch only when it cannot be read whole), a
  handler every update passed through (now only with an allow-list), the answer itself (80 -> 68 us).
storybot runs with its state file on (bot/telegram/persistence.py), fresh for each burst and written
every second rather than every ten, so that a burst of a few seconds pays for several writes: the chats'
data copied and encoded, the questions recorded, the transaction in a worker thread.
Profiled again with py-spy (2026-12-02), once every answer carried three buttons (More, 👍, 👎) and
follow-up questions were resolved from the conversation, and cut:
- the reply itself: python-telegram-bot built the keyboard as objects, serialised it, and parsed the
  message Telegram sends back (the keyboard included) into a Message of which the bot reads only the id.
  Replies now go as plain JSON, keyboard and all, and only the id is read from Telegram's copy
  (bot/telegram/sending.py, which posts what Message.reply_html posts: a test compares the two);
- each Bot API URL parsed by httpx at every request: parsed once (bot/telegram/jsonbody.py);
- the follow-up rules looked for the person and the thing of every earlier turn, even for a question
  with no pronoun to fill: now only when it has one (index/dialogue.py), some 40% of an answer in a
  conversation;
- the answer's cost measured in wall time: on a busy machine a preempted quick answer looked slow and
  sent the next ones to a thread; now its CPU time counts (bot/telegram/progress.py).
What is left beyond the echo bot's cost is mostly the answer (ranking and features: on an index as small
as the bundled story, mostly numpy's fixed cost per call), then the state file's copies and writes and
the reply's HTML.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.questions import BUNDLED
from tests.fake_bot_api import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "424242:bench-token-for-the-loopback-server"  # noqa: S105 - the loopback fake's, no secret
POLL_SECONDS = "1"  # long-poll timeout of both bots: a burst ends a poll at once, so it only matters idle


@dataclass(frozen=True, slots=True)
class Burst:
    per_second: float
    cpu: float  # the bot process's CPU seconds over the burst's wall seconds (1.0 = one core busy)
    calls: int  # Bot API calls the bot made during the burst, sendMessage included
    server_cpu: float  # the same for this process, where the fake server's threads run


@dataclass(frozen=True, slots=True)
class Throughput:
    storybot_per_second: float  # medians of the rounds
    echo_per_second: float  # the bare echo bot: python-telegram-bot's defaults
    questions: int
    chats: int = 0
    rounds: int = 0
    echo_concurrent_per_second: float = 0.0  # the echo bot handling updates as concurrently as storybot
    concurrency: int = 0  # storybot's concurrent updates
    storybot_runs: tuple[float, ...] = ()
    echo_runs: tuple[float, ...] = ()
    echo_concurrent_runs: tuple[float, ...] = ()
    storybot_cpu: float = 0.0  # medians, as in Burst
    echo_cpu: float = 0.0
    server_cpu: float = 0.0  # the most the server used in any burst, of one core
    storybot_calls_per_question: float = 0.0
    server_per_second: float = 0.0  # the fake server alone, sendMessage calls a second

    @property
    def ceiling(self) -> float:
        """The faster echo bot: what python-telegram-bot itself reaches on this server."""
        return max(self.echo_per_second, self.echo_concurrent_per_second)


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORYBOT_", "TELEGRAM_"))}
    env["PYTHONPATH"] = str(ROOT)
    env["TELEGRAM_BOT_TOKEN"] = TOKEN
    return {**env, **extra}


def storybot_command(index: Path, stories: Path) -> Callable[[str], tuple[list[str], dict[str, str]]]:
    def command(base_url: str) -> tuple[list[str], dict[str, str]]:
        env = _clean_env(
            TELEGRAM_BASE_URL=base_url,
            STORYBOT_INDEX_PATH=str(index),
            STORYBOT_STORIES_DIR=str(stories),
            STORYBOT_MAX_SENDS_PER_SECOND="0",
            STORYBOT_USER_QUESTIONS_PER_MINUTE="0",
            # the state file on, fresh in each burst's folder (the bot's working directory), written every
            # second so that a burst pays for its writes as a long run does
            STORYBOT_STATE_PATH="state.sqlite3",
            STORYBOT_STATE_WRITE_SECONDS="1",
        )
        return [sys.executable, "-m", "bot.cli", "serve", "--poll-timeout", POLL_SECONDS], env

    return command


def echo_command(concurrency: int | None) -> Callable[[str], tuple[list[str], dict[str, str]]]:
    def command(base_url: str) -> tuple[list[str], dict[str, str]]:
        extra = [] if concurrency is None else [str(concurrency)]
        return [sys.executable, "-m", "bench.echo_bot", base_url, *extra], _clean_env()

    return command


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc; 0 where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def burst(
    command: Callable[[str], tuple[list[str], dict[str, str]]],
    workdir: Path,
    questions: int,
    chats: int,
    within: float = 300.0,
) -> Burst:
    """One round: a fresh server and bot process, one burst of `questions` from `chats` chats."""
    fake = FakeBotAPI(token=TOKEN).start()
    argv, env = command(fake.base_url)
    workdir.mkdir(parents=True, exist_ok=True)  # no .env there: the bot reads only the environment above
    log = workdir / "bot.log"
    with log.open("w") as out:
        proc = subprocess.Popen(argv, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_polling(fake, proc, log)
        calls_before = len(fake.calls)
        cpu_before, server_before = cpu_seconds(proc.pid), time.process_time()
        with fake.burst():  # interleaved, as a busy moment looks: chat 1, 2, ..., then 1 again
            for n in range(questions):
                chat = 1000 + n % chats
                fake.message(BUNDLED[n % len(BUNDLED)], user_id=chat)
        start = time.perf_counter()
        while not fake.wait_delivered("sendMessage", questions, 0.5):
            if proc.poll() is not None or time.perf_counter() - start > within:  # died, or stuck
                raise SystemExit(
                    f"bench: {argv[2]} answered {fake.delivered['sendMessage']} of {questions} questions "
                    f"(exit code {proc.poll()}); its log:\n{_tail(log)}"
                )
        seconds = time.perf_counter() - start
        cpu = (cpu_seconds(proc.pid) - cpu_before) / seconds
        server_cpu = (time.process_time() - server_before) / seconds
        calls = len(fake.calls) - calls_before
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        fake.stop()
    _check_answers(fake, questions, chats)
    return Burst(questions / seconds, cpu, calls, server_cpu)


def _wait_polling(fake: FakeBotAPI, proc: subprocess.Popen[bytes], log: Path, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not any(c.method == "getUpdates" for c in list(fake.calls)):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"bench: the bot never polled (exit code {proc.poll()}); its log:\n{_tail(log)}")
        time.sleep(0.02)
    time.sleep(0.3)  # the Application starts handling right after polling starts


def _check_answers(fake: FakeBotAPI, questions: int, chats: int) -> None:
    """Every chat got exactly its questions' answers, and no send failed."""
    sends = [c for c in fake.calls if c.method == "sendMessage"]
    failed = [c for c in sends if c.status != 200]
    per_chat = Counter(int(c.params["chat_id"]) for c in sends if c.status == 200)
    expected = Counter(1000 + n % chats for n in range(questions))
    if failed or per_chat != expected:
        raise SystemExit(f"bench: answers went astray: {len(failed)} sends failed, per chat {dict(per_chat)}")


def _tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def server_alone(count: int = 4000, concurrency: int = 8) -> float:
    """sendMessage calls a second the fake server answers to a client in another process, no bot involved."""
    fake = FakeBotAPI(token=TOKEN).start()
    try:
        out = subprocess.run(
            [sys.executable, "-m", "bench.fake_load", fake.base_url, TOKEN, str(count), str(concurrency)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=_clean_env(),
            check=True,
        )
    finally:
        fake.stop()
    rate: float = json.loads(out.stdout)["per_second"]
    return rate


def measure(
    index: Path, workdir: Path, questions: int = 2000, chats: int = 200, rounds: int = 3, stories: Path | None = None
) -> Throughput:
    """Rotate storybot and the two echo bots, each first in turn, `rounds` bursts each; medians of the rates."""
    from bot.telegram.app import CONCURRENT_UPDATES  # imports telegram: only when measuring

    bots = {
        "storybot": storybot_command(index, stories or ROOT / "stories"),
        "echo": echo_command(None),
        f"echo-{CONCURRENT_UPDATES}": echo_command(CONCURRENT_UPDATES),
    }
    names = list(bots)
    runs: dict[str, list[Burst]] = {name: [] for name in names}
    for i in range(rounds):
        for name in names[i % 3 :] + names[: i % 3]:
            result = burst(bots[name], workdir / f"{name}-{i}", questions, chats)
            print(
                f"bench:   {name}: {result.per_second:.0f} questions/s, CPU {result.cpu:.2f} of a core, "
                f"{result.calls / questions:.2f} API calls a question; server CPU {result.server_cpu:.2f}",
                file=sys.stderr,
                flush=True,
            )
            runs[name].append(result)
    story, echo, echo_concurrent = (runs[name] for name in names)

    def rates(bursts: list[Burst]) -> tuple[float, ...]:
        return tuple(b.per_second for b in bursts)

    return Throughput(
        storybot_per_second=statistics.median(rates(story)),
        echo_per_second=statistics.median(rates(echo)),
        questions=questions,
        chats=chats,
        rounds=rounds,
        echo_concurrent_per_second=statistics.median(rates(echo_concurrent)),
        concurrency=CONCURRENT_UPDATES,
        storybot_runs=rates(story),
        echo_runs=rates(echo),
        echo_concurrent_runs=rates(echo_concurrent),
        storybot_cpu=statistics.median(b.cpu for b in story),
        echo_cpu=statistics.median(b.cpu for b in echo),
        server_cpu=max(b.server_cpu for b in story + echo + echo_concurrent),
        storybot_calls_per_question=statistics.median(b.calls / questions for b in story),
        server_per_second=server_alone(max(questions, 400)),
    )
