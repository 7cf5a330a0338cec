"""`storybot serve`: its options and entry point. Imports no telegram code until it runs (bot/runner.py)."""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("storybot.serve")


@dataclass(frozen=True)
class ServeOptions:
    webhook_url: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443
    webhook_secret: str | None = None
    poll_timeout: float = 25.0
    stall_limit: float | None = None  # None: poll_timeout + read_slack + 60
    send_timeout: float = 20.0

    @property
    def read_slack(self) -> float:
        """How long past the poll timeout a silent long poll is waited for before it is abandoned and retried."""
        return min(10.0, max(2.0, self.poll_timeout))

    @property
    def effective_stall_limit(self) -> float:
        """Seconds without a getUpdates starting or ending after which polling counts as stalled. Between
        failed polls PTB backs off up to 30 s, so the default leaves twice that on top of one whole poll."""
        return self.stall_limit if self.stall_limit is not None else self.poll_timeout + self.read_slack + 60


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
    p.add_argument(
        "--stall-limit",
        type=float,
        help="exit (code 4) when no long poll started or ended for this long (default: one whole poll + 60 s, 95 s)",
    )
    p.add_argument(
        "--send-timeout",
        type=float,
        default=20.0,
        help="seconds to wait for Telegram's reply to a send; a send that times out is not repeated (default 20)",
    )
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
    options = ServeOptions(
        args.webhook_url, args.listen, args.port, secret, args.poll_timeout, args.stall_limit, args.send_timeout
    )
    if options.poll_timeout < 0 or options.send_timeout <= 0:
        raise UsageError("--poll-timeout and --send-timeout must be positive numbers of seconds")
    if options.effective_stall_limit <= options.poll_timeout + options.read_slack:
        raise UsageError(
            f"--stall-limit must be longer than one long poll ({options.poll_timeout + options.read_slack:g} s)"
        )
    from bot.runner import serve

    try:
        import asyncio  # not at import: every `storybot` command registers serve's options

        return asyncio.run(serve(settings, options))
    except Exception as exc:
        if _one_line(exc) is not None:  # the user's to fix: one line from the CLI
            raise
        # through logging, whose formatter masks the token, never as a bare traceback
        log.critical("storybot serve stopped by an unexpected error", exc_info=exc)
        return 1
