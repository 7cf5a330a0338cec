"""Bot API calls go as JSON bodies (bot/jsonbody.py), and fail as python-telegram-bot's own requests fail."""

from __future__ import annotations

import socket

import httpx
import pytest
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.config import Settings
from bot.telegram.jsonbody import JSONRequest
from bot.telegram.retry import never_sent
from tests.bot_harness import running_bot
from tests.fake_bot_api import FakeBotAPI

SUMMIT = "where is the third summit?"


async def test_an_answer_goes_as_json_with_its_button_and_text_intact(fake: FakeBotAPI, settings: Settings) -> None:
    async with running_bot(fake, settings):
        fake.message(SUMMIT, user_id=42)
        sent = (await fake.wait_sent())[0]
    assert sent.content_type == "application/json"
    assert sent.params["chat_id"] == 42
    assert sent.params["parse_mode"] == "HTML"
    assert sent.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "More"
    assert "Moon Jae-in" in sent.params["text"]
    assert "—" in sent.params["text"]  # the citation's dash ...
    assert "—".encode() in sent.body  # ... as UTF-8, not escaped to \u2014


def _params(**values: object) -> RequestData:
    return RequestData([RequestParameter.from_input(name, value) for name, value in values.items()])


async def test_a_request_with_a_file_still_goes_as_a_multipart_form(fake: FakeBotAPI) -> None:
    request = JSONRequest()
    await request.initialize()
    try:
        upload = _params(chat_id=42, document=InputFile(b"report", filename="report.txt"))
        await request.do_request(f"{fake.base_url}{fake.token}/sendDocument", "POST", upload)
        plain = _params(chat_id=42, text="hello")
        await request.do_request(f"{fake.base_url}{fake.token}/sendMessage", "POST", plain)
    finally:
        await request.shutdown()
    assert fake.calls[0].content_type.startswith("multipart/form-data")
    assert fake.calls[1].content_type == "application/json"
    assert fake.calls[1].params == {"chat_id": 42, "text": "hello"}


async def test_a_refused_connection_is_a_network_error_and_a_shut_request_says_so() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens there once the socket closes
    url = f"http://127.0.0.1:{port}/botX/getMe"
    request = JSONRequest()
    await request.initialize()
    with pytest.raises(NetworkError, match="httpx.ConnectError"):
        await request.do_request(url, "POST", _params(chat_id=1))
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(url, "POST", _params(chat_id=1))


class FailingTransport(httpx.AsyncBaseTransport):
    """A connection that fails the way the network can, passed to httpx in place of the real one."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise self.error


@pytest.mark.parametrize(
    ("error", "sent"),
    [
        (httpx.ConnectTimeout("connect"), False),
        (httpx.PoolTimeout("pool"), False),
        (httpx.WriteTimeout("write"), False),
        (httpx.ReadTimeout("read"), True),
    ],
)
async def test_a_timeout_is_timed_out_and_says_whether_the_request_got_out(error: Exception, sent: bool) -> None:
    request = JSONRequest(httpx_kwargs={"transport": FailingTransport(error)})
    await request.initialize()
    try:
        with pytest.raises(TimedOut) as caught:
            await request.do_request("http://127.0.0.1:9/botX/sendMessage", "POST", _params(chat_id=1, text="hi"))
    finally:
        await request.shutdown()
    assert never_sent(caught.value) is not sent  # what bot/retry.py decides a resend on
