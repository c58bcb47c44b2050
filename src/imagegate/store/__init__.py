from .base import ResultStore, StoredObject
from .local import LocalStore
from .signing import Signer

__all__ = ["LocalStore", "ResultStore", "Signer", "StoredObject"]
