"""The Telegram Application `storybot serve` runs: built from Settings, its handlers registered in order."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import heap
from bot.config import Settings
from bot.store.db import StateDB
from bot.telegram.handlers import (
    ask,
    gate,
    group_text,
    help_,
    inline,
    more,
    new,
    on_error,
    private_text,
    reload,
    report,
    source,
    stale_button,
    start,
    stories,
    story,
    vote,
)
from bot.telegram.jsonbody import JSONRequest
from bot.telegram.limits import UserRateLimit
from bot.telegram.persistence import StatePersistence
from bot.telegram.replies import Replies
from bot.telegram.retry import RetryingLimiter
from bot.telegram.state import BotState
from bot.telegram.updates import TolerantBot
from bot.telegram.watchdog import PollWatch
from index.service import AnswerService

log = logging.getLogger("storybot.telegram")

COMMANDS = [
    ("ask", "ask a question (in groups: /ask question)"),
    ("stories", "list the stories I know"),
    ("story", "ask about one story: /story ID, or /story all"),
    ("source", "the story's title, author, publisher and date"),
    ("new", "start a new conversation: follow-ups forget what came before"),
    ("help", "how to ask"),
]
# Updates handled at once. More than one, so a send waiting out a 429 in one chat does not hold up the
# others; few, because every connection open in httpcore's pool costs CPU on every Bot API call. Measured
# with bench/throughput.py (README "Performance"): 4 was the fastest and leaves room for three chats waiting at once.
CONCURRENT_UPDATES = 4
INLINE_PER_QUESTION = 5  # inline queries a user may send per question allowed: one per word typed, roughly


def build_application(
    settings: Settings,
    polls: PollWatch | None = None,
    send_timeout: float = 20.0,
    service: AnswerService | None = None,
    store: StatePersistence | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application `storybot serve` runs; the token must be set. `polls` is the connection getUpdates
    uses (its read timeout is the slack on top of the poll timeout: a long poll silent past both is
    abandoned and polled again). Sends wait `send_timeout` for Telegram's reply: long, because a send
    whose reply never comes is not repeated (bot/retry.py says why). `service` answers the questions:
    by default the index at STORYBOT_INDEX_PATH. `store` keeps the chats' state and the readers'
    questions and votes: by default the state file at STORYBOT_STATE_PATH (a damaged one is refused)."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    # Opt in to PTB 23's timedelta periods now: otherwise every 429 raises a deprecation warning
    # inside the request, which turns into a lost answer wherever warnings are errors.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    bot = TolerantBot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_base_url,
        request=JSONRequest(connection_pool_size=256, read_timeout=send_timeout),
        get_updates_request=polls or PollWatch(read_timeout=10.0),
        rate_limiter=RetryingLimiter(settings.max_sends_per_second),
    )
    store = store or StatePersistence(
        StateDB(settings.state_file, settings.secret_for_ids, settings.keep_questions), settings.state_write_seconds
    )
    app = (
        Application.builder()
        .bot(bot)
        .persistence(store)
        .concurrent_updates(CONCURRENT_UPDATES)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    service = service or AnswerService(
        settings.index_path, settings.stories_dir, min_confidence=settings.min_confidence, semantic=settings.semantic
    )
    app.bot_data["storybot"] = BotState(
        settings,
        service,
        Replies(service),
        UserRateLimit(settings.user_questions_per_minute),
        UserRateLimit(INLINE_PER_QUESTION * settings.user_questions_per_minute),
        store,
    )
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    groups = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
    if settings.allowed_chat_ids:  # a handler every update passes through costs throughput
        app.add_handler(TypeHandler(Update, gate), group=-1)
    # questions first: most updates are questions, and every handler before the one that takes an
    # update is asked about it (the filters make the two kinds disjoint, so the order changes nothing else)
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, private_text))
    app.add_handler(MessageHandler(groups & filters.TEXT & ~filters.COMMAND, group_text))
    command = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("start", start, filters=command))
    app.add_handler(CommandHandler("help", help_, filters=command))
    app.add_handler(CommandHandler("ask", ask, filters=command))
    app.add_handler(CommandHandler("stories", stories, filters=command))
    app.add_handler(CommandHandler("story", story, filters=command))
    app.add_handler(CommandHandler("source", source, filters=command))
    app.add_handler(CommandHandler("new", new, filters=command))
    app.add_handler(CommandHandler("reload", reload, filters=command))
    app.add_handler(CommandHandler("report", report, filters=command))
    app.add_handler(CallbackQueryHandler(more, pattern=r"^more:"))
    app.add_handler(CallbackQueryHandler(vote, pattern=r"^(good|bad):"))
    app.add_handler(CallbackQueryHandler(stale_button))
    app.add_handler(InlineQueryHandler(inline))
    app.add_error_handler(on_error)
    return app


async def _post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Load the index once (building it if missing) and set the command menu."""
    bot_state: BotState = app.bot_data["storybot"]
    report = await asyncio.to_thread(bot_state.service.open, True)
    if report is not None:
        log.info("built the index at %s (%d stories)", bot_state.service.index_path, len(report.stories))
    log.info("serving %d stories as @%s", len(bot_state.service.stories()), app.bot.username)
    await app.bot.set_my_commands([BotCommand(name, text) for name, text in COMMANDS])
    heap.settle()


async def _post_shutdown(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Let go of the index."""
    app.bot_data.pop("storybot", None)
