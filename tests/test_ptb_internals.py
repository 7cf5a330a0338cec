"""Every private python-telegram-bot attribute storybot touches, checked on the installed version.

When an upgrade renames one, the test that fails names the attribute and the module that needs it,
instead of the bot misbehaving in production. pyproject pins PTB to the major version these pass on.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from datetime import timedelta

import httpx
import pytest
from telegram.error import RetryAfter
from telegram.ext import ExtBot
from telegram.request import BaseRequest, HTTPXRequest

from bot.telegram.runner import POLLING_TASK
from tests.fake_bot_api import FakeBotAPI


def _missing(attribute: str, used_by: str) -> str:
    return f"python-telegram-bot no longer has {attribute} ({used_by} relies on it): adapt that module"


def test_ext_bot_posts_every_call_through_do_post() -> None:
    do_post = getattr(ExtBot, "_do_post", None)
    assert do_post is not None, _missing("ExtBot._do_post", "bot/telegram/updates.py")
    assert inspect.iscoroutinefunction(do_post), _missing("an async ExtBot._do_post", "bot/telegram/updates.py")
    assert list(inspect.signature(do_post).parameters)[:3] == ["self", "endpoint", "data"], _missing(
        "ExtBot._do_post(endpoint, data, ...)", "bot/telegram/updates.py"
    )


def test_the_bot_class_logs_through_its_class_logger() -> None:
    assert isinstance(getattr(ExtBot, "_LOGGER", None), logging.Logger), _missing(
        "Bot._LOGGER", "bot/telegram/updates.py"
    )


async def test_httpx_request_keeps_its_client_and_user_agent() -> None:
    request = HTTPXRequest()
    assert isinstance(getattr(request, "_client", None), httpx.AsyncClient), _missing(
        "HTTPXRequest._client", "bot/telegram/jsonbody.py"
    )
    assert isinstance(getattr(HTTPXRequest, "USER_AGENT", None), str), _missing(
        "HTTPXRequest.USER_AGENT", "bot/telegram/jsonbody.py"
    )
    assert hasattr(BaseRequest, "DEFAULT_NONE"), _missing("BaseRequest.DEFAULT_NONE", "bot/telegram/jsonbody.py")
    await request.shutdown()


def test_odv_input_type_is_where_jsonbody_imports_it_from() -> None:
    try:
        from telegram._utils.types import ODVInput  # noqa: F401
    except ImportError:  # pragma: no cover - only on a PTB that moved it
        pytest.fail(_missing("telegram._utils.types.ODVInput", "bot/telegram/jsonbody.py"))


def test_retry_after_keeps_its_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as the bot runs (bot/telegram/app.py): no deprecation warning
    error = RetryAfter(3)
    value = getattr(error, "_retry_after", None)
    assert isinstance(value, timedelta), _missing("RetryAfter._retry_after (a timedelta)", "bot/telegram/retry.py")
    assert value.total_seconds() == 3


async def test_the_updater_names_its_polling_task(fake: FakeBotAPI) -> None:
    """bot/telegram/runner.py finds the polling task by name to notice a token revoked mid-run."""
    bot = ExtBot(fake.token, base_url=fake.base_url)
    from telegram.ext import Application

    app = Application.builder().bot(bot).build()
    await app.initialize()
    try:
        await app.updater.start_polling(poll_interval=0.05, timeout=timedelta(seconds=0.2))  # type: ignore[union-attr]
        names = {task.get_name() for task in asyncio.all_tasks()}
        assert POLLING_TASK in names, _missing(f"a polling task named {POLLING_TASK!r}", "bot/telegram/runner.py")
    finally:
        await app.updater.stop()  # type: ignore[union-attr]
        await app.shutdown()


def test_the_bot_posts_a_dict_of_parameters_through_post() -> None:
    post = getattr(ExtBot, "_post", None)
    assert post is not None, _missing("Bot._post", "bot/telegram/sending.py")
    assert inspect.iscoroutinefunction(post), _missing("an async Bot._post", "bot/telegram/sending.py")
    assert list(inspect.signature(post).parameters)[:3] == ["self", "endpoint", "data"], _missing(
        "Bot._post(endpoint, data, ...)", "bot/telegram/sending.py"
    )


async def test_post_drops_none_values_and_returns_the_raw_result(fake: FakeBotAPI) -> None:
    """bot/telegram/sending.py leaves unused parameters as None and reads the message id from the raw JSON."""
    bot = ExtBot(fake.token, base_url=fake.base_url)
    await bot.initialize()
    try:
        result = await bot._post("sendMessage", {"chat_id": 42, "text": "hello", "reply_markup": None})
    finally:
        await bot.shutdown()
    assert isinstance(result, dict), _missing("Bot._post returning the raw result", "bot/telegram/sending.py")
    assert isinstance(result["message_id"], int)
    assert fake.sent()[0].params == {"chat_id": 42, "text": "hello"}, _missing(
        "Bot._post dropping None values", "bot/telegram/sending.py"
    )
