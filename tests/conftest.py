"""Shared fixtures: the shipped stories, a built index, and settings that never read a real `.env`."""

from __future__ import annotations

import gc
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from index.build import build_and_save
from index.service import AnswerService

if TYPE_CHECKING:  # the bot's fixtures import their modules when used, so core tests never load telegram
    from bot.config import Settings
    from tests.fake_bot_api import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "stories"
SHARED_STORIES = ROOT.parent / "shared" / "stories"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = "third-trump-kim-summit"
RAIL = "rail-strike-called-off"


@pytest.fixture(autouse=True)
def _no_env_file(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Settings read no developer's .env and no STORYBOT_/TELEGRAM_ variables from the outside."""
    import os

    for name in list(os.environ):
        if name.startswith(("STORYBOT_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(autouse=True)
def _unfrozen() -> Iterator[None]:
    """A running bot freezes the heap (bot/heap.py); each test starts and ends with nothing frozen, so the
    suite collects garbage (and reports unclosed resources) as any process does."""
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.fixture
def stories_dir(tmp_path: Path) -> Path:
    """A stories folder with the bundled story and the rail-strike development story."""
    folder = tmp_path / "stories"
    folder.mkdir()
    shutil.copy(BUNDLED / f"{SEED}.txt", folder)
    shutil.copy(FIXTURES / f"{RAIL}.txt", folder)
    return folder


@pytest.fixture
def index_path(stories_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "index.json"
    build_and_save(stories_dir, path)
    return path


@pytest.fixture
def service(index_path: Path, stories_dir: Path) -> AnswerService:
    svc = AnswerService(index_path, stories_dir)
    svc.open()
    return svc


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    """A Bot API server on 127.0.0.1 for the bot's end-to-end tests."""
    from tests.fake_bot_api import FakeBotAPI

    api = FakeBotAPI().start()
    yield api
    api.stop()


@pytest.fixture
def settings(fake: FakeBotAPI, index_path: Path, stories_dir: Path) -> Settings:
    """Settings for a bot talking to `fake`, with the test stories and index."""
    from tests.bot_harness import bot_settings

    return bot_settings(fake, index_path, stories_dir)
