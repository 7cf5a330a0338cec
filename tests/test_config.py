"""Settings from `.env` and the environment; `.env.example` agrees with them; bad values never echoed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import AliasChoices

from bot.config import BUNDLED_STORIES, DEFAULT_INDEX, Settings, SettingsError, load_settings
from tests.conftest import ROOT
from tests.storybot_run import one_line_error, run

CANARY = "canary-8u7Hq2-not-a-value-to-print"


def _setting_names() -> set[str]:
    names = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        assert isinstance(alias, AliasChoices), "every setting is read from a named variable"
        names.add(str(alias.choices[0]))
    return names


def _example_entries() -> dict[str, list[str]]:
    """Each variable in .env.example -> the comment lines right above it."""
    entries: dict[str, list[str]] = {}
    comments: list[str] = []
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            comments.append(line)
        elif match := re.match(r"^([A-Z][A-Z0-9_]*)=", line):
            entries[match.group(1)] = comments
            comments = []
        else:
            assert not line.strip(), f"unexpected line in .env.example: {line!r}"
            comments = []
    return entries


def test_env_example_lists_exactly_the_settings_each_with_a_comment() -> None:
    entries = _example_entries()
    assert set(entries) == _setting_names()
    for name, comments in entries.items():
        assert comments, f"{name} in .env.example has no comment above it"


def test_env_example_loads_as_valid_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.log_level == "INFO"
    assert settings.stories_dir == Path("stories")


def test_defaults_are_the_bundled_stories_and_the_project_index() -> None:
    settings = load_settings()
    assert settings.stories_dir == BUNDLED_STORIES
    assert (BUNDLED_STORIES / "third-trump-kim-summit.txt").is_file()
    assert settings.index_path == DEFAULT_INDEX
    assert settings.log_level == "INFO"


def test_dotenv_is_read_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "STORYBOT_STORIES_DIR=/srv/news\nSTORYBOT_INDEX_PATH=/var/lib/storybot/i.json\nSTORYBOT_LOG_LEVEL=debug\n"
        "STORYBOT_ALLOWED_CHAT_IDS=-1001, 42\n",
        encoding="utf-8",
    )
    settings = load_settings()
    assert settings.stories_dir == Path("/srv/news")
    assert settings.index_path == Path("/var/lib/storybot/i.json")
    assert settings.log_level == "DEBUG"
    assert settings.allowed_chat_ids == frozenset({-1001, 42})
    monkeypatch.setenv("STORYBOT_LOG_LEVEL", "warning")
    monkeypatch.setenv("STORYBOT_STORIES_DIR", "/elsewhere")
    settings = load_settings()
    assert settings.log_level == "WARNING"
    assert settings.stories_dir == Path("/elsewhere")
    assert load_settings(stories_dir=Path("/cli")).stories_dir == Path("/cli")  # the command line wins over both


def test_the_cli_uses_the_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stories_dir: Path) -> None:
    index = tmp_path / "from-env.json"
    r = run("index", env={"STORYBOT_STORIES_DIR": str(stories_dir), "STORYBOT_INDEX_PATH": str(index)})
    assert r.returncode == 0, r.stderr
    assert index.exists()
    assert "2 stories" in r.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STORYBOT_LOG_LEVEL", CANARY),
        ("STORYBOT_ALLOWED_CHAT_IDS", f"12,{CANARY}"),
        ("STORYBOT_ADMIN_USER_IDS", CANARY),
        ("STORYBOT_MAX_SENDS_PER_SECOND", CANARY),
        ("STORYBOT_USER_QUESTIONS_PER_MINUTE", CANARY),
    ],
)
def test_a_bad_setting_is_one_line_that_never_echoes_the_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str
) -> None:
    line = one_line_error(run("ask", "--index", str(tmp_path / "i.json"), "hello", env={name: value}))
    assert line.startswith(f"storybot: bad setting {name}: ")
    assert "canary" not in line
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "canary" not in str(caught.value)


def test_a_bad_setting_in_dotenv_is_one_line_too(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"STORYBOT_USER_QUESTIONS_PER_MINUTE=-{CANARY}\n", encoding="utf-8")
    line = one_line_error(run("ask", "--index", str(tmp_path / "i.json"), "hello", cwd=tmp_path))
    assert "STORYBOT_USER_QUESTIONS_PER_MINUTE" in line
    assert "canary" not in line


def test_a_dotenv_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_bytes(b"STORYBOT_LOG_LEVEL=\xe9" + CANARY.encode() + b"\n")
    line = one_line_error(run("ask", "--index", str(tmp_path / "i.json"), "hello", cwd=tmp_path))
    assert line == "storybot: the .env file is not UTF-8 text: fix it or remove it"
