"""Settings from the environment and `.env`: the only place that reads either."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
BUNDLED_STORIES = PROJECT_DIR / "stories"
DEFAULT_INDEX = PROJECT_DIR / ".storybot" / "index.json"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Every setting storybot reads; `.env.example` lists the same names."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    stories_dir: Path = Field(BUNDLED_STORIES, validation_alias=_env("STORYBOT_STORIES_DIR"))
    index_path: Path = Field(DEFAULT_INDEX, validation_alias=_env("STORYBOT_INDEX_PATH"))
    log_level: str = Field("INFO", validation_alias=_env("STORYBOT_LOG_LEVEL"))
    telegram_bot_token: SecretStr | None = Field(None, validation_alias=_env("TELEGRAM_BOT_TOKEN"))
    telegram_webhook_secret: SecretStr | None = Field(None, validation_alias=_env("TELEGRAM_WEBHOOK_SECRET"))
    telegram_base_url: str = Field("https://api.telegram.org/bot", validation_alias=_env("TELEGRAM_BASE_URL"))
    allowed_chat_ids: Annotated[frozenset[int], NoDecode] = Field(
        frozenset(), validation_alias=_env("STORYBOT_ALLOWED_CHAT_IDS")
    )
    admin_user_ids: Annotated[frozenset[int], NoDecode] = Field(
        frozenset(), validation_alias=_env("STORYBOT_ADMIN_USER_IDS")
    )
    max_sends_per_second: float = Field(30, ge=0, validation_alias=_env("STORYBOT_MAX_SENDS_PER_SECOND"))
    user_questions_per_minute: int = Field(20, ge=0, validation_alias=_env("STORYBOT_USER_QUESTIONS_PER_MINUTE"))

    @field_validator("allowed_chat_ids", "admin_user_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level


def load_settings(**overrides: object) -> Settings:
    """Settings with command-line overrides on top; None means 'not given'."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**given)  # type: ignore[arg-type]
