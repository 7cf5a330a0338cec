"""`storybot chat`: the terminal chat. The loop takes its answer service and its input and output as
parameters, so tests drive it with scripted lines."""

from __future__ import annotations

import argparse
import contextlib
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot import heap
from bot.cli.startup import open_service, settings_for
from bot.cli.textview import render_answer, render_hit, render_source, render_stories, render_understood
from index.dialogue import recent_turns, remember
from index.service import AnswerService, UnknownStoryError, shown_marks
from index.types import Hit

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store.records import Vote

HISTORY_FILE = "chat_history"  # beside the state file

HELP = """Ask anything about the story. Commands:
  /more        the next passage for the last question
  /good /bad   tell the story's editors the last answer was right or wrong
  /new         start a new conversation (follow-ups forget what came before)
  /source      where the story comes from
  /stories     the stories in the index
  /story ID    ask about one story (/story all: every story)
  /quit        leave (Ctrl-D works too)"""


@dataclass
class ChatState:
    story: str | None = None
    question: str = ""  # as understood: what /more pages on
    asked: str = ""  # as typed
    shown: set[str] = field(default_factory=set)  # passages and sentences shown for the question, for /more
    last: Hit | None = None  # what /good and /bad are about
    answered: bool = False
    confidence: float | None = None
    answer_id: str = ""
    # the session's one conversation, as plain data (index.dialogue.remember); None: nothing asked yet
    conversation: dict[str, object] | None = None
    context_minutes: float = 30
    clock: Callable[[], float] = time.time

    def show(self, hit: Hit) -> Hit:
        self.shown.update(shown_marks(hit))
        self.last = hit
        self.answer_id = secrets.token_hex(5)
        return hit

    def forget_question(self) -> None:
        """A new question: /more and /good, /bad are about it from now on."""
        self.question, self.last, self.answer_id = "", None, ""
        self.shown.clear()

    def forget(self) -> None:
        """/new: the conversation and the /more paging start over."""
        self.forget_question()
        self.conversation = None


Record = Callable[["Vote"], str]  # stores a vote; returns what to tell the user


def chat(
    service: AnswerService,
    lines: Iterator[str],
    write: Callable[[str], None],
    bold: bool = False,
    story: str | None = None,
    record: Record | None = None,
    context_minutes: float = 30,
    clock: Callable[[], float] = time.time,
) -> None:
    """Answer each line until /quit or the end of input; `record` keeps /good and /bad. Follow-ups lean
    on the questions before them until the chat is idle for `context_minutes` (0: never), /new, or a
    switch of story."""
    state = ChatState(story=story, context_minutes=context_minutes, clock=clock)
    for line in lines:
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit", "/q"):
            return
        try:
            reply = _reply(service, state, text, bold, record)
        except UnknownStoryError as exc:
            reply = str(exc)
        write(reply + "\n")


def _reply(service: AnswerService, state: ChatState, text: str, bold: bool, record: Record | None) -> str:
    command, _, arg = text.partition(" ")
    arg = arg.strip()
    if command == "/help":
        return HELP
    if command == "/new":
        state.forget()
        return "New conversation: follow-up questions start afresh."
    if command in ("/good", "/bad"):
        return _vote(state, 1 if command == "/good" else -1, record)
    if command == "/stories":
        return render_stories(service.stories())
    if command == "/source":
        stories = [service.story(state.story)] if state.story else service.stories()
        return "\n".join(render_source(s) for s in stories)
    if command == "/story":
        if not arg or arg == "all":
            state.story = None
            state.conversation = None
            return "Asking about every story."
        state.story = service.story(arg).id
        state.conversation = None
        return f"Asking about: {service.story(arg).title}"
    if command == "/more":
        if not state.question:
            return "Ask a question first; /more then shows the next passage."
        hit = service.more(state.question, state.story, state.shown)
        return render_hit(state.show(hit), bold) if hit else "No more passages for that question."
    if command.startswith("/"):
        return f"Unknown command {command}. /help lists the commands."
    now = state.clock()
    turns = recent_turns(state.conversation, now, state.context_minutes * 60)
    exchange = service.converse(text, state.story, turns, k=1)
    answer = exchange.answer
    state.conversation = remember(state.conversation if turns else None, exchange.turn, now, state.story)
    state.forget_question()
    state.question = exchange.understood
    state.asked = text
    state.answered = answer.answered
    state.confidence = answer.confidence
    state.answer_id = secrets.token_hex(5)
    if answer.best:
        state.show(answer.best)
    rendered = render_answer(answer, bold)
    if exchange.understood != text:
        return f"{render_understood(exchange.understood)}\n{rendered}"
    return rendered


