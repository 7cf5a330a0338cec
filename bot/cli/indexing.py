"""`storybot index`: (re)build the index from the stories folder and report what each story kept."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from bot.cli.startup import batch_embedder, settings_for

MAX_SHOWN = 200  # characters of a dropped line shown: a scraped line can be megabytes long


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "index",
        help="(re)build the index from the stories folder",
        description="Read, clean and index every story file in the stories folder.",
        epilog="example: storybot index --stories stories/ --show-dropped",
    )
    p.add_argument("--stories", type=Path, help="stories folder (default: STORYBOT_STORIES_DIR or the bundled one)")
    p.add_argument("--index", type=Path, help="index file (default: STORYBOT_INDEX_PATH)")
    p.add_argument("--show-dropped", action="store_true", help="list the lines dropped from each story")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from index.build import build_and_save
    from index.text import one_line, plural, printable

    settings = settings_for(args)
    progress = progress_bar() if sys.stderr.isatty() else None
    # listing the dropped lines needs every story analysed again
    report = build_and_save(
        settings.stories_dir,
        settings.index_path,
        progress,
        reuse=not args.show_dropped,
        embedder=batch_embedder(settings),
    )
    for story in report.stories:
        warn = f" ({story.warning})" if story.warning else ""
        kept = plural(story.passages, "passage")
        dropped = plural(story.dropped_lines, "line")
        print(printable(f"{story.id}: {kept} kept, {dropped} dropped{warn}"))
        if args.show_dropped:
            for d in story.dropped:
                text = printable(d.text if len(d.text) <= MAX_SHOWN else d.text[: MAX_SHOWN - 1] + "…")
                print(f"  - line {d.line} [{d.reason}]: {text}")
    for skipped in report.skipped:
        print(one_line(f"skipped {skipped.path}: {skipped.reason}"), file=sys.stderr)
    stories = plural(len(report.stories), "story")
    print(
        f"index written to {settings.index_path}: {stories}, {len(report.skipped)} skipped; "
        f"{report.analysed} analysed, {report.reused} unchanged"
    )
    return 0


def progress_bar(min_files: int = 20) -> Callable[[int, int, int], None]:
    """A one-line bar on stderr for folders of `min_files` or more (the caller shows it on a terminal only),
    counting the stories analysed again and those unchanged since the last build."""

    def show(done: int, total: int, reused: int) -> None:
        if total < min_files:
            return
        filled = int(30 * done / total)
        end = "\n" if done == total else ""
        counts = f"{done}/{total} stories ({done - reused} analysed, {reused} unchanged)"
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {counts}", end=end, file=sys.stderr, flush=True)

    return show
