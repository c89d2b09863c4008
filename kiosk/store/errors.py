"""Environment faults of the store, told apart from bugs.

Each class is a `KnownError` with a message id from `assets/i18n/store.toml`. The UI shows
`store.full` as "use the paper form"; staff see the others with a hint. Anything that is
not one of these (a wrong SQL statement, a bad argument) is a bug and is not translated.
"""

from __future__ import annotations

import errno
import sqlite3

from kiosk.errors import KnownError


class StoreError(KnownError):
    """Base of every environment fault raised by `kiosk.store`."""


class StorageFull(StoreError):
    """The disk (or the database's size cap) is full; nothing of the failed write remains."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("store.full", detail)


class StorageLocked(StoreError):
    """Another process holds the database longer than the busy timeout."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("store.locked", detail)


class StorageReadOnly(StoreError):
    """The database or its directory cannot be written (read-only mount, permissions)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("store.read_only", detail)


class StorageUnavailable(StoreError):
    """The database file cannot be opened or read (I/O error, missing directory)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("store.unavailable", detail)


class StorageCorrupt(StoreError):
    """The database file is damaged or is not a kiosk database."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("store.corrupt", detail)


class NewerSchema(StoreError):
    """The database was written by a newer kiosk; this one refuses to touch it."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            "store.newer_schema", f"database schema {found} is newer than {known}", found=found
        )


class KeyMissing(StoreError):
    """The master key file is gone while the database holds encrypted records."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("store.key_missing", detail)


class KeyUnreadable(StoreError):
    """The key file exists but cannot be read or parsed, or has unsafe permissions."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("store.key_unreadable", detail)


class KeysLocked(StoreError):
    """The keys are sealed with a passphrase nobody has given since boot (`kiosk keys unlock`)."""

    exit_code = 2

    def __init__(self, detail: str = "") -> None:
        super().__init__("store.keys_locked", detail)


class DatabaseMismatch(StoreError):
    """The database beside the keys is missing, emptied, older or another one: never start empty.

    Raised at start; staff restore the database (or move the keys away, losing what they
    protect). `kiosk audit verify` still reports the details on a copy.
    """

    exit_code = 2

    def __init__(self, detail: str = "") -> None:
        super().__init__("store.database_mismatch", detail)


class RecordUnreadable(StoreError):
    """A stored record fails authentication: tampered with, or its key is not held."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("store.record_unreadable", detail)


class DeliveryFailed(StoreError):
    """A sink could not deliver one document; `retryable` says whether to try again later."""

    def __init__(self, detail: str, retryable: bool = True) -> None:
        super().__init__("outbox.delivery_failed", detail)
        self.retryable = retryable


_SQLITE_FULL = 13
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26


def from_sqlite(e: sqlite3.Error) -> StoreError | None:
    """The environment fault `e` stands for, or None when `e` is a bug (bad SQL, misuse)."""
    code = getattr(e, "sqlite_errorcode", None)
    name = getattr(e, "sqlite_errorname", "") or type(e).__name__
    detail = f"{name}: {e}"
    primary = code & 0xFF if isinstance(code, int) else None
    if primary is None:
        text = str(e).lower()
        if "disk is full" in text:
            primary = _SQLITE_FULL
        elif "locked" in text or "busy" in text:
            primary = _SQLITE_BUSY
        elif "readonly" in text or "read-only" in text:
            primary = _SQLITE_READONLY
    if primary == _SQLITE_FULL:
        return StorageFull(detail)
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StorageLocked(detail)
    if primary == _SQLITE_READONLY:
        return StorageReadOnly(detail)
    if primary in (_SQLITE_IOERR, _SQLITE_CANTOPEN):
        return StorageUnavailable(detail)
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StorageCorrupt(detail)
    return None


def from_os(e: OSError) -> StoreError | None:
    """The environment fault an `OSError` from a file write stands for, or None."""
    detail = f"{type(e).__name__}: errno {e.errno}"
    if e.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StorageFull(detail)
    if e.errno == errno.EROFS:
        return StorageReadOnly(detail)
    if e.errno in (errno.EACCES, errno.EPERM):
        return StorageReadOnly(detail)
    if e.errno in (errno.EIO, errno.ENOENT, errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.ELOOP):
        # EEXIST/EISDIR/ELOOP: a file, folder or link where the data dir needs the other kind.
        return StorageUnavailable(f"{detail} {e.filename or ''}".strip())
    return None
