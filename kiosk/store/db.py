"""Opening the kiosk's SQLite database: pragmas, migrations, error mapping.

One file, WAL journal, `synchronous=FULL` so a commit that returned survives a crash or a
power cut. The schema version lives in `PRAGMA user_version`; each migration runs in the
same transaction that bumps it, so a crash mid-migration leaves the old version intact.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlite_utils

from kiosk.store.errors import (
    NewerSchema,
    StorageCorrupt,
    StorageUnavailable,
    StoreError,
    from_os,
    from_sqlite,
)

BUSY_TIMEOUT_MS = 5000


def _v1(db: sqlite_utils.Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key", not_null={"value"})
    db.table("submissions").create(
        {
            "id": int,
            "reference": str,
            "idempotency_key": str,
            "kind": str,
            "schema_version": int,
            "created_at": str,
            "master_key_id": str,
            "wrapped_key": bytes,
            "document": bytes,  # the signed envelope, AES-256-GCM under this row's data key
            "size": int,
            "status": str,  # pending | delivered | held
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "delivered_at": str,
            "sink": str,
        },
        pk="id",
        not_null={
            "reference",
            "idempotency_key",
            "kind",
            "schema_version",
            "created_at",
            "master_key_id",
            "wrapped_key",
            "document",
            "size",
            "status",
            "attempts",
            "next_attempt_at",
        },
        defaults={"status": "pending", "attempts": 0},
    )
    db.table("submissions").create_index(["reference"], unique=True)
    db.table("submissions").create_index(["idempotency_key"], unique=True)
    db.table("submissions").create_index(["status", "next_attempt_at"])
    db.table("audit").create(
        {
            "id": int,  # insertion order: a reordered log shows as seq going backwards
            "seq": int,
            "ts": str,
            "kiosk_id": str,
            "session_id": str,
            "role": str,
            "event": str,
            "categories": str,
            "purpose": str,
            "fields": str,
            "prev_hash": str,
            "hash": str,
        },
        pk="id",
        not_null={
            "seq",
            "ts",
            "kiosk_id",
            "session_id",
            "role",
            "event",
            "categories",
            "purpose",
            "fields",
            "prev_hash",
            "hash",
        },
    )
    db.table("audit").create_index(["seq"], unique=True)
    # Belt and braces: the chain catches tampering, the triggers stop accidents.
    db.executescript(
        """
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        WHEN (SELECT value FROM meta WHERE key = 'audit_purge') IS NOT '1'
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """
    )


def _v2(db: sqlite_utils.Database) -> None:
    # Retention and stats read by time; v1 kiosks scanned the whole log.
    db.table("audit").create_index(["ts"])
    db.table("submissions").create_index(["status", "delivered_at"])


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (_v1, _v2)
LATEST = len(MIGRATIONS)


def connect(path: Path, max_pages: int | None = None) -> sqlite_utils.Database:
    """An open, migrated database at `path` (created 0600 if missing)."""
    try:
        try:
            st = path.lstat()
        except FileNotFoundError:
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
        else:
            if not stat.S_ISREG(st.st_mode):
                # A FIFO would hang the first read; a link may point anywhere.
                raise StorageCorrupt(f"{path}: not a regular file")
            if stat.S_IMODE(st.st_mode) & 0o077:
                os.chmod(path, 0o600)  # the database is the kiosk's alone
        conn = sqlite3.connect(
            path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
    except OSError as e:
        raise (from_os(e) or StorageUnavailable(f"{type(e).__name__}")) from None
    except sqlite3.Error as e:
        raise (from_sqlite(e) or StorageUnavailable(str(e))) from None
    try:
        with storage_errors():
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageUnavailable(f"cannot use WAL journal (got {mode})")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA secure_delete=ON")  # deleted rows are zeroed, not left in pages
            conn.execute("PRAGMA temp_store=MEMORY")  # no sort spills into /tmp
            conn.execute("PRAGMA foreign_keys=ON")
            if max_pages:
                conn.execute(f"PRAGMA max_page_count={int(max_pages)}")
            db = sqlite_utils.Database(conn)
            migrate(db)
    except BaseException:
        conn.close()
        raise
    return db


def migrate(db: sqlite_utils.Database, target: int = LATEST) -> int:
    """Apply the missing migrations up to `target`; returns the version now in force."""
    with storage_errors():
        db.execute("BEGIN IMMEDIATE")
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > LATEST:
                raise NewerSchema(version, LATEST)
            for number in range(version + 1, target + 1):
                MIGRATIONS[number - 1](db)
                db.execute(f"PRAGMA user_version={number}")
            db.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                db.execute("ROLLBACK")
            raise
    return max(version, target)


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """Turn SQLite and file-system faults of the environment into `StoreError`s."""
    try:
        yield
    except StoreError:
        raise
    except sqlite3.Error as e:
        known = from_sqlite(e)
        if known is None:
            raise
        raise known from None
    except OSError as e:
        known = from_os(e)
        if known is None:
            raise
        raise known from None


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """BEGIN IMMEDIATE … COMMIT; rolled back on any error so nothing half-written remains."""
    with storage_errors():
        db.execute("BEGIN IMMEDIATE")
        try:
            yield
            db.execute("COMMIT")
        except BaseException:
            if db.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
            raise
