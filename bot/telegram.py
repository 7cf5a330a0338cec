"""The Telegram Application: built from Settings, with thin handlers over the shared AnswerService.

A quick answer is worked out on the event loop, a slow one in a thread that shows "typing" while it
lasts (bot/progress.py measures which is which); the index build and reload, which take seconds, always
run in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import heap
from bot.config import Settings
from bot.jsonbody import JSONRequest
from bot.limits import LRU, KeyedLock, UserRateLimit, Verdict
from bot.progress import Offloader
from bot.render import cap_lines, source_html, stories_html, text_html
from bot.replies import EXPIRED, Replies, Reply, addressed_question
from bot.retry import RetryingLimiter
from bot.updates import TolerantBot
from bot.watchdog import PollWatch
from index.service import AnswerService, UnknownStoryError
from index.types import Answer

log = logging.getLogger("storybot.telegram")

Context = ContextTypes.DEFAULT_TYPE
EXAMPLE = "where is the third summit?"
SLOW_DOWN = "You're asking faster than I can keep up. Please wait a minute before the next question."
COMMANDS = [
    ("ask", "ask a question (in groups: /ask question)"),
    ("stories", "list the stories I know"),
    ("story", "ask about one story: /story ID, or /story all"),
    ("source", "the story's title, source and size"),
    ("help", "how to ask"),
]
# Updates handled at once. More than one, so a send waiting out a 429 in one chat does not hold up the
# others; few, because every connection open in httpcore's pool costs CPU on every Bot API call. Measured
# (bench/throughput.py, 2,000 questions from 200 chats, 3 bursts each, 2026-11-28): 1: 627, 2: 673,
# 4: 682, 8: 539 questions/s. 4 is the fastest and leaves room for three chats waiting at once.
CONCURRENT_UPDATES = 4
INLINE_PER_QUESTION = 5  # inline queries a user may send per question allowed: one per word typed, roughly
HELP = (
    "Ask me a question about the news stories I hold and I reply with the passage that answers it, "
    "the key sentence in bold, and where it comes from. If the story doesn't say, I tell you so.\n\n"
    "In groups: /ask question, mention me, or reply to one of my messages.\n"
    "Inline, in any chat: type my @name and a question.\n"
    "/stories lists the stories, /story ID asks about one (/story all: every story), "
    "/source shows where the story comes from, and More under an answer shows the next passage."
)


@dataclass
class BotState:
    """What the handlers share: the answer service and the bounded per-user state."""

    settings: Settings
    service: AnswerService
    replies: Replies
    limit: UserRateLimit
    inline_limit: UserRateLimit  # a separate, larger budget: an inline query comes with each keystroke
    chat_story: LRU[int, str] = field(default_factory=lambda: LRU(100_000))
    chat_locks: KeyedLock[int] = field(default_factory=KeyedLock)  # one chat's answers go out in order
    button_locks: KeyedLock[str] = field(default_factory=KeyedLock)  # presses of one button take turns
    offloader: Offloader = field(default_factory=Offloader)


def state(context: Context) -> BotState:
    value: BotState = context.bot_data["storybot"]
    return value


def build_application(
    settings: Settings,
    polls: PollWatch | None = None,
    send_timeout: float = 20.0,
    service: AnswerService | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The Application `storybot serve` runs; the token must be set. `polls` is the connection getUpdates
    uses (its read timeout is the slack on top of the poll timeout: a long poll silent past both is
    abandoned and polled again). Sends wait `send_timeout` for Telegram's reply: long, because a send
    whose reply never comes is not repeated (bot/retry.py says why). `service` answers the questions:
    by default the index at STORYBOT_INDEX_PATH."""
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
    app = (
        Application.builder()
        .bot(bot)
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
    )
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    groups = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
    if settings.allowed_chat_ids:  # a handler every update passes through costs 6% of throughput
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
    app.add_handler(CommandHandler("reload", reload, filters=command))
    app.add_handler(CallbackQueryHandler(more, pattern=r"^more:"))
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


