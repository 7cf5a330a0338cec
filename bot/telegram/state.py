"""What the Telegram handlers share: the answer service and the bounded per-chat and per-user state."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram.ext import ContextTypes

from bot.config import Settings
from bot.telegram.limits import LRU, KeyedLock, UserRateLimit
from bot.telegram.progress import Offloader
from bot.telegram.replies import Replies
from index.service import AnswerService

Context = ContextTypes.DEFAULT_TYPE


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
