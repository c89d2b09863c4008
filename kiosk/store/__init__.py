"""Encrypted SQLite, outbox, audit log, retention. Knows no UI.

Use `Store.open(data_dir, settings)`; see `kiosk.store.store` for what each method promises.
"""

from kiosk.store.audit import AuditEntry, AuditRejected, ChainReport, new_session_id
from kiosk.store.errors import (
    DatabaseMismatch,
    DeliveryFailed,
    KeyMissing,
    KeysLocked,
    KeyUnreadable,
    NewerSchema,
    RecordUnreadable,
    StorageCorrupt,
    StorageFull,
    StorageLocked,
    StorageReadOnly,
    StorageUnavailable,
    StoreError,
)
from kiosk.store.housekeeping import Housekeeping
from kiosk.store.outbox import FolderSink, HttpsSink, NoSink, Sink, sink_from_settings
from kiosk.store.store import (
    Attachment,
    OutboxStatus,
    PurgeReport,
    Receipt,
    RotationReport,
    Store,
    Submission,
    SyncReport,
    new_idempotency_key,
    verify_envelope,
)

__all__ = [
    "Attachment",
    "AuditEntry",
    "AuditRejected",
    "ChainReport",
    "DatabaseMismatch",
    "DeliveryFailed",
    "FolderSink",
    "Housekeeping",
    "HttpsSink",
    "KeyMissing",
    "KeyUnreadable",
    "KeysLocked",
    "NewerSchema",
    "NoSink",
    "OutboxStatus",
    "PurgeReport",
    "Receipt",
    "RecordUnreadable",
    "RotationReport",
    "Sink",
    "StorageCorrupt",
    "StorageFull",
    "StorageLocked",
    "StorageReadOnly",
    "StorageUnavailable",
    "Store",
    "StoreError",
    "Submission",
    "SyncReport",
    "new_idempotency_key",
    "new_session_id",
    "sink_from_settings",
    "verify_envelope",
]
