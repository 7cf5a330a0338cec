"""Bot API calls without files posted as a JSON body rather than a url-encoded form.

python-telegram-bot url-encodes every parameter with urllib, which escapes a character at a time in
Python, a visible share of the bot's CPU per question in a profile (README "Performance"). `json.dumps` does the same
work in C. The Bot API takes application/json for every method except file uploads
(core.telegram.org/bots/api, "Making requests"); requests with files still go as multipart forms.

The URL of each method is parsed once: httpx parses a URL given as text at every request, which costs
as much as the rest of building the request.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING

import httpx
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

if TYPE_CHECKING:
    from telegram._utils.types import ODVInput

_DEFAULT = BaseRequest.DEFAULT_NONE  # what PTB passes for "the default timeout"


def _chosen(value: ODVInput[float], default: float | None) -> float | None:
    return default if value is _DEFAULT or not isinstance(value, float | int | None) else value


@lru_cache(maxsize=256)  # one per Bot API method the bot calls
def _parsed(url: str) -> httpx.URL:
    return httpx.URL(url)


class JSONRequest(HTTPXRequest):
    """HTTPXRequest that sends a request without files as JSON; errors map to PTB's as HTTPXRequest maps them."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = _DEFAULT,
        write_timeout: ODVInput[float] = _DEFAULT,
        connect_timeout: ODVInput[float] = _DEFAULT,
        pool_timeout: ODVInput[float] = _DEFAULT,
    ) -> tuple[int, bytes]:
        if request_data is None or request_data.contains_files:
            return await super().do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
        client = self._client
        if client.is_closed:
            raise RuntimeError("This HTTPXRequest is not initialized!")
        defaults = client.timeout
        timeout = httpx.Timeout(
            connect=_chosen(connect_timeout, defaults.connect),
            read=_chosen(read_timeout, defaults.read),
            write=_chosen(write_timeout, defaults.write),
            pool=_chosen(pool_timeout, defaults.pool),
        )
        body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
        headers = {"User-Agent": self.USER_AGENT, "Content-Type": "application/json"}
        try:
            response = await client.request(method, _parsed(url), headers=headers, timeout=timeout, content=body)
        except httpx.PoolTimeout as err:
            raise TimedOut(
                "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent to Telegram."
            ) from err
        except httpx.TimeoutException as err:
            raise TimedOut from err
        except httpx.HTTPError as err:  # the base of httpx's errors, so last
            raise NetworkError(f"httpx.{err.__class__.__name__}: {err}") from err
        return response.status_code, response.content
