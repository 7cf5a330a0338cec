"""The ceiling for bot throughput: a bare python-telegram-bot echo bot, nothing of storybot's in it.

python -m bench.echo_bot BASE_URL [CONCURRENT_UPDATES]   (the token in TELEGRAM_BOT_TOKEN)

Without CONCURRENT_UPDATES it runs on python-telegram-bot's defaults (one update at a time), which on
loopback is its fastest: each extra connection in httpcore's pool costs CPU on every request. With it,
the echo bot handles updates as concurrently as `storybot serve` does.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message and message.text:
        await message.reply_text(message.text)


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2) or "TELEGRAM_BOT_TOKEN" not in os.environ:
        print(__doc__, file=sys.stderr)
        return 2
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    builder = Application.builder().token(os.environ["TELEGRAM_BOT_TOKEN"]).base_url(argv[0])
    if len(argv) == 2:
        builder = builder.concurrent_updates(int(argv[1]))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(timeout=timedelta(seconds=1), allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
