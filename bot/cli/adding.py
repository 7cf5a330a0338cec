"""`storybot add URL|FILE`: put a story in the stories folder (fetching a web page) and rebuild the index."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.startup import batch_embedder, settings_for
from bot.errors import UsageError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "add",
        help="add a story from a URL or a file, then rebuild the index",
        description="Copy a story file, or fetch a web page and keep its article, into the stories folder.",
        epilog="example: storybot add https://example.org/news/rail-strike-called-off.html",
    )
    p.add_argument("source", help="http(s) URL or file path")
    p.add_argument("--stories", type=Path)
    p.add_argument("--index", type=Path)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from index.build import build_and_save
    from index.clean import clean
    from index.read import STORY_SUFFIXES, StoryFileError, fetch_url, read_story, story_files
    from index.text import plural

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
    report = build_and_save(folder, settings.index_path, embedder=batch_embedder(settings))
    print(f"{verb} {target.name} ({story.title}); index rebuilt: {plural(len(report.stories), 'story')}")
    return 0
