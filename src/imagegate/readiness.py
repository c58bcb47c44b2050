"""Is this node ready for traffic? ``/readyz`` runs a list of named checks (:class:`Readiness`).

    check       passes when                                         failing means
    database    ``SELECT 1`` answers                                 not ready (503)
    redis       ``PING`` answers (only when ``redis_url`` is set)    not ready (503)
    storage     the result store can be written                     not ready (503)
    draining    the node has not been told to stop (SIGTERM)        not ready (503), at once

A check is an async function returning a :class:`Verdict`: ``ok``, ``degraded`` (still ready, but
working in a stated reduced mode: a check for shared state plugs in here with :meth:`Readiness.add`),
or ``down``; one that raises or takes longer than ``TIMEOUT`` is ``down``. All checks run at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

log = logging.getLogger("imagegate")
TIMEOUT = 2.0  # seconds a check may take before it counts as down
State = Literal["ok", "degraded", "down"]


@dataclass(frozen=True, slots=True)
class Verdict:
    state: State
    detail: str | None = None


OK = Verdict("ok")
Check = Callable[[], Awaitable[Verdict]]


def probe(action: Callable[[], Awaitable[Any]]) -> Check:
    """A check that passes when ``action`` completes (whatever it returns) and is down when it raises."""
    async def check() -> Verdict:
        await action()
        return OK
    return check


class Readiness:
    def __init__(self) -> None:
        self.checks: dict[str, Check] = {}
        self.draining = False

    def add(self, name: str, check: Check) -> None:
        self.checks[name] = check

    async def _run(self, name: str, check: Check) -> Verdict:
        try:
            async with asyncio.timeout(TIMEOUT):
                return await check()
        except TimeoutError:
            return Verdict("down", f"no answer within {TIMEOUT:g} s")
        except Exception as exc:
            log.warning("readiness check %s failed: %s: %s", name, type(exc).__name__, exc)
            return Verdict("down", type(exc).__name__)

    async def report(self) -> tuple[bool, dict[str, Any]]:
        """``(ready, body)``: the body names every check with its state, and the node's overall status
        (``ready``, ``degraded``, ``draining`` or ``not_ready``)."""
        names = list(self.checks)
        verdicts = await asyncio.gather(*(self._run(name, self.checks[name]) for name in names))
        checks: dict[str, dict[str, Any]] = {}
        for name, verdict in zip(names, verdicts, strict=True):
            checks[name] = {"status": verdict.state, **({"detail": verdict.detail} if verdict.detail else {})}
        states = {verdict.state for verdict in verdicts}
        checks["draining"] = {"status": "down" if self.draining else "ok"}
        ready = "down" not in states and not self.draining
        status = ("draining" if self.draining else "not_ready" if not ready
                  else "degraded" if "degraded" in states else "ready")
        return ready, {"status": status, "checks": checks}
