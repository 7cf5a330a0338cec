"""`storybot serve`: run the bot by long polling (the default) or behind a webhook.

Startup problems are one line and exit 2; another instance polling with the same token stops
this one with exit 3; SIGTERM and SIGINT stop it gracefully (in-flight answers finish, exit 0);
SIGHUP rebuilds the index and swaps it in.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import signal
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger("storybot.serve")

EXIT_CONFLICT = 3
CONFLICT = "another instance is running with this bot token (Telegram answered 409 Conflict); stopping"


@dataclass(frozen=True)
class ServeOptions:
    webhook_url: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    webhook_secret: str | None = None
    poll_timeout: float = 25.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="run the Telegram bot (long polling, or a webhook with --webhook-url)")
    p.add_argument("--index", type=Path, help="index file")
    p.add_argument("--webhook-url", help="public https URL Telegram posts updates to; without it: long polling")
    p.add_argument("--listen", default="127.0.0.1", help="address the webhook server binds (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8443, help="port the webhook server binds (default 8443)")
    p.add_argument(
        "--secret-token",
        help="webhook secret Telegram sends in each request (default: TELEGRAM_WEBHOOK_SECRET, else a random one)",
    )
    p.add_argument("--poll-timeout", type=float, default=25.0, help="long-poll timeout in seconds (default 25)")
    p.set_defaults(run=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from bot import redact
    from bot.cli import UsageError, _one_line, settings_for

    settings = settings_for(args)
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value().strip():
        raise UsageError("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and put it in .env (see README)")
    redact.install(settings.telegram_bot_token.get_secret_value())
    secret = args.secret_token or (
        settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else None
    )
    options = ServeOptions(args.webhook_url, args.listen, args.port, secret, args.poll_timeout)
    try:
        return asyncio.run(serve(settings, options))
    except Exception as exc:
        if _one_line(exc) is not None:  # the user's to fix: one line from the CLI
            raise
        # through logging, whose formatter masks the token, never as a bare traceback
        log.critical("storybot serve stopped by an unexpected error", exc_info=exc)
        return 1


async def serve(settings: Settings, options: ServeOptions, stop: asyncio.Event | None = None) -> int:
    """Run until stopped; returns the exit code. `stop` lets an embedding caller (the tests) end it."""
    from telegram.error import InvalidToken, NetworkError, TelegramError

    from bot.cli import UsageError
    from bot.redact import redact, secrets_of
    from bot.telegram import BotState, build_application, reload_index

    def state(app: Any) -> BotState:
        value: BotState = app.bot_data["storybot"]
        return value

    stop = stop or asyncio.Event()
    exit_code = 0
    app = build_application(settings, options.poll_timeout)

    def on_poll_error(exc: TelegramError) -> None:
        nonlocal exit_code
        from telegram.error import Conflict

        if isinstance(exc, Conflict):
            print(f"storybot: {CONFLICT}", file=sys.stderr)
            # the last getUpdates on the way out meets the same 409; its traceback would only confuse
            logging.getLogger("telegram.ext.Updater").addFilter(_not_conflict)
            exit_code = EXIT_CONFLICT
            stop.set()
        else:
            log.warning("polling for updates failed, retrying: %s", exc)

    def on_polling_died(exc: BaseException) -> None:
        nonlocal exit_code
        rejected = isinstance(exc, InvalidToken)
        print(
            f"storybot: {'Telegram rejected the bot token' if rejected else 'polling stopped'}; exiting",
            file=sys.stderr,
        )
        exit_code = 2 if rejected else 1
        stop.set()

    def on_hup() -> None:
        app.create_task(reload_index(state(app).service))

    loop = asyncio.get_running_loop()
    handled = _install_signals(loop, stop, on_hup)
    try:
        try:
            await app.initialize()
        except InvalidToken:
            raise UsageError("Telegram rejected the bot token") from None
        except NetworkError as exc:
            token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
            raise UsageError(f"cannot reach the Telegram Bot API: {redact(str(exc), secrets_of(token))}") from None
        try:
            if app.post_init:
                await app.post_init(app)
            if options.webhook_url:
                await _start_webhook(app, options)
            else:
                await app.updater.start_polling(  # type: ignore[union-attr]
                    timeout=timedelta(seconds=options.poll_timeout), error_callback=on_poll_error
                )
            await app.start()
            _watch_polling(on_polling_died)
            log.info("storybot is up (%s)", "webhook" if options.webhook_url else "long polling")
            await stop.wait()
            log.info("stopping: finishing the answers in flight")
        finally:
            if app.updater and app.updater.running:
                try:
                    await app.updater.stop()
                except TelegramError as exc:  # the polling task's own end, reported by on_polling_died
                    log.debug("polling had already ended: %s", exc)
            if app.running:
                await app.stop()
            await app.shutdown()
            if app.post_shutdown:
                await app.post_shutdown(app)
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)
    return exit_code


async def _start_webhook(app: Any, options: ServeOptions) -> None:
    url = options.webhook_url or ""
    secret = options.webhook_secret or secrets.token_urlsafe(32)
    await app.updater.start_webhook(
        listen=options.listen,
        port=options.port,
        url_path=urlparse(url).path.lstrip("/"),
        webhook_url=url,
        secret_token=secret,
    )


def _watch_polling(on_died: Any) -> None:
    """PTB's polling task ends quietly when the token is revoked mid-run; a supervisor should hear of it."""
    for task in asyncio.all_tasks():
        if task.get_name() == "Updater:start_polling:polling_task":  # PTB's name for it (v20-v22)
            task.add_done_callback(lambda t: None if t.cancelled() or t.exception() is None else on_died(t.exception()))


def _not_conflict(record: logging.LogRecord) -> bool:
    from telegram.error import Conflict

    return not (record.exc_info and isinstance(record.exc_info[1], Conflict))


def _install_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event, on_hup: Any) -> list[int]:
    """SIGTERM/SIGINT stop, SIGHUP reloads; only possible in the main thread (tests run elsewhere too)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return []
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGHUP, on_hup)
    return [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]
