"""`storybot ask`: one question, or JSON lines on stdin (the contract other tools read)."""

from __future__ import annotations

import argparse
import json
import sys
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
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise UsageError("-k must be at least 1")
    if args.jsonl == bool(args.question):
        raise UsageError("give a QUESTION, or --jsonl with questions on stdin")
    settings = settings_for(args)
    service = open_service(settings)
    if args.jsonl:
        heap.settle()  # many questions to come: keep the collector off the loaded index
        return _ask_jsonl(service, args.k)
    answer = service.converse(args.question, args.story, (), args.k).answer
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        from bot.cli.textview import render_answer

        print(render_answer(answer, bold=sys.stdout.isatty()))
    return 0


def _ask_jsonl(service: AnswerService, k: int) -> int:
    from index.dialogue import Turn
    from index.service import UnknownStoryError

    out = sys.stdout
    chats: dict[str, list[Turn]] = {}  # each chat id's turns so far, in input order
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
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
            error = f'line {n}: expected {{"question": str, "story": str (optional), "chat": str (optional)}}'
            out.write(json.dumps({"question": "", "answered": False, "answers": [], "error": error}) + "\n")
            out.flush()  # a caller feeding one line at a time waits for each reply
            continue
        turns = chats.setdefault(str(chat), []) if chat is not None else []
        try:
            exchange = service.converse(question, story, turns, k)
            result = exchange.answer.to_json()
            result["understood"] = exchange.understood
            turns.append(exchange.turn)
            del turns[:-MAX_TURNS]
        except UnknownStoryError as exc:
            result = {"question": question, "answered": False, "answers": [], "understood": question, "error": str(exc)}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return 0
