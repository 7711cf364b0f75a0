"""The case store (SQLite by default, PostgreSQL by URL) and its repository API; see repo.py."""
from .repo import (LOCAL, Actor, Conflict, Forbidden, NotFound, Store, StoreFull, StoreUnavailable, Unauthorised,
                   database_url, default_db_path)

__all__ = ["LOCAL", "Actor", "Conflict", "Forbidden", "NotFound", "Store", "StoreFull", "StoreUnavailable",
           "Unauthorised", "database_url", "default_db_path"]
