"""Settings from the environment and `.env`: the only place that reads either."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
BUNDLED_STORIES = PROJECT_DIR / "stories"
DEFAULT_INDEX = PROJECT_DIR / ".storybot" / "index.json"
STATE_FILE = "state.sqlite3"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Every setting storybot reads; `.env.example` lists the same names."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    stories_dir: Path = Field(BUNDLED_STORIES, validation_alias=_env("STORYBOT_STORIES_DIR"))
    index_path: Path = Field(DEFAULT_INDEX, validation_alias=_env("STORYBOT_INDEX_PATH"))
    # None: state.sqlite3 beside the index (.storybot/state.sqlite3 by default); see `state_file`
    state_path: Path | None = Field(None, validation_alias=_env("STORYBOT_STATE_PATH"))
    state_secret: SecretStr | None = Field(None, validation_alias=_env("STORYBOT_STATE_SECRET"))
    keep_questions: bool = Field(True, validation_alias=_env("STORYBOT_KEEP_QUESTIONS"))
    state_write_seconds: float = Field(10.0, gt=0, validation_alias=_env("STORYBOT_STATE_WRITE_SECONDS"))
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
    # None: the answer model's own default, chosen when it was fitted
    min_confidence: float | None = Field(None, ge=0, le=1, validation_alias=_env("STORYBOT_MIN_CONFIDENCE"))
    semantic: bool = Field(True, validation_alias=_env("STORYBOT_SEMANTIC"))
    context_minutes: float = Field(30, ge=0, validation_alias=_env("STORYBOT_CONTEXT_MINUTES"))

    @property
    def state_file(self) -> Path:
        """The state database: STORYBOT_STATE_PATH, else state.sqlite3 beside the index."""
        return self.state_path or self.index_path.parent / STATE_FILE

    @property
    def secret_for_ids(self) -> str | None:
        return self.state_secret.get_secret_value() if self.state_secret else None

    @field_validator("allowed_chat_ids", "admin_user_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part for part in value.replace(" ", "").split(",") if part]
            if not all(part.lstrip("-").isdigit() for part in parts):
                raise ValueError("must be whole numbers separated by commas")  # never the value: it may be secret
            return frozenset(int(part) for part in parts)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("min_confidence", mode="before")
    @classmethod
    def _empty_is_default(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level


class SettingsError(ValueError):
    """A setting that cannot be used. The message names the setting, never its value: it may be a token."""


def load_settings(**overrides: object) -> Settings:
    """Settings with command-line overrides on top; None means 'not given'."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_error(exc)) from None
    except UnicodeDecodeError:
        raise SettingsError("the .env file is not UTF-8 text: fix it or remove it") from None
    except OSError as exc:
        raise SettingsError(f"cannot read the .env file ({exc.strerror}): fix it or remove it") from None


def describe_error(exc: ValidationError) -> str:
    """One line naming the first bad setting and what is wrong, with the value scrubbed out."""
    errors = exc.errors()
    err = errors[0]
    name = str(err["loc"][0]).upper() if err["loc"] else "a setting"
    message = str(err["msg"]).removeprefix("Value error, ")
    value = err.get("input")
    if isinstance(value, str) and value.strip() and value in message:
        message = message.replace(value, "…")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"bad setting {name}: {message}{more}"
