from .db import Database, DatabaseUnavailable
from .keys import KeyRecord, Keys, KeyView
from .usage import UsageRecorder, UsageRow

__all__ = ["Database", "DatabaseUnavailable", "KeyRecord", "KeyView", "Keys", "UsageRecorder", "UsageRow"]
