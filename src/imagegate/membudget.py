"""How many bytes of uploads one process keeps in memory at most (``IMAGEGATE_UPLOAD_MEMORY_MB``).

Uploads within the budget stay in memory; the rest go to temp files. Used from the event loop only.
"""

from __future__ import annotations


class MemoryBudget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0

    def take(self, size: int) -> bool:
        """Hold ``size`` more bytes, if the budget has room for them."""
        if self.held + size > self.limit:
            return False
        self.held += size
        return True

    def give(self, size: int) -> None:
        self.held -= size
