from .base import ResultStore, StorageUnavailable, StoredObject
from .links import Links
from .local import LocalStore
from .signing import Signer

__all__ = ["Links", "LocalStore", "ResultStore", "Signer", "StorageUnavailable", "StoredObject"]
