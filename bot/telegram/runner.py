"""Running the Application until it is told to stop, and turning what goes wrong into exit codes.

python-telegram-bot's own `run_polling` keeps polling through a 409 Conflict, ends quietly when the
token is revoked, and prints the token when Telegram rejects it at start. Here instead:
startup problems are one line (exit 2); another instance polling with the same token stops this one
(exit 3); a token revoked while running exits 2; long polling that stops making progress exits 4
(bot/watchdog.py); SIGTERM/SIGINT stop gracefully, answers in flight finished (exit 0); SIGHUP
rebuilds the index and swaps it in.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import sys
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, TelegramError

from bot.config import Settings
from bot.errors import UsageError
from bot.logs import redact, secrets_of
from bot.telegram.app import build_application
from bot.telegram.handlers import reload_index
from bot.telegram.options import ServeOptions
from bot.telegram.persistence import StatePersistence
from bot.telegram.state import BotState
from bot.telegram.watchdog import PollWatch, watch
from index.service import AnswerService

log = logging.getLogger("storybot.serve")

EXIT_REJECTED = 2
EXIT_CONFLICT = 3
EXIT_STALLED = 4
CONFLICT = "another instance is running with this bot token (Telegram answered 409 Conflict); stopping"
POLLING_TASK = "Updater:start_polling:polling_task"  # PTB's name for its polling task (v20-v22)


async def serve(
    settings: Settings,
    options: ServeOptions,
    stop: asyncio.Event | None = None,
    service: AnswerService | None = None,
    store: StatePersistence | None = None,
) -> int:
    """Run until stopped; returns the exit code. `stop`, `service` and `store` let an embedding caller
    (the tests) end it and choose what answers and where the state goes."""
    run = _Run(settings, options, stop or asyncio.Event(), service, store)
    handled = run.install_signals()
    try:
        await run.start()
        log.info("storybot is up (%s)", "webhook" if options.webhook_url else "long polling")
        await run.stop.wait()
        log.info("stopping: finishing the answers in flight")
    finally:
        await run.finish()
        for sig in handled:
            asyncio.get_running_loop().remove_signal_handler(sig)
    return run.exit_code


class _Run:
    def __init__(
        self,
        settings: Settings,
        options: ServeOptions,
        stop: asyncio.Event,
        service: AnswerService | None,
        store: StatePersistence | None = None,
    ) -> None:
        self.options = options
        self.stop = stop
        self.exit_code = 0
        self.polls = PollWatch(read_timeout=options.read_slack)
        self.app = build_application(settings, self.polls, options.send_timeout, service, store)
        self.watcher: asyncio.Task[None] | None = None
        token = settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
        self.secrets = secrets_of(token)
        self.host = urlparse(settings.telegram_base_url).netloc
        self.initialized = False
        for name in ("telegram.ext", "telegram.ext.Updater"):  # filters do not apply to child loggers
            logging.getLogger(name).addFilter(_not_reported_here)

    async def start(self) -> None:
        app = self.app
        try:
            await app.initialize()
            self.initialized = True
            if app.post_init:
                await app.post_init(app)
            if self.options.webhook_url:
                await self._start_webhook(self.options.webhook_url)
            else:
                await app.updater.start_polling(  # type: ignore[union-attr]
                    timeout=timedelta(seconds=self.options.poll_timeout), error_callback=self.on_poll_error
                )
            await app.start()
            if not self.options.webhook_url:
                self.watcher = asyncio.create_task(
                    watch(self.polls, self.options.effective_stall_limit, self.on_stall), name="storybot:poll-watchdog"
                )
        except InvalidToken:
            raise UsageError("Telegram rejected the bot token") from None  # PTB's message holds the token
        except (BadRequest, Forbidden, Conflict) as exc:
            raise UsageError(f"Telegram refused to start the bot: {self._say(exc)}") from None
        except NetworkError as exc:
            raise UsageError(f"cannot reach the Telegram Bot API at {self.host}: {self._say(exc)}") from None
        self._watch_polling()

    def _say(self, exc: Exception) -> str:
        return redact(str(exc), self.secrets)

    async def _start_webhook(self, url: str) -> None:
        await self.app.updater.start_webhook(  # type: ignore[union-attr]
            listen=self.options.listen,
            port=self.options.port,
            url_path=urlparse(url).path.lstrip("/"),
            webhook_url=url,
            secret_token=self.options.webhook_secret or secrets.token_urlsafe(32),
        )

    async def finish(self) -> None:
        app = self.app
        if self.watcher:
            self.watcher.cancel()
        if app.updater and app.updater.running:
            try:
                # bounded: after a stall, the last getUpdates PTB sends on the way out may stall too
                await asyncio.wait_for(app.updater.stop(), self.options.read_slack + 5)
            except TelegramError as exc:  # the polling task's own end, already reported
                log.debug("polling had already ended: %s", exc)
            except TimeoutError:
                log.warning("gave up waiting for the last getUpdates; updates since may come again after a restart")
        if app.running:
            await app.stop()
        if self.initialized:
            await app.shutdown()
            if app.post_shutdown:
                await app.post_shutdown(app)
        else:  # getMe failed: the bot's HTTP clients are open all the same
            await app.bot.shutdown()

    def on_poll_error(self, exc: TelegramError) -> None:
        if isinstance(exc, Conflict):
            print(f"storybot: {CONFLICT}", file=sys.stderr)
            self.exit_code = EXIT_CONFLICT
            self.stop.set()
        else:
            log.warning("polling for updates failed, retrying: %s", exc)

    def on_stall(self, quiet: float) -> None:
        print(
            f"storybot: long polling stalled (no getUpdates started or ended for {quiet:.0f} s); "
            "exiting for the supervisor to restart",
            file=sys.stderr,
        )
        self.exit_code = EXIT_STALLED
        self.stop.set()

    def _watch_polling(self) -> None:
        """PTB's polling task ends quietly when the token is revoked mid-run; a supervisor should hear of it."""
        for task in asyncio.all_tasks():
            if task.get_name() == POLLING_TASK:
                task.add_done_callback(self._polling_ended)

    def _polling_ended(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        rejected = isinstance(task.exception(), InvalidToken)
        print(
            f"storybot: {'Telegram rejected the bot token' if rejected else 'polling stopped'}; exiting",
            file=sys.stderr,
        )
        self.exit_code = EXIT_REJECTED if rejected else 1
        self.stop.set()

    def on_hup(self) -> None:
        state: BotState | None = self.app.bot_data.get("storybot")
        if state is not None and self.app.running:
            self.app.create_task(reload_index(state.service))

    def install_signals(self) -> list[int]:
        """SIGTERM/SIGINT stop, SIGHUP reloads; only in the main thread (embedded runs have their own)."""
        if threading.current_thread() is not threading.main_thread():
            return []
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self.stop.set)
        loop.add_signal_handler(signal.SIGINT, self.stop.set)
        loop.add_signal_handler(signal.SIGHUP, self.on_hup)
        return [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]


def _not_reported_here(record: logging.LogRecord) -> bool:
    """PTB logs a rejected token, and the 409 of the last getUpdates on the way out, with a traceback;
    the runner says each in one line, and the tracebacks would only confuse."""
    return not (record.exc_info and isinstance(record.exc_info[1], Conflict | InvalidToken))
