"""What every subcommand starts with: its settings (logging set up by them) and the answer service."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings
    from index.service import AnswerService, NamedEmbedder


def settings_for(args: argparse.Namespace) -> Settings:
    """Settings with the command line's --stories and --index on top, and logging set up by them."""
    from bot.config import load_settings
    from bot.logs import configure

    settings = load_settings(stories_dir=getattr(args, "stories", None), index_path=getattr(args, "index", None))
    configure(settings.log_level)
    return settings


def open_service(settings: Settings) -> AnswerService:
    """The answer service over the configured index, building the index first when there is none."""
    from index.service import AnswerService
    from index.text import plural

    service = AnswerService(
        settings.index_path, settings.stories_dir, min_confidence=settings.min_confidence, semantic=settings.semantic
    )
    report = service.open(build_if_missing=True)
    if report is not None:
        print(
            f"storybot: built the index at {settings.index_path} ({plural(len(report.stories), 'story')})",
            file=sys.stderr,
        )
    return service


def batch_embedder(settings: Settings) -> NamedEmbedder | None:
    """The sentence-embedding model for an index build (every core), or None with STORYBOT_SEMANTIC=false. A
    ready-to-load copy of it, and of the model's question side, goes beside the index, so that the next
    `storybot ask` loads the question side in a fraction of the time."""
    from index.embed import cache_beside
    from index.service import load_embedder, load_question_embedder

    if not settings.semantic:
        return None
    load_question_embedder(cache=cache_beside(settings.index_path))  # leaves its copy; freed at once
    return load_embedder(batch=True, cache=cache_beside(settings.index_path))
