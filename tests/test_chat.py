"""The terminal chat: driven in-process with scripted lines, and through a pseudo-terminal and a pipe."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from bot.cli.chat import HELP, chat, input_lines
from index.service import AnswerService
from tests.conftest import RAIL, SEED
from tests.storybot_run import run

SUMMIT = "where is the third summit?"
UNSPECIFIED = "in an unspecified time and place"


def _chat(service: AnswerService, *lines: str, story: str | None = None) -> list[str]:
    """Each reply the chat wrote, in order."""
    replies: list[str] = []
    chat(service, iter(lines), replies.append, story=story)
    return [r.rstrip("\n") for r in replies]


def _marked(reply: str) -> str:
    """The sentence marked inside a rendered passage."""
    flat = " ".join(reply.split())
    return flat[flat.index("»") + 1 : flat.index("«")]


def test_a_question_gets_the_sentence_and_citation(service: AnswerService) -> None:
    service.min_confidence = 0.0  # answered whatever the fitted model's confidence
    [reply] = _chat(service, SUMMIT)
    assert UNSPECIFIED in reply.splitlines()[0]
    assert "¶1 (The Week, third-trump-kim-summit.txt)" in reply


def test_more_gives_the_next_passages_without_repeating(service: AnswerService) -> None:
    replies = _chat(service, "/more", SUMMIT, "/more", "/more", "/more", "/more", "/more", "/more", "/more", "/more")
    assert replies[0] == "Ask a question first; /more then shows the next passage."
    shown_sentence = _marked(replies[1])
    assert UNSPECIFIED in shown_sentence
    more = [r for r in replies[2:] if r != "No more passages for that question."]
    assert len(more) >= 2
    assert replies[-1] == "No more passages for that question."
    cited = [r.splitlines()[-1] for r in more]
    passages = [" ".join(r.split("\n  —")[0].split()) for r in more]
    assert len(set(passages)) == len(passages)  # each /more a new passage
    for passage in passages:
        assert shown_sentence not in passage.replace("»", "").replace("«", "")
    assert all("¶" in c for c in cited)


def test_more_starts_over_for_each_new_question(service: AnswerService) -> None:
    replies = _chat(service, SUMMIT, "/more", "what did the union accept?", "/more")
    assert replies[1] != replies[3]
    assert "Regional rail strike" in replies[2]


def test_commands(service: AnswerService) -> None:
    replies = _chat(
        service,
        "/help",
        "/stories",
        "/source",
        f"/story {RAIL}",
        "/source",
        "what did the union accept?",
        "/story no-such-story",
        "/story all",
        SUMMIT,
        "/frobnicate",
        "   ",
    )
    assert replies[0] == HELP
    assert replies[1].splitlines() == [
        f"{RAIL}: Regional rail strike called off hours before deadline as union accepts 6% raise (4 passages; by Tom "
        "Reyes, Eastbrook Daily, Published Sunday, 11:48 PM)",
        f"{SEED}: The U.S. and North Korea are holding 'behind-the-scenes talks' for a 3rd Trump-Kim summit, Seoul "
        "says (4 passages; The Week)",
    ]
    assert "file: third-trump-kim-summit.txt" in replies[2]
    assert "file: rail-strike-called-off.txt" in replies[2]
    assert replies[3] == "Asking about: Regional rail strike called off hours before deadline as union accepts 6% raise"
    assert "rail-strike-called-off.txt" in replies[4]
    assert "third-trump-kim-summit.txt" not in replies[4]
    assert "rail-strike-called-off.txt" in replies[5]
    assert "no story 'no-such-story' in the index" in replies[6]
    assert replies[7] == "Asking about every story."
    assert UNSPECIFIED in replies[8]
    assert replies[9] == "Unknown command /frobnicate. /help lists the commands."
    assert len(replies) == 10  # a blank line gets no reply


def test_story_scope_given_at_start(service: AnswerService) -> None:
    [reply] = _chat(service, SUMMIT, story=RAIL)
    assert "rail-strike-called-off.txt" in reply or reply.startswith("The story doesn't say")
    assert UNSPECIFIED not in reply


def test_quit_stops_and_end_of_input_ends(service: AnswerService) -> None:
    assert _chat(service, "/quit", SUMMIT) == []
    assert _chat(service, "/q", SUMMIT) == []
    assert len(_chat(service, SUMMIT)) == 1  # the lines run out: the chat returns


def test_piped_lines_are_read_without_a_prompt(tmp_path: Path) -> None:
    stream = io.StringIO("first\nsecond\n")
    assert list(input_lines("? ", False, stream, tmp_path / "history")) == ["first\n", "second\n"]


def test_piped_chat_in_a_subprocess(index_path: Path) -> None:
    r = run("chat", "--index", str(index_path), stdin=f"q\n{SUMMIT}\n/more\n/quit\nnever asked\n")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout.startswith("The story doesn't say")  # "q" is a question like any other
    assert UNSPECIFIED in r.stdout
    assert "never asked" not in r.stdout
    assert "? " not in r.stdout  # no prompt when piped


def _read_until(fd: int, marker: bytes, timeout: float = 30) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


# Make the pseudo-terminal the controlling terminal (so Ctrl-C becomes SIGINT), undo the SIGINT
# ignore that background jobs inherit (as a user's shell would), then run storybot.
AS_TERMINAL_SESSION = (
    "import fcntl, os, signal, sys, termios; os.setsid(); fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.executable, [sys.executable, '-m', 'bot.cli', *sys.argv[1:]])"
)


def _chat_on_a_terminal(index_path: Path, home: Path) -> tuple[subprocess.Popen[bytes], int]:
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", AS_TERMINAL_SESSION, "chat", "--index", str(index_path)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={**os.environ, "HOME": str(home), "TERM": "dumb"},
    )
    os.close(terminal)
    return proc, controller


def test_chat_on_a_terminal_prompts_answers_and_ends_on_ctrl_c(index_path: Path, tmp_path: Path) -> None:
    proc, controller = _chat_on_a_terminal(index_path, tmp_path)
    try:
        banner = _read_until(controller, b"? ")
        assert b"/more" in banner  # the help is shown on a terminal
        os.write(controller, SUMMIT.encode() + b"\r")
        answer = _read_until(controller, b"\n? ")
        assert UNSPECIFIED.encode() in answer
        rest = b""
        for _ in range(5):  # Ctrl-C at the prompt; a key pressed as readline sets up the terminal can be lost
            time.sleep(0.3)
            os.write(controller, b"\x03")
            rest += _read_until(controller, b"never", timeout=3)
            if proc.poll() is not None:
                break
        assert proc.wait(timeout=30) == 0
        assert b"Traceback" not in banner + answer + rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(controller)
    history = (index_path.parent / "chat_history").read_text()  # beside the state file, beside the index
    assert SUMMIT in history  # readline history kept between sessions


def test_chat_on_a_terminal_ends_on_ctrl_d(index_path: Path, tmp_path: Path) -> None:
    proc, controller = _chat_on_a_terminal(index_path, tmp_path)
    try:
        _read_until(controller, b"? ")
        os.write(controller, b"\x04")  # Ctrl-D: end of input
        rest = _read_until(controller, b"never")
        assert proc.wait(timeout=30) == 0
        assert b"Traceback" not in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(controller)


def test_make_chat_answers_on_a_fresh_clone(tmp_path: Path) -> None:
    """What `make chat` runs: `storybot chat` with the defaults (the bundled story), no index yet."""
    index = tmp_path / ".storybot" / "index.json"
    r = run("chat", stdin=SUMMIT + "\n", cwd=tmp_path, env={"STORYBOT_INDEX_PATH": str(index)})
    assert r.returncode == 0, r.stderr
    assert "built the index" in r.stderr
    # answered, or (below the fitted minimum confidence) offered as what the story may say: the sentence shows
    assert UNSPECIFIED in " ".join(r.stdout.split())
    assert (
        "The U.S. and North Korea are holding 'behind-the-scenes talks' for a 3rd Trump-Kim summit, Seoul says, ¶1 "
        "(The Week, third-trump-kim-summit.txt)" in " ".join(r.stdout.split())
    )
    assert index.exists()


def test_escape_sequences_in_a_story_never_reach_the_terminal(tmp_path: Path) -> None:
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "evil\x1b[2J.txt").write_text(
        "Harbour reopens \x1b[31mafter\x1b[0m the storm\n"
        "The harbour reopened on Monday after the storm\x1b]0;pwned\x07 passed, officials said.\n"
        "Fishing boats returned to the \u202equay\u202c by noon, the harbour master said.\n",
        encoding="utf-8",
    )
    index = tmp_path / "i.json"
    r = run("index", "--stories", str(folder), "--index", str(index), "--show-dropped")
    assert r.returncode == 0, r.stderr
    service = AnswerService(index, folder)
    service.open()
    replies = _chat(service, "when did the harbour reopen?", "/more", "/stories", "/source")
    r = run("ask", "--index", str(index), "when did the boats return to the quay?")
    for text in [*replies, r.stdout]:
        assert "\x1b" not in text
        assert "\x07" not in text
        assert "\u202e" not in text
    assert "The harbour reopened on Monday" in replies[0]
    assert "quay" in r.stdout


def test_good_and_bad_record_the_last_answer_once_and_new_forgets_it(service: AnswerService, tmp_path: Path) -> None:
    from bot.store.db import StateDB
    from bot.store.records import Vote

    db = StateDB(tmp_path / "state.sqlite3")
    kept: list[Vote] = []

    def record(vote: Vote) -> str:
        kept.append(vote)
        from bot.store.db import Batch

        db.write(Batch(votes={vote.key: vote}))
        return "noted"

    replies: list[str] = []
    lines = ["/good", SUMMIT, "/good", "/bad", "/more", "/bad", "/new", "/good"]
    chat(service, iter(lines), replies.append, record=record)
    assert replies[0].startswith("Ask a question first")
    assert replies[2:4] == ["noted\n", "noted\n"]
    assert replies[-1].startswith("Ask a question first")
    assert [v.verdict for v in kept] == [1, -1, -1]
    assert UNSPECIFIED in kept[0].sentence
    assert UNSPECIFIED not in kept[2].sentence  # /more moved on: the vote is about the passage shown
    stored = db.votes_since(0)
    assert len(stored) == 2  # the answer's vote changed, not counted twice; the /more page has its own
    assert sorted(v.verdict for v in stored) == [-1, -1]
    db.close()


def test_the_terminal_says_plainly_when_the_story_may_not_say() -> None:
    from bot.cli.textview import render_answer
    from index.types import Answer, Citation, Hit, Passage, Sentence

    sentence = Sentence("The strike was called off.", 0, 26)
    hit = Hit(Passage("s:1.1", "s", 1, (sentence,), 0, 26), sentence, 1.0, Citation("s", "T", 1, "", "s.txt"))
    out = render_answer(Answer("Was the walkout averted?", False, (hit,), 0.4, maybe=True))
    assert out.startswith("The story may not say. The nearest it comes:\n\nThe strike was called off.")
    assert render_answer(Answer("q", False, (hit,), 0.1)).startswith("The story doesn't say. The nearest passage:")