async def reload_index(service: AnswerService) -> str:
    """Rebuild the index in a thread and swap it in; the old one stays if that fails."""
    try:
        report = await asyncio.to_thread(service.reload, True)
    except Exception as exc:  # any failure keeps the old index; say which
        log.warning("reload failed, keeping the old index: %s", exc)
        return f"Reload failed, the old index stays: {exc}"
    heap.settle()
    count = len(report.stories) if report else len(service.stories())
    log.info("reloaded the index: %d stories", count)
    return f"Reloaded: {count} stories."


# ---- handlers: each a few lines over Replies and the service ----


async def gate(update: Update, context: Context) -> None:
    """Drop updates from chats outside STORYBOT_ALLOWED_CHAT_IDS (installed only when it is set)."""
    chat = update.effective_chat
    place = chat.id if chat else (update.effective_user.id if update.effective_user else None)
    if place not in state(context).settings.allowed_chat_ids:
        raise ApplicationHandlerStop


async def start(update: Update, context: Context) -> None:
    """Greet, with an example question."""
    await _send(update, Reply(f"Hello! Ask me about the news stories I hold, for example:\n<i>{EXAMPLE}</i>"))


async def help_(update: Update, context: Context) -> None:
    """Explain how to ask."""
    await _send(update, Reply(text_html(HELP)))


async def ask(update: Update, context: Context) -> None:
    """/ask question: the way to ask in groups (and works in private too)."""
    question = " ".join(context.args or [])
    if not question:
        await _send(update, Reply(f"Ask like this: <code>/ask {EXAMPLE}</code>"))
        return
    await answer_question(update, context, question)


async def private_text(update: Update, context: Context) -> None:
    """In a private chat every text is a question (but not an answer of ours sent inline into it)."""
    message = update.effective_message
    if message and message.text and not (message.via_bot and message.via_bot.id == context.bot.id):
        await answer_question(update, context, message.text)


async def group_text(update: Update, context: Context) -> None:
    """In a group, answer only a message that mentions the bot or replies to it."""
    message = update.effective_message
    if message is None or not message.text:
        return
    replied = message.reply_to_message
    to_bot = bool(replied and replied.from_user and replied.from_user.id == context.bot.id)
    question = addressed_question(message.text, context.bot.username or "", to_bot)
    if question:
        await answer_question(update, context, question)


async def stories(update: Update, context: Context) -> None:
    """List the stories."""
    await _send(update, Reply(stories_html(state(context).service.stories())))


async def story(update: Update, context: Context) -> None:
    """/story ID scopes this chat to one story; /story all resets."""
    s, chat, wanted = state(context), update.effective_chat, " ".join(context.args or [])
    if chat is None:
        return
    await _send(update, Reply(text_html(choose_story(s, chat.id, wanted))))


async def source(update: Update, context: Context) -> None:
    """Title, source and size of this chat's story, or of every story."""
    s, chat = state(context), update.effective_chat
    current = s.chat_story.get(chat.id) if chat else None
    infos = [s.service.story(current)] if current in s.service.corpus.stories else s.service.stories()
    await _send(update, Reply(cap_lines([source_html(i) + "\n" for i in infos]).strip()))


async def reload(update: Update, context: Context) -> None:
    """Admins only: rebuild the index from the stories folder and swap it in."""
    s, user = state(context), update.effective_user
    if user is None or user.id not in s.settings.admin_user_ids:
        await _send(update, Reply("Only the bot's admins can reload the stories."))
        return
    await _send(update, Reply(text_html(await reload_index(s.service))))


async def more(update: Update, context: Context) -> None:
    """The "More" button: acknowledge, then edit the message to the next passage."""
    query, s = update.callback_query, state(context)
    if query is None:
        return
    async with s.button_locks.hold(query.data or ""):  # else two quick presses page to the same passage
        result = await s.offloader.run(lambda: s.replies.more(query.data or ""), _no_sign, s.service.loaded)
        if isinstance(result, str):
            await query.answer(result)
            return
        await query.answer()
        await _edit_or_send(query.message if isinstance(query.message, Message) else None, update, result)


