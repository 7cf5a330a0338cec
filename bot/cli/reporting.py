"""`storybot report` (what readers asked, per story) and `storybot forget` (delete a chat's rows),
both over the state file; neither imports Telegram."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.cli.startup import settings_for
from bot.errors import UsageError

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store.db import StateDB

T = TypeVar("T")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "report",
        help="what readers asked each story: answered share, 👍/👎, open questions",
        description="Per story: questions asked, the share answered, mean confidence, 👍/👎 counts, the most "
        "asked questions the story did not answer (rephrasings counted together) and the answers readers "
        "marked 👎. Read from the state file (STORYBOT_STATE_PATH).",
        epilog="example: storybot report --since 30d --export unanswered.jsonl",
    )
    p.add_argument("--since", default="7d", help="how far back: 30m, 24h, 7d, 2w, or all (default 7d)")
    p.add_argument("--story", help="only this story")
    p.add_argument("--json", action="store_true", help="the report as one JSON object, for scripts")
    p.add_argument(
        "--export",
        type=Path,
        metavar="FILE",
        help='write the unanswered and 👎 questions as QA lines ({"q": ..., "gold": []}) to fill in for storybot eval',
    )
    p.add_argument("--state", type=Path, help="state file (default: STORYBOT_STATE_PATH)")
    p.set_defaults(run=run_report)

    f = sub.add_parser(
        "forget",
        help="delete everything stored about one chat",
        description="Delete a chat's stored state, questions and votes (a private chat's id is its user's: "
        "theirs go too). Stop the bot first, or it may store the chat's state again.",
        epilog="example: storybot forget --chat 123456789",
    )
    f.add_argument("--chat", type=int, required=True, help="the Telegram chat id")
    f.add_argument("--state", type=Path, help="state file (default: STORYBOT_STATE_PATH)")
    f.set_defaults(run=run_forget)


def _open(args: argparse.Namespace, read_only: bool) -> tuple[StateDB, Path]:
    from bot.store.db import StateDB

    settings: Settings = settings_for(args)
    path = args.state or settings.state_file
    if not path.exists():
        raise UsageError(f"no state file at {path}: nothing recorded yet (the bot writes it while it serves)")
    db = StateDB(path, settings.secret_for_ids, settings.keep_questions, read_only=read_only)
    _guarded(db.open, path)
    return db, path


def _guarded(step: Callable[[], T], path: Path) -> T:
    import sqlite3  # here, not at the top: every other command (a cold `ask`) would pay for importing it

    from bot.store.db import describe

    try:
        return step()
    except sqlite3.Error as exc:
        raise UsageError(f"cannot use the state file {path}: {describe(exc)}") from None


def run_report(args: argparse.Namespace) -> int:
    from bot.store.report import build_report, export_lines, parse_since, table

    now = time.time()
    since = parse_since(args.since, now)
    db, path = _open(args, read_only=True)
    try:
        report = _guarded(lambda: build_report(db, since, args.story, now), path)
    finally:
        db.close()
    if args.export:
        lines = export_lines(report)
        args.export.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        print(f"storybot: wrote {len(lines)} questions to {args.export}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    elif not args.export:
        print(table(report))
    return 0


def run_forget(args: argparse.Namespace) -> int:
    db, path = _open(args, read_only=False)
    try:
        deleted = _guarded(lambda: db.forget_chat(args.chat), path)
    finally:
        db.close()
    print(f"storybot: deleted {deleted} rows of chat {args.chat} from {path}")
    return 0
