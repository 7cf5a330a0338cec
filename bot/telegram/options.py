"""How `storybot serve` runs: webhook or polling, and its timeouts."""

from __future__ import annotations

from dataclasses import dataclass


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