async def stale_button(update: Update, context: Context) -> None:
    """Any other button (from an older version of the bot): acknowledge it politely."""
    if update.callback_query:
        await update.callback_query.answer(EXPIRED)


async def inline(update: Update, context: Context) -> None:
    """Inline mode: up to five passages, each with its citation."""
    query, s = update.inline_query, state(context)
    if query is None:
        return
    if s.inline_limit.check(query.from_user.id, time.monotonic()) is not Verdict.ALLOW:
        await query.answer([], cache_time=0)  # nothing to show until the minute is over
        return
    items = await s.offloader.run(lambda: s.replies.inline(query.query), _no_sign, s.service.loaded)
    results = [
        InlineQueryResultArticle(
            i.id, i.title, InputTextMessageContent(i.html, parse_mode=ParseMode.HTML), description=i.description
        )
        for i in items
    ]
    await query.answer(results, cache_time=60)


async def on_error(update: object, context: Context) -> None:
    """Log a handler's failure; the user's next question is unaffected. Telegram refusing or not
    answering a call (a user who blocked the bot, a send that timed out) is one line, not a bug's traceback."""
    error = context.error
    chat = update.effective_chat if isinstance(update, Update) else None
    where = f" in chat {chat.id}" if chat else ""
    if isinstance(error, TelegramError):
        log.warning("could not answer an update%s: %s", where, error)
    else:
        log.error("error while handling an update%s: %s", where, error, exc_info=error)


# ---- the shared steps ----


async def answer_question(update: Update, context: Context, question: str) -> None:
    s, chat, user = state(context), update.effective_chat, update.effective_user
    if chat is None:
        return
    verdict = s.limit.check(user.id, time.monotonic()) if user else Verdict.ALLOW
    if verdict is not Verdict.ALLOW:
        if verdict is Verdict.NOTIFY:
            await _send(update, Reply(text_html(SLOW_DOWN)))
        return
    async with s.chat_locks.hold(chat.id):
        scope = s.chat_story.get(chat.id)

        def work() -> tuple[str | None, Answer]:  # maybe in a thread: reads the index, touches no bot state
            try:
                return scope, s.replies.answer(question, scope)
            except UnknownStoryError:  # the chat's story left the index: ask them all
                return None, s.replies.answer(question, None)

        story, answer = await s.offloader.run(work, lambda: _typing(context, chat.id), s.service.loaded)
        if story != scope:
            s.chat_story.pop(chat.id)
        await _send(update, s.replies.reply(question, story, answer))


def choose_story(s: BotState, chat_id: int, wanted: str) -> str:
    if not wanted:
        current = s.chat_story.get(chat_id)
        return f"Asking about: {current or 'all stories'}. Use /story ID or /story all (/stories lists the IDs)."
    if wanted.lower() == "all":
        s.chat_story.pop(chat_id)
        return "Now asking about all stories."
    try:
        info = s.service.story(wanted)
    except UnknownStoryError:
        return f"There's no story {wanted!r}. /stories lists them."
    s.chat_story.put(chat_id, info.id)
    return f"Now asking about: {info.title}"


async def _no_sign() -> None:
    """A button press shows its own progress in the app, and an inline query has no chat to type in."""


async def _typing(context: Context, chat_id: int) -> None:
    try:
        await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramError as exc:  # the indicator is a courtesy; the answer matters
        log.info("typing action failed: %s", exc)


def _markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if reply.button is None:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(reply.button[0], callback_data=reply.button[1])]])


async def _send(update: Update, reply: Reply) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_html(reply.html, reply_markup=_markup(reply), do_quote=message.chat.type != "private")


async def _edit_or_send(message: Message | None, update: Update, reply: Reply) -> None:
    if message is not None:
        try:
            await message.edit_text(reply.html, parse_mode=ParseMode.HTML, reply_markup=_markup(reply))
            return
        except BadRequest as exc:  # too old to edit, or deleted: send it anew
            log.info("could not edit, sending anew: %s", exc)
    chat = update.effective_chat
    if chat is not None:
        await chat.send_message(reply.html, parse_mode=ParseMode.HTML, reply_markup=_markup(reply))
