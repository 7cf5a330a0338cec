"""The `storybot` command: index, ask, chat, add (and serve, eval). Errors are one line, exit code 2."""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings
    from index.service import AnswerService, NamedEmbedder

log = logging.getLogger("storybot")
MAX_SHOWN = 200  # characters of a dropped line shown: a scraped line can be megabytes long


class UsageError(Exception):
    """Something the user can fix; the message is the one line they see."""


def main(argv: Sequence[str] | None = None) -> int:
    _forgiving_stdio()
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # every failure the user can meet becomes one line, never a traceback
        message = _one_line(exc)
        if message is None:
            raise
        from bot.textview import one_line

        print(f"storybot: {one_line(message)}", file=sys.stderr)
        return 2


def _forgiving_stdio() -> None:
    """Bytes that are not UTF-8 on stdin, or in a question from the command line, become U+FFFD
    instead of a crash, whatever the locale's error handler."""
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")


def _one_line(exc: Exception) -> str | None:
    from pydantic import ValidationError

    from bot.config import SettingsError, describe_error
    from index.build import StoriesError
    from index.embed import EmbedderError
    from index.model import AnswerModelError
    from index.read import StoryFileError
    from index.service import UnknownStoryError
    from index.store import IndexFileError

    if isinstance(exc, ValidationError):
        return describe_error(exc)  # never the input: it may be the token
    if isinstance(exc, IndexFileError | StoriesError | UsageError | UnknownStoryError | SettingsError):
        return str(exc)
    if isinstance(exc, AnswerModelError | EmbedderError):
        return str(exc)
    if isinstance(exc, StoryFileError):
        return f"cannot add that story: {exc}"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storybot", description="Answers questions about news stories, with citations."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", help="(re)build the index from the stories folder")
    p.add_argument("--stories", type=Path, help="stories folder (default: STORYBOT_STORIES_DIR or the bundled one)")
    p.add_argument("--index", type=Path, help="index file (default: STORYBOT_INDEX_PATH)")
    p.add_argument("--show-dropped", action="store_true", help="list the lines dropped from each story")
    p.set_defaults(run=cmd_index)

    p = sub.add_parser("ask", help="answer one question, or JSON lines on stdin with --jsonl")
    p.add_argument("question", nargs="?", help="the question")
    p.add_argument("--index", type=Path)
    p.add_argument("--story", help="ask about this story only (its id: the file name without suffix)")
    p.add_argument("-k", type=int, default=3, help="answers to list (default 3)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.add_argument("--jsonl", action="store_true", help='read {"question": ..., "story": ...} lines on stdin')
    p.set_defaults(run=cmd_ask)

    p = sub.add_parser("chat", help="chat about the stories in the terminal")
    p.add_argument("--index", type=Path)
    p.add_argument("--story", help="start scoped to this story")
    p.set_defaults(run=cmd_chat)

    p = sub.add_parser("add", help="add a story from a URL or a file, then rebuild the index")
    p.add_argument("source", help="http(s) URL or file path")
    p.add_argument("--stories", type=Path)
    p.add_argument("--index", type=Path)
    p.set_defaults(run=cmd_add)

    for register in _extra_commands():
        register(sub)
    return parser


def _extra_commands() -> list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]]:
    """Commands that live in their own modules; each registers its own parser."""
    from bot import commands

    return commands.REGISTRY


