"""Errors a user can fix, and the one line each becomes. Nothing here imports the command line or Telegram."""

from __future__ import annotations


class UsageError(Exception):
    """Something the user can fix; the message is the one line they see."""


def user_message(exc: BaseException) -> str | None:
    """The one line to show for a failure the user can meet, or None for a bug (which keeps its traceback)."""
    from pydantic import ValidationError

    from bot.config import SettingsError, describe_error
    from index.build import StoriesError
    from index.embed import EmbedderError
    from index.model import AnswerModelError
    from index.read import StoryFileError
    from index.service import UnknownStoryError
    from index.store import IndexFileError
    from index.text import one_line

    if isinstance(exc, ValidationError):
        return describe_error(exc)  # never the input: it may be the token
    fixable = (IndexFileError, StoriesError, UsageError, UnknownStoryError, SettingsError, AnswerModelError)
    if isinstance(exc, (*fixable, EmbedderError)):
        return one_line(str(exc))
    if isinstance(exc, StoryFileError):
        return one_line(f"cannot add that story: {exc}")
    if isinstance(exc, OSError):
        return one_line(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
    return None
