"""A fake Telegram Bot API server on 127.0.0.1: real JSON shapes, every call recorded, faults on demand.

Tests inject updates as users would send them, then wait for the calls the bot makes. Messages
are parsed as Telegram parses HTML: invalid markup or text over 4,096 units gets Telegram's 400.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from tests.telegram_html import check_telegram_html

BOT_ID = 7000001
BOT_USERNAME = "story_test_bot"
MAX_POLL = 5.0  # the fake never holds a long poll longer than this
DROPPED = -1  # the status of a call whose connection the fake closed without replying
_STRING_PARAMS = {"text", "query", "callback_query_id", "inline_query_id", "parse_mode", "action", "url"}
_STRING_PARAMS |= {"secret_token", "next_offset", "cache_time_str"}


@dataclass
class Fault:
    status: int = 500
    retry_after: int | None = None
    delay: float = 0.0
    description: str = ""
    when: str = ""  # only for calls whose parameters contain this text
    trickle: bool = False  # the reply dribbles in a byte at a time for `delay` seconds: no read ever times out
    drop: bool = False  # the connection is closed without a reply, and the call is not acted on


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 0  # 0 while in flight
    result: Any = None
    content_type: str = ""  # of the request: how the bot encoded its parameters
    body: bytes = b""  # the request's body, as it came


@dataclass
class FakeBotAPI:
    token: str = "123456:TEST-token-for-the-fake"
    username: str = BOT_USERNAME
    calls: list[Call] = field(default_factory=list)
    delivered: Counter[str] = field(default_factory=Counter)  # successful calls per method
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _faults: dict[str, list[Fault]] = field(default_factory=dict)
    _messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    _cond: threading.Condition = field(default_factory=threading.Condition)
    _delivery: threading.Condition = field(default_factory=threading.Condition)  # apart: not waking long polls
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _closed: bool = False

    # ---- lifecycle ----

    def start(self) -> FakeBotAPI:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Telegram's servers do
            # headers and body go out in two writes: with Nagle on, the body waits for the client's
            # delayed ACK, 40 ms a call on Linux loopback
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                api._handle(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128  # the stdlib's 5 resets connections when a bot opens dozens at once

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/bot"

    # ---- what users do ----

    def _push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            update = {"update_id": next(self._ids) + 1000, kind: payload}
            self._updates.append(update)
            self._cond.notify_all()
        return update

    @contextmanager
    def burst(self) -> Iterator[None]:
        """Updates pushed inside arrive together: no getUpdates sees only part of them."""
        with self._cond:
            yield

    def user(self, user_id: int) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}", "language_code": "en"}

    def chat(self, chat_id: int, chat_type: str) -> dict[str, Any]:
        if chat_type == "private":
            return {"id": chat_id, "type": "private", "first_name": f"User{chat_id}"}
        return {"id": chat_id, "type": chat_type, "title": "A group"}

    def message(
        self,
        text: str,
        user_id: int = 42,
        chat_id: int | None = None,
        chat_type: str = "private",
        reply_to: dict[str, Any] | None = None,
        kind: str = "message",
        **extra: Any,
    ) -> dict[str, Any]:
        """A user sends `text` (commands get their bot_command entity, as Telegram adds it)."""
        msg = self._bare(user_id, chat_id, chat_type)
        msg.update(text=text, **extra)
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if reply_to is not None:
            msg["reply_to_message"] = reply_to
        return self._push(kind, msg)

    def press(self, sent: dict[str, Any], user_id: int = 42, data: str | None = None) -> dict[str, Any]:
        """A user presses the button under a message the bot sent."""
        if data is None:
            data = sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        query = {
            "id": str(next(self._ids)),
            "from": self.user(user_id),
            "message": sent,
            "chat_instance": "1",
            "data": data,
        }
        return self._push("callback_query", query)

    def inline(self, query: str, user_id: int = 42) -> dict[str, Any]:
        return self._push(
            "inline_query", {"id": str(next(self._ids)), "from": self.user(user_id), "query": query, "offset": ""}
        )

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self._push(kind, payload)

    # ---- updates that are not a text from a user, shaped as Telegram sends them ----

    def _bare(self, user_id: int, chat_id: int | None = None, chat_type: str = "private") -> dict[str, Any]:
        chat_id = user_id if chat_id is None else chat_id
        msg: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id, chat_type),
            "from": self.user(user_id),
        }
        self._messages[(chat_id, msg["message_id"])] = msg
        return msg

    def sticker(self, user_id: int = 42) -> dict[str, Any]:
        thumb = {"file_id": "AAMCAgADGQEAAQ", "file_unique_id": "AQADx", "file_size": 4616, "width": 128, "height": 128}
        sticker = {
            "file_id": "CAACAgIAAxkBAAE",
            "file_unique_id": "AgADxQ",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "🙂",
            "set_name": "HotCherry",
            "thumbnail": thumb,
            "thumb": thumb,
            "file_size": 27008,
        }
        return self._push("message", {**self._bare(user_id), "sticker": sticker})

    def photo(self, user_id: int = 42, caption: str | None = None) -> dict[str, Any]:
        sizes = [
            {
                "file_id": f"AgACAgIAAxkBAAI{w}",
                "file_unique_id": f"AQAD{w}",
                "file_size": w * 60,
                "width": w,
                "height": w,
            }
            for w in (90, 320, 800)
        ]
        extra = {"caption": caption} if caption else {}
        return self._push("message", {**self._bare(user_id), "photo": sizes, **extra})

    def edit(self, sent: dict[str, Any], text: str) -> dict[str, Any]:
        """The user edits a message they sent: same message_id, with the edit's date."""
        original = sent.get("message") or sent
        edited = {**original, "text": text, "edit_date": int(time.time()) + 1}
        return self._push("edited_message", edited)

    def channel_post(self, text: str, chat_id: int = -100555) -> dict[str, Any]:
        """A post in a channel the bot administers: there is no `from`, only the channel as sender."""
        channel = {"id": chat_id, "title": "News channel", "type": "channel"}
        post = {"message_id": next(self._ids), "date": int(time.time()), "chat": channel, "sender_chat": channel}
        post["text"] = text
        if text.startswith("/"):
            post["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._push("channel_post", post)

    def poll_update(self) -> dict[str, Any]:
        """A poll's new state: an update with neither a user nor a chat."""
        poll = {
            "id": str(next(self._ids)),
            "question": "where is the third summit?",
            "options": [
                {"persistent_id": "0", "text": "Hanoi", "voter_count": 1},
                {"persistent_id": "1", "text": "Singapore", "voter_count": 0},
            ],
            "total_voter_count": 1,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
            "allows_revoting": True,
            "members_only": False,
        }
        return self._push("poll", poll)

    def anonymous_admin(self, text: str, chat_id: int = -100777) -> dict[str, Any]:
        """A group admin posting anonymously: `from` is Telegram's stand-in bot, the sender is the group."""
        group = self.chat(chat_id, "supergroup")
        msg: dict[str, Any] = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": group,
            "sender_chat": group,
            "from": {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"},
            "text": text,
        }
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        self._messages[(chat_id, msg["message_id"])] = msg
        return self._push("message", msg)

    # ---- faults ----

    def fail(self, method: str, status: int = 500, times: int = 1, **kw: Any) -> None:
        """The next `times` calls of `method` fail with `status` (200: only delayed)."""
        with self._cond:
            self._faults.setdefault(method, []).extend(Fault(status, **kw) for _ in range(times))

    # ---- what tests read ----

    def sent(self, method: str = "sendMessage", delivered: bool = True) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method and (c.status == 200 or not delivered)]

    def texts(self, chat_id: int | None = None) -> list[str]:
        """Plain texts of the messages the bot sent (and edited), in order."""
        return [
            c.result["text"]
            for c in self.sent("sendMessage") + self.sent("editMessageText")
            if chat_id is None or c.result["chat"]["id"] == chat_id
        ]

    def wait_delivered(self, method: str, count: int, within: float) -> bool:
        """Block (in a thread, not the event loop) until `count` calls of `method` have succeeded."""
        deadline = time.monotonic() + within
        with self._delivery:
            while self.delivered[method] < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._delivery.wait(left)
        return True

    async def wait_for(self, check: Callable[[], Any], within: float = 10.0) -> Any:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            await asyncio.sleep(0.02)
        raise AssertionError(f"timed out waiting; calls: {[(c.method, c.status) for c in self.calls][-20:]}")

    async def wait_sent(self, count: int = 1, method: str = "sendMessage", within: float = 10.0) -> list[Call]:
        calls: list[Call] = await self.wait_for(lambda: len(self.sent(method)) >= count and self.sent(method), within)
        return calls

    # ---- the server side ----

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        prefix, _, method = request.path.rpartition("/")
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length)
        body = raw.decode(errors="replace")
        content_type = request.headers.get("Content-Type") or ""
        params = _params(body, content_type)
        call = Call(method, params, content_type=content_type, body=raw)
        with self._cond:
            self.calls.append(call)
            faults = self._faults.get(method, [])
            fault = next((f for f in faults if f.when in json.dumps(params, ensure_ascii=False)), None)
            if fault:
                faults.remove(fault)
        if fault and fault.drop:
            call.status = DROPPED
            request.close_connection = True
            return
        trickled = bool(fault and fault.trickle) and self._trickle(request, fault.delay if fault else 0)
        if fault and fault.delay and not fault.trickle:
            time.sleep(fault.delay)
        if prefix != f"/bot{self.token}":
            status, payload = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        elif fault and fault.status != 200:
            status, payload = fault.status, _error(fault)
        else:
            status, payload = self._answer(method, params)
        call.result = payload.get("result")
        call.status = status
        if status == 200:
            with self._delivery:
                self.delivered[method] += 1
                self._delivery.notify_all()
        data = json.dumps(payload).encode()
        try:
            if trickled:
                request.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data))
                return
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except OSError:  # the client gave up (a timeout): nothing to answer
            pass

    def _trickle(self, request: BaseHTTPRequestHandler, seconds: float) -> bool:
        """Start a chunked 200 reply and dribble JSON whitespace into it for `seconds`; the rest follows."""
        try:
            request.send_response(200)
            request.send_header("Content-Type", "application/json")
            request.send_header("Transfer-Encoding", "chunked")
            request.end_headers()
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline and not self._closed:
                request.wfile.write(b"1\r\n \r\n")
                request.wfile.flush()
                time.sleep(0.2)
        except OSError:  # the client gave up
            pass
        return True

    def _answer(self, method: str, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getMe":
            return _ok(self.me())
        if method == "getUpdates":
            return _ok(self._get_updates(int(p.get("offset") or 0), float(p.get("timeout") or 0)))
        if method in ("sendMessage", "editMessageText"):
            return self._message(method, p)
        if method == "getWebhookInfo":
            return _ok({"url": "", "has_custom_certificate": False, "pending_update_count": len(self._updates)})
        if method in _TRUE_METHODS:
            return _ok(True)
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def me(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Story Bot",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }

    def _get_updates(self, offset: int, timeout: float) -> list[dict[str, Any]]:
        deadline = time.monotonic() + min(timeout, MAX_POLL)
        with self._cond:
            if offset:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self._updates[:100])

    def _message(self, method: str, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        text = str(p.get("text", ""))
        try:
            plain = check_telegram_html(text) if p.get("parse_mode") == "HTML" else text
        except AssertionError as exc:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: can't parse entities: {exc}"}
        if len(plain.encode("utf-16-le")) // 2 > 4096:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message is too long"}
        chat_id = int(p["chat_id"])
        msg: dict[str, Any]
        if method == "sendMessage":
            chat = self.chat(chat_id, "private" if chat_id > 0 else "supergroup")
            msg = {"message_id": next(self._ids), "date": int(time.time()), "chat": chat, "from": self._bot_user()}
        else:
            old = self._messages.get((chat_id, int(p["message_id"])))
            if old is None:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: message to edit not found"}
            msg = dict(old, edit_date=int(time.time()))
        msg["text"] = plain
        msg["html"] = text  # not Telegram's: lets the tests see the markup sent
        if "reply_markup" in p:
            msg["reply_markup"] = p["reply_markup"]
        else:
            msg.pop("reply_markup", None)
        self._messages[(chat_id, msg["message_id"])] = msg
        return _ok(msg)

    def _bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Story Bot", "username": self.username}


_TRUE_METHODS = {
    "sendChatAction",
    "setMyCommands",
    "deleteWebhook",
    "setWebhook",
    "answerCallbackQuery",
    "answerInlineQuery",
    "close",
    "logOut",
}


def _ok(result: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"ok": True, "result": result}


def _error(fault: Fault) -> dict[str, Any]:
    if fault.status == 429:
        after = fault.retry_after or 1
        return {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {after}",
            "parameters": {"retry_after": after},
        }
    text = fault.description or {
        409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
        502: "Bad Gateway",
    }.get(fault.status, "Internal Server Error")
    return {"ok": False, "error_code": fault.status, "description": text}


def _params(body: str, content_type: str) -> dict[str, Any]:
    """A JSON body (storybot posts one, bot/jsonbody.py), or form fields with every value that is not a
    string JSON-encoded (python-telegram-bot's own way, and file uploads)."""
    if "json" in content_type:
        loaded: dict[str, Any] = json.loads(body or "{}")
        return loaded
    out: dict[str, Any] = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        if key in _STRING_PARAMS:
            out[key] = value
            continue
        try:
            out[key] = json.loads(value)
        except ValueError:
            out[key] = value
    return out