def settings_for(args: argparse.Namespace) -> Settings:
    from bot.config import load_settings

    settings = load_settings(stories_dir=getattr(args, "stories", None), index_path=getattr(args, "index", None))
    logging.basicConfig(
        level=settings.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # a request line per long poll is noise, except when debugging (the token in the URL is masked)
    http_level = logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING
    logging.getLogger("httpx").setLevel(http_level)
    logging.getLogger("httpcore").setLevel(http_level)
    if settings.log_level != "DEBUG":  # the HTML extractor warns about every page part it discards
        for noisy in ("trafilatura", "htmldate", "courlan"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    return settings


def open_service(settings: Settings) -> AnswerService:
    from index.service import AnswerService

    service = AnswerService(
        settings.index_path, settings.stories_dir, min_confidence=settings.min_confidence, semantic=settings.semantic
    )
    report = service.open(build_if_missing=True)
    if report is not None:
        n = len(report.stories)
        print(
            f"storybot: built the index at {settings.index_path} ({n} {'story' if n == 1 else 'stories'})",
            file=sys.stderr,
        )
    return service


def cmd_index(args: argparse.Namespace) -> int:
    from bot.textview import one_line, printable
    from index.build import build_and_save

    settings = settings_for(args)
    progress = _progress_bar() if sys.stderr.isatty() else None
    embedder = _batch_embedder(settings.semantic)
    report = build_and_save(settings.stories_dir, settings.index_path, progress, embedder)
    for story in report.stories:
        warn = f" ({story.warning})" if story.warning else ""
        print(printable(f"{story.id}: {story.passages} passages kept, {len(story.dropped)} lines dropped{warn}"))
        if args.show_dropped:
            for d in story.dropped:
                text = printable(d.text if len(d.text) <= MAX_SHOWN else d.text[: MAX_SHOWN - 1] + "…")
                print(f"  - line {d.line} [{d.reason}]: {text}")
    for skipped in report.skipped:
        print(one_line(f"skipped {skipped.path}: {skipped.reason}"), file=sys.stderr)
    print(f"index written to {settings.index_path}: {len(report.stories)} stories, {len(report.skipped)} skipped")
    return 0


def _batch_embedder(semantic: bool) -> NamedEmbedder | None:
    """The sentence-embedding model for an index build (every core), or None with STORYBOT_SEMANTIC=false."""
    from index.service import load_embedder

    return load_embedder(batch=True) if semantic else None


def _progress_bar(min_files: int = 20) -> Callable[[int, int], None]:
    def show(done: int, total: int) -> None:
        if total < min_files:
            return
        filled = int(30 * done / total)
        end = "\n" if done == total else ""
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} stories", end=end, file=sys.stderr, flush=True)

    return show


def cmd_ask(args: argparse.Namespace) -> int:
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
        from bot.textview import render_answer

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


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.chat import HELP, chat, input_lines
    from bot.textview import printable

    settings = settings_for(args)
    service = open_service(settings)
    if args.story:
        service.story(args.story)
    interactive = sys.stdin.isatty()
    if interactive:
        stories = [service.story(args.story)] if args.story else service.stories()
        more = f" and {len(stories) - 3} more" if len(stories) > 3 else ""
        titles = "; ".join(s.title for s in stories[:3]) + more
        print(printable(f"storybot: ask about {titles}") + f"\n{HELP}\n")
    lines = input_lines("? ", interactive, sys.stdin, Path.home() / ".storybot_history")
    chat(service, lines, _write, bold=sys.stdout.isatty(), story=args.story)
    return 0


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def cmd_add(args: argparse.Namespace) -> int:
    from index.build import build_and_save
    from index.clean import clean
    from index.read import STORY_SUFFIXES, StoryFileError, fetch_url, read_story, story_files

    settings = settings_for(args)
    folder = settings.stories_dir
    folder.mkdir(parents=True, exist_ok=True)
    if args.source.startswith(("http://", "https://")):
        name, data = fetch_url(args.source)
    else:
        path = Path(args.source)
        if not path.is_file():
            raise UsageError(f"no such file: {path}")
        name, data = path.name, path.read_bytes()
    target = folder / name
    if target.suffix.lower() not in STORY_SUFFIXES:
        raise UsageError(f"{name} is not a story file: storybot reads {', '.join(STORY_SUFFIXES)} files")
    same_id = [p.name for p in story_files(folder) if p.stem == target.stem and p.name != target.name]
    if same_id:
        raise UsageError(
            f"a story with id {target.stem!r} is already there ({same_id[0]}): rename {name} or remove the old one"
        )
    staging = folder / f".adding-{name}"  # hidden: a rebuild meanwhile does not index it
    staging.write_bytes(data)
    try:
        story = clean(read_story(staging))
        if not story.paragraphs:
            raise StoryFileError("no story text found in it")
        verb = "replaced" if target.exists() else "added"
        staging.replace(target)
    finally:
        staging.unlink(missing_ok=True)
    report = build_and_save(folder, settings.index_path, embedder=_batch_embedder(settings.semantic))
    print(f"{verb} {target.name} ({story.title}); index rebuilt: {len(report.stories)} stories")
    return 0


if __name__ == "__main__":
    # under `python -m bot.cli` this file is __main__; run bot.cli itself, so that errors raised by
    # other modules (bot.cli.UsageError) are the classes main() recognises
    from bot.cli import main as cli_main

    sys.exit(cli_main())
