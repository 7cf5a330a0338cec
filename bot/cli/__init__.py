"""The `storybot` command: index, ask, chat, add, eval and serve."""

from bot.cli.app import main

__all__ = ["main"]
