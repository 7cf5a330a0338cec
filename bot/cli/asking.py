"""`storybot ask`: one question, or JSON lines on stdin (the contract other tools read)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.startup import open_service, settings_for
from bot.errors import UsageError

if TYPE_CHECKING:
    from index.service import AnswerService


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "ask",
        help="answer one question, or JSON lines on stdin with --jsonl",
        description='Answer a question from the index. With --jsonl, read {"question": ..., "story": ...} lines '
        "on stdin and print one JSON answer per line.",
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
        return _ask_jsonl(service, args.k)
    answer = service.ask(args.question, args.story, args.k)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        from bot.cli.textview import render_answer

        print(render_answer(answer, bold=sys.stdout.isatty()))
    return 0


def _ask_jsonl(service: AnswerService, k: int) -> int:
    from index.service import UnknownStoryError

    out = sys.stdout
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            question = item["question"]
            story = item.get("story")
            if not isinstance(question, str) or not (story is None or isinstance(story, str)):
                raise TypeError
        except (ValueError, KeyError, TypeError, AttributeError):
            error = f'line {n}: expected {{"question": str, "story": str (optional)}}'
            out.write(json.dumps({"question": "", "answered": False, "answers": [], "error": error}) + "\n")
            out.flush()  # a caller feeding one line at a time waits for each reply
            continue
        try:
            result = service.ask(question, story, k).to_json()
        except UnknownStoryError as exc:
            result = {"question": question, "answered": False, "answers": [], "error": str(exc)}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return 0
