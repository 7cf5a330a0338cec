"""The `storybot` command's entry point: parse, run the subcommand, turn a user's error into one line (exit 2)."""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence

from bot.cli import adding, asking, chat, evaluation, indexing, reporting, serve
from bot.errors import user_message


def main(argv: Sequence[str] | None = None) -> int:
    _forgiving_stdio()
    args = parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # every failure the user can meet becomes one line, never a traceback
        message = user_message(exc)
        if message is None:
            raise
        print(f"storybot: {message}", file=sys.stderr)
        return 2


def _forgiving_stdio() -> None:
    """Bytes that are not UTF-8 on stdin, or in a question from the command line, become U+FFFD
    instead of a crash, whatever the locale's error handler."""
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="storybot", description="Answers questions about news stories, with citations.")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in (indexing, asking, chat, adding, evaluation, reporting, serve):
        command.register(sub)
    return top
