"""`storybot serve`: its options and entry point. Imports no Telegram code until it runs (bot/telegram/runner.py)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from bot.cli.startup import settings_for
from bot.errors import UsageError, user_message

log = logging.getLogger("storybot.serve")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "serve",
        help="run the Telegram bot (long polling, or a webhook with --webhook-url)",
        description="Run the Telegram bot with TELEGRAM_BOT_TOKEN from the environment or .env.",
        epilog="example: storybot serve --webhook-url https://bot.example.org/storybot --port 8443",
    )
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
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from bot import logs
    from bot.telegram.options import ServeOptions

    settings = settings_for(args)
    if settings.telegram_bot_token is None or not settings.telegram_bot_token.get_secret_value().strip():
        raise UsageError("TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and put it in .env (see README)")
    logs.install(settings.telegram_bot_token.get_secret_value())
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
    from bot.telegram.runner import serve

    try:
        import asyncio  # not at import: every `storybot` command registers serve's options

        return asyncio.run(serve(settings, options))
    except Exception as exc:
        if user_message(exc) is not None:  # the user's to fix: one line from the CLI
            raise
        # through logging, whose formatter masks the token, never as a bare traceback
        log.critical("storybot serve stopped by an unexpected error", exc_info=exc)
        return 1
