"""Retries for Bot API calls: 429 with retry_after and server errors, bounded in count and time.

python-telegram-bot retries nothing by itself unless its AIORateLimiter is on, and then only 429s;
a send that meets a 5xx is lost. Every request but getUpdates passes through here.

The Bot API has no idempotency key, so what is retried is decided by whether Telegram can have acted
on the request. A 429 or a 5xx is Telegram saying it did not; a request that never got out (no
connection, no free connection in the pool, a body that could not be written) cannot have arrived.
Those are retried. A request sent whose reply did not come in time may well have been delivered
(python-telegram-bot issues #1045 and #3937: timed-out sends that arrived, and were duplicated by
retries), so it is not sent again: the bot delivers at most once rather than answer twice, and waits
long for the reply (`--send-timeout`, 20 s) so that this needs a connection that is truly gone.
A connection Telegram closes without replying is retried: in practice that is a kept-alive
connection closed by the server just as the request went out, before it was read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter, BaseRateLimiter

log = logging.getLogger("storybot.retry")

# the typing indicator is a courtesy: waiting out a 429 for it would only delay the answer
NOT_RETRIED = frozenset({"sendChatAction"})

JSON = bool | dict[str, Any] | list[dict[str, Any]]

# timeouts before the request reached Telegram: a body not fully written cannot be acted on
_NOT_SENT = (httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteTimeout)


def never_sent(exc: TimedOut) -> bool:
    """Whether the timed-out request certainly never reached Telegram (PTB keeps httpx's error as the cause)."""
    return isinstance(exc.__cause__, _NOT_SENT)


class RetryingLimiter(BaseRateLimiter[None]):
    """Throttles with AIORateLimiter when `per_second` > 0, and retries what Telegram asks to retry.

    A timeout waiting for the reply is not retried: the message may have been delivered, and a retry
    could send it twice. Neither are 400s: the same request would fail the same way."""

    def __init__(
        self,
        per_second: float,
        attempts: int = 5,
        budget: float = 60.0,
        first_backoff: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._throttle = AIORateLimiter(overall_max_rate=per_second, overall_time_period=1) if per_second > 0 else None
        self.attempts = attempts
        self.budget = budget
        self.first_backoff = first_backoff
        self._clock = clock

    async def initialize(self) -> None:
        if self._throttle:
            await self._throttle.initialize()

    async def shutdown(self) -> None:
        if self._throttle:
            await self._throttle.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> JSON:
        if endpoint in NOT_RETRIED:
            return await self._once(callback, args, kwargs, endpoint, data)
        deadline = self._clock() + self.budget
        backoff = self.first_backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return await self._once(callback, args, kwargs, endpoint, data)
            except RetryAfter as exc:
                # the public `retry_after` warns about its int/timedelta change; the value is the same
                wait = exc._retry_after.total_seconds()
                error: Exception = exc
            except TimedOut as exc:
                if not never_sent(exc):
                    log.warning(
                        "%s: no reply from Telegram within the timeout; not sent again, as it may have arrived",
                        endpoint,
                    )
                    raise
                wait, backoff = backoff, backoff * 2
                error = exc
            except BadRequest:  # a NetworkError to PTB, but retrying cannot fix it
                raise
            except NetworkError as exc:
                wait, backoff = backoff, backoff * 2
                error = exc
            if attempt == self.attempts or self._clock() + wait > deadline:
                log.warning("%s failed after %d attempts: %s", endpoint, attempt, error)
                raise error
            log.info("%s: %s; retrying in %.1f s (attempt %d)", endpoint, error, wait, attempt + 1)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSON]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
    ) -> JSON:
        if self._throttle:
            return await self._throttle.process_request(callback, args, kwargs, endpoint, data, None)
        return await callback(*args, **kwargs)
