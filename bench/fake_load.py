"""How many sendMessage calls a second the fake Bot API server answers on its own, with no bot behind them.

python -m bench.fake_load BASE_URL TOKEN COUNT CONCURRENCY   (prints the rate as JSON)

The client runs in its own process over keep-alive connections, posting form fields as
python-telegram-bot does; its own cost is included, so the figure is a floor on the server's capacity.
If it is well above what the bots reach, the server is not what limits them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx


async def hammer(url: str, count: int, concurrency: int) -> float:
    left = iter(range(count))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            for n in left:
                reply = await client.post(url, data={"chat_id": str(1000 + n % 200), "text": f"echo {n}"})
                reply.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return count / (time.perf_counter() - start)


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    base, token, count, concurrency = argv[0], argv[1], int(argv[2]), int(argv[3])
    rate = asyncio.run(hammer(f"{base}{token}/sendMessage", count, concurrency))
    print(json.dumps({"per_second": rate}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
