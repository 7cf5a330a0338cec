"""Subcommands that live in their own modules, so `storybot index/ask/chat` never import them."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from bot import evalcmd

Register = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]

REGISTRY: list[Register] = [evalcmd.register]
