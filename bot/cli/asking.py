"""`storybot ask`: one question, or JSON lines on stdin (the contract other tools read)."""

from __future__ import annotations

import argparse
import json
import queue
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot import heap
from bot.cli.startup import open_service, settings_for
from bot.errors import UsageError
from index.dialogue import MAX_TURNS

if TYPE_CHECKING:
    from index.service import AnswerService


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "ask",
        help="answer one question, or JSON lines on stdin with --jsonl",
        description='Answer a question from the index. With --jsonl, read {"question": ..., "story": ..., "chat": ...} '
        'lines on stdin and print one JSON answer per line, with "understood": the question as understood. '
        'Lines with the same "chat" id are one conversation, in input order (follow-up questions lean on '
        'the earlier ones); a line without "chat" is answered alone.',
        epilog="example: storybot ask --json 'where is the third summit?'",
    )
    p.add_argument("question", nargs="?", help="the question")
    p.add_argument("--index", type=Path)
    p.add_argument("--story", help="ask about this story only (its id: the file name without suffix)")
    p.add_argument("-k", type=int, default=3, help="answers to list (default 3)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--jsonl", action="store_true", help='read {"question": ..., "story": ...} lines on stdin')
    p.add_argument(
        "--prefetch",
        action="store_true",
        help="with --jsonl: embed the questions of the lines already read in one batched call before answering them "
        "(faster on a file of questions; a score may differ in its last printed digit from answering one by one)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise UsageError("-k must be at least 1")
    if args.jsonl == bool(args.question):
        raise UsageError("give a QUESTION, or --jsonl with questions on stdin")
    if args.prefetch and not args.jsonl:
        raise UsageError("--prefetch goes with --jsonl")
    settings = settings_for(args)
    service = open_service(settings)
    if args.jsonl:
        heap.settle()  # many questions to come: keep the collector off the loaded index
        return _ask_jsonl(service, args.k, READ_AHEAD if args.prefetch else 0)
    answer = service.converse(args.question, args.story, (), args.k).answer
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        from bot.cli.textview import render_answer

        print(render_answer(answer, bold=sys.stdout.isatty()))
    return 0


# Lines `--prefetch` reads ahead of the one being answered, whose questions are embedded together in one batched call:
# far fewer than the service's cache of question vectors holds, so that none is dropped before it is asked.
READ_AHEAD = 256


@dataclass(frozen=True)
class _Line:
    """One input line's question, as read: its number, and what it asks (or why it cannot be answered)."""

    number: int
    question: str = ""
    story: str | None = None
    chat: str | int | None = None
    error: str = ""


def _parse(number: int, line: str) -> _Line:
    try:
        item = json.loads(line)
        question = item["question"]
        story = item.get("story")
        chat = item.get("chat")
        if not isinstance(question, str) or not (story is None or isinstance(story, str)):
            raise TypeError
        if not (chat is None or isinstance(chat, str | int)) or isinstance(chat, bool):
            raise TypeError
    except (ValueError, KeyError, TypeError, AttributeError):
        error = f'line {number}: expected {{"question": str, "story": str (optional), "chat": str (optional)}}'
        return _Line(number, error=error)
    return _Line(number, question, story, chat)


def _ask_jsonl(service: AnswerService, k: int, read_ahead: int = 0) -> int:
    """Answer each line of stdin in order. With `read_ahead` (--prefetch), the questions of the lines that have
    already arrived, that many at most, are embedded in one call before they are answered
    (`AnswerService.prefetch`); 0 embeds each question on its own as it is answered. Not the default, because
    ONNX Runtime computes a batch of one in another order than a larger batch: a question's vector differs in
    the last bits of some float32s, and once in a few hundred answers a score printed to 4 places differs in its
    last digit (tests/test_ask_prefetch.py)."""
    from index.dialogue import Turn
    from index.service import UnknownStoryError

    out = sys.stdout
    chats: dict[str, list[Turn]] = {}  # each chat id's turns so far, in input order
    runs = _arrived(sys.stdin, read_ahead) if read_ahead > 0 else ([line] for line in sys.stdin)
    number = 0
    for run in runs:
        lines = []
        for line in run:
            number += 1
            if line.strip():
                lines.append(_parse(number, line))
        if read_ahead > 0:
            service.prefetch(line.question for line in lines if not line.error)
        for asked in lines:
            if asked.error:
                out.write(json.dumps({"question": "", "answered": False, "answers": [], "error": asked.error}) + "\n")
                out.flush()  # a caller feeding one line at a time waits for each reply
                continue
            question, story, chat = asked.question, asked.story, asked.chat
            turns = chats.setdefault(str(chat), []) if chat is not None else []
            try:
                exchange = service.converse(question, story, turns, k)
                result = exchange.answer.to_json()
                result["understood"] = exchange.understood
                turns.append(exchange.turn)
                del turns[:-MAX_TURNS]
            except UnknownStoryError as exc:
                result = {
                    "question": question,
                    "answered": False,
                    "answers": [],
                    "understood": question,
                    "error": str(exc),
                }
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
            out.flush()
    return 0


def _arrived(stream: Iterable[str], most: int) -> Iterator[list[str]]:
    """The stream's lines in runs: the next line (waited for) and those already read behind it, `most` at most.
    A thread reads ahead, so that a file's or a pipe's lines come in long runs, while a caller that sends one line
    and waits for its reply gets it as before: a run never waits for a line that has not arrived."""
    arrived: queue.Queue[str | _End] = queue.Queue(maxsize=most)
    stop = threading.Event()

    def put(item: str | _End) -> bool:
        while not stop.is_set():
            try:
                arrived.put(item, timeout=0.5)  # a timeout only to notice `stop` when nobody reads any more
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for line in stream:
                if not put(line):
                    return
        except Exception as error:  # the same error the loop reading stdin would have raised, raised there
            put(_End(error))
            return
        put(_End(None))

    threading.Thread(target=read, name="jsonl-read-ahead", daemon=True).start()
    try:
        while True:
            run = [arrived.get()]
            while len(run) < most and not isinstance(run[-1], _End):
                try:
                    run.append(arrived.get_nowait())
                except queue.Empty:
                    break
            end = run[-1] if isinstance(run[-1], _End) else None
            lines = [line for line in run if isinstance(line, str)]
            if lines:
                yield lines
            if end is not None:
                if end.error is not None:
                    raise end.error
                return
    finally:
        stop.set()  # the reader stops at its next line (a caller that broke off reads no more)


@dataclass(frozen=True)
class _End:
    """The end of the stream, or the error that ended its reading."""

    error: Exception | None