def _vote(state: ChatState, verdict: int, record: Record | None) -> str:
    from bot.store.records import Vote

    if not state.question:
        return "Ask a question first; /good or /bad then tells the editors about its answer."
    if record is None:
        return "Votes are not kept in this chat."
    hit = state.last
    return record(
        Vote(
            time.time(),
            None,
            None,
            state.answer_id,
            hit.passage.story_id if hit else state.story,
            state.asked,
            state.question,
            f"{hit.passage.id}@{hit.sentence.start}" if hit else "",
            hit.sentence.text if hit else "",
            state.confidence,
            verdict,
        )
    )


def input_lines(prompt: str, interactive: bool, stream: TextIO, history: Path) -> Iterator[str]:
    """Lines from the user: with a prompt and readline history on a terminal, plain when piped."""
    if not interactive:
        yield from stream
        return
    _enable_history(history)
    while True:
        try:
            yield input(prompt)
        except EOFError:
            print()
            return
        except KeyboardInterrupt:
            print()
            return


def _enable_history(history: Path) -> None:
    import atexit

    try:
        import readline
    except ImportError:  # not on every platform; the chat works without it
        return
    with contextlib.suppress(OSError):
        history.parent.mkdir(parents=True, exist_ok=True)  # beside the state file, which may not exist yet
        readline.read_history_file(history)
    readline.set_history_length(1000)
    atexit.register(_save_history, readline, history)


def _save_history(readline: object, history: object) -> None:
    with contextlib.suppress(OSError):
        readline.write_history_file(history)  # type: ignore[attr-defined]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "chat",
        help="chat about the stories in the terminal",
        description="Ask questions one after another; /help lists the chat's commands.",
        epilog="example: storybot chat --story third-trump-kim-summit",
    )
    p.add_argument("--index", type=Path)
    p.add_argument("--story", help="start scoped to this story")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from index.text import printable

    settings = settings_for(args)
    service = open_service(settings)
    heap.settle()  # a session of questions to come: keep the collector off the loaded index
    if args.story:
        service.story(args.story)
    interactive = sys.stdin.isatty()
    if interactive:
        stories = [service.story(args.story)] if args.story else service.stories()
        more = f" and {len(stories) - 3} more" if len(stories) > 3 else ""
        titles = "; ".join(s.title for s in stories[:3]) + more
        print(printable(f"storybot: ask about {titles}") + f"\n{HELP}\n")
    lines = input_lines("? ", interactive, sys.stdin, settings.state_file.parent / HISTORY_FILE)
    recorder = _Recorder(settings)
    try:
        chat(
            service,
            lines,
            _write,
            bold=sys.stdout.isatty(),
            story=args.story,
            record=recorder,
            context_minutes=settings.context_minutes,
        )
    finally:
        recorder.close()
    return 0


class _Recorder:
    """/good and /bad into the state file, opened at the first vote; a file that fails is one line."""

    def __init__(self, settings: Settings) -> None:
        from bot.store.db import StateDB

        self.db = StateDB(settings.state_file, settings.secret_for_ids, settings.keep_questions)

    def __call__(self, vote: Vote) -> str:
        import sqlite3

        from bot.errors import UsageError
        from bot.store.db import Batch, describe

        try:
            self.db.write(Batch(votes={vote.key: vote}))
        except (sqlite3.Error, OSError, UsageError) as exc:
            self.db.close()
            return f"Could not keep that: the state file {self.db.path}: {describe(exc)}"
        return "Noted: 👍, thanks." if vote.verdict > 0 else "Noted: 👎. The story's editors will see it."

    def close(self) -> None:
        self.db.close()


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()
