"""Subcommands that live in their own modules, so `storybot index/ask/chat` never import them."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from bot import evalcmd

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _serve(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from bot.serve import register  # imports no telegram code until `serve` runs

    register(sub)


REGISTRY: list[Register] = [evalcmd.register, _serve]
