"""State a fleet of gateways shares through Redis: channel health and per-account caps.

With ``IMAGEGATE_REDIS_URL`` set, every node reads and writes channel health
(:mod:`imagegate.shared.channels`) and takes upstream slots (:mod:`imagegate.shared.caps`) in Redis.
Without it the gateway runs on this process's state alone (mode ``local``).

A Redis that can't be reached is a stated mode, ``degraded``: requests go on, served on this
process's own health and on its share of each cap (``cap / expected_nodes``); the
``imagegate_shared_state_degraded`` gauge is 1, the health answer says ``degraded``, and one log
line says why. The next successful Redis call (the channel sync touches Redis every
``shared_interval`` seconds) puts the node back in mode ``shared``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from ..extras import redis_client

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("imagegate.shared")
Mode = Literal["local", "shared", "degraded"]
TIMEOUT = 1.0  # seconds a Redis call may take before the node counts Redis as gone


class SharedState:
    """Whether this node is on shared state (``shared``), on its own during a Redis outage (``degraded``),
    or configured without Redis (``local``)."""

    def __init__(self, redis: Redis | None, prefix: str, expected_nodes: int = 1,
                 on_change: Callable[[bool], None] = lambda degraded: None) -> None:
        self.redis = redis
        self.prefix = prefix
        self.expected_nodes = expected_nodes
        self.reason = ""
        self._mode: Mode = "local" if redis is None else "shared"
        self._on_change = on_change

    @classmethod
    def from_url(cls, url: str | None, prefix: str, expected_nodes: int = 1,
                 on_change: Callable[[bool], None] = lambda degraded: None) -> SharedState:
        redis = None
        if url:
            redis = redis_client().Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        return cls(redis, prefix, expected_nodes, on_change)

    def mode(self) -> Mode:
        return self._mode

    def shared(self) -> bool:
        return self._mode == "shared"

    def share(self, cap: int) -> int:
        """This node's part of ``cap`` while it can't see the others (at least one slot)."""
        return max(1, cap // self.expected_nodes)

    def degrade(self, exc: BaseException) -> None:
        """A Redis call failed: serve on local state until Redis answers again."""
        if self._mode != "shared":
            return
        self._mode, self.reason = "degraded", f"{type(exc).__name__}: {exc}"
        self._on_change(True)
        log.error("SHARED STATE DEGRADED: Redis can't be reached (%s); serving on this node's own channel health "
                  "and on 1/%d of each upstream cap until it is back", self.reason, self.expected_nodes,
                  extra={"reason": self.reason})

    def restore(self) -> None:
        """Redis answered: back on shared state."""
        if self._mode != "degraded":
            return
        self._mode, self.reason = "shared", ""
        self._on_change(False)
        log.warning("shared state restored: Redis is reachable again")

    def describe(self) -> dict[str, str | int | None]:
        return {"mode": self._mode, "reason": self.reason or None, "expected_nodes": self.expected_nodes}

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
