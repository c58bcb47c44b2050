"""Async image jobs: stored in the database, run by in-process workers, resumed after a restart."""

from .service import Jobs, Submission
from .store import JobRow, JobStore
from .tables import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED

__all__ = ["CANCELED", "FAILED", "QUEUED", "RUNNING", "SUCCEEDED", "JobRow", "JobStore", "Jobs", "Submission"]
