from .db import Database
from .keys import KeyRecord, Keys
from .usage import UsageRecorder, UsageRow

__all__ = ["Database", "KeyRecord", "Keys", "UsageRecorder", "UsageRow"]
