"""The kiosk's store: submissions (encrypted, signed, durable), the outbox, the audit log.

`Store.open(data, settings)` gives a ready store; every method that writes has committed
before it returns. Environment faults raise `kiosk.store.errors.StoreError` subclasses
(`StorageFull` → offer the paper route); anything else is a bug.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import secrets
import shutil
import statistics
import tempfile
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk import logs
from kiosk.config import Settings
from kiosk.paths import DataDir
from kiosk.store import audit as audit_mod
from kiosk.store import db as db_mod
from kiosk.store.audit import AuditEntry, ChainReport
from kiosk.store.errors import (
    DatabaseMismatch,
    DeliveryFailed,
    KeyMissing,
    RecordUnreadable,
    StorageFull,
    StoreError,
)
from kiosk.store.head import Head, HeadFile, HeadUnreadable
from kiosk.store.keys import KeySet, KeySource, open_sealed, seal, verify_signature
from kiosk.store.keysources import key_source
from kiosk.store.outbox import (
    Sink,
    audit_head_document,
    backoff,
    check_idempotency_key,
    clean_drop_folder,
)

Clock = Callable[[], datetime]
log = logging.getLogger("kiosk.store")
ENVELOPE_VERSION = 1
ENVELOPE_SCHEMA = "https://madoguchi-kiosk.example/schema/submission-envelope.v1.json"
_REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    """Fixed-width UTC time, so text order is time order."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def new_reference() -> str:
    """A receipt reference like `7K3M-Q9XD-2A4B` (60 random bits, easy to read aloud)."""
    chars = "".join(secrets.choice(_REF_ALPHABET) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def new_idempotency_key() -> str:
    """A fresh key for one submission: make it once per review screen, reuse it on retry."""
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Attachment:
    """A file that goes with a submission (a photo of the damage); encrypted with it."""

    data: bytes
    media_type: str = "image/jpeg"


@dataclass(frozen=True)
class Submission:
    """What a procedure hands to the store. `payload` follows `docs/schema/<kind>.v<n>.json`.

    `categories` and `purpose` are recorded in the audit log (never the payload itself).
    """

    kind: str
    schema_version: int
    payload: Mapping[str, Any]
    attachments: Sequence[Attachment | bytes] = ()
    idempotency_key: str = field(default_factory=new_idempotency_key)
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Receipt:
    """Proof the submission is stored durably. `duplicate`: the key was seen before."""

    reference: str
    idempotency_key: str
    kind: str
    created_at: datetime
    duplicate: bool = False


@dataclass(frozen=True)
class OutboxItem:
    reference: str
    kind: str
    status: str
    attempts: int
    created_at: str
    next_attempt_at: str
    last_error: str | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class OutboxStatus:
    pending: int
    held: int
    delivered: int
    oldest_pending_at: str | None
    next_attempt_at: str | None
    items: tuple[OutboxItem, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "pending": self.pending,
            "held": self.held,
            "delivered": self.delivered,
            "oldest_pending_at": self.oldest_pending_at,
            "next_attempt_at": self.next_attempt_at,
            "items": [i.to_json() for i in self.items],
        }


@dataclass(frozen=True)
class SyncReport:
    delivered: int
    retry_later: int
    held: int
    remaining: int
    errors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "errors": list(self.errors)}


@dataclass(frozen=True)
class PurgeReport:
    submissions: int
    audit_entries: int
    tmp_files: int
    drop_files: int = 0  # sink drops past retention and half-written `.part` files

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class RotationReport:
    new_key_id: str
    retired_key_ids: tuple[str, ...]
    rewrapped: int

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "retired_key_ids": list(self.retired_key_ids)}


class Store:
    """One kiosk database. Thread-safe: a lock serialises use of the one connection."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        data: DataDir,
        settings: Settings,
        keys: KeySource,
        clock: Clock,
    ) -> None:
        self._db = db
        self.data = data
        self.settings = settings
        self._source = keys
        self._clock = clock
        self._lock = threading.RLock()
        self._keys: KeySet | None = None
        self._keys_version: object = object()
        self._head = HeadFile(keys.state_dir)
        self._pending_head: tuple[int, str] | None = None
        self.evidence = False  # opened on a copy by `open_evidence`: nothing is enforced
        self.findings: list[tuple[str, str]] = []  # (problem, detail) seen at open (evidence)
        self._cleanup: Callable[[], None] | None = None
        # Store-driven events (delivery, purge) are logged under one session per process.
        self.system_session = audit_mod.new_session_id()

    # --- opening and closing ---------------------------------------------------------------
    @classmethod
    def open(
        cls,
        data: DataDir,
        settings: Settings,
        clock: Clock = utc_now,
        keys: KeySource | None = None,
    ) -> Store:
        """Open (creating and migrating) `data.database`; load or create the keys.

        The database must be the one the keys belong to and must reach the audit head kept
        beside them: a missing, emptied, older or other database raises `DatabaseMismatch`
        (exit 2) instead of starting empty.
        """
        source = keys or key_source(settings, data)
        with db_mod.storage_errors():
            data.ensure()
        held = source.load()
        if held is not None and held.database_id and not data.database.exists():
            # Keys without their database: never create an empty one in its place.
            raise DatabaseMismatch(
                f"{data.database} is missing but its keys ({source.describe()}) exist. The kiosk "
                "does not start without it, so nothing is lost: restore the database from its "
                "backup (or copy), then start again"
            )
        max_mb = settings.retention.max_database_mb
        db = db_mod.connect(data.database, max_pages=(max_mb * 1024 * 1024) // 4096 or None)
        store = cls(db, data, settings, source, clock)
        try:
            store._ensure_keys(held)
        except BaseException:
            db.close()
            raise
        return store

    @classmethod
    def open_evidence(
        cls, data: DataDir, settings: Settings, keys: KeySource | None = None
    ) -> Store:
        """Open a copy of `data.database` (which may be on read-only media) for inspection.

        Nothing in `data` is written; problems that would stop `open` are kept in
        `findings` for `verify_audit` to report.
        """
        source = keys or key_source(settings, data)
        work = Path(tempfile.mkdtemp(prefix="kiosk-evidence-"))
        try:
            for suffix in ("", "-wal"):
                original = data.database.with_name(data.database.name + suffix)
                if original.is_file():
                    shutil.copyfile(original, work / f"kiosk.db{suffix}")
            existed = (work / "kiosk.db").exists()
            db = db_mod.connect(work / "kiosk.db")
            store = cls(db, data, settings, source, clock=utc_now)
            store.evidence = True
            store._cleanup = lambda: shutil.rmtree(work, ignore_errors=True)
            if not existed:
                store.findings.append(("missing", f"{data.database} does not exist"))
            store._ensure_keys(source.load())
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return store

    def close(self) -> None:
        with self._lock:
            self._db.close()
            if self._cleanup is not None:
                self._cleanup()
                self._cleanup = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _ensure_keys(self, keys: KeySet | None) -> None:
        """Take the loaded keys (creating them for a new database); check the database is theirs."""
        with self._lock:
            with db_mod.storage_errors():
                db_id = self._meta("database_id")
                rows = self._db.execute(
                    "SELECT (SELECT count(*) FROM submissions) + (SELECT count(*) FROM audit)"
                ).fetchone()[0]
            if keys is None:
                if self.evidence or rows:
                    raise KeyMissing(f"{self._source.describe()}: missing, records need it")
                if self._head.exists():
                    raise KeyMissing(
                        f"{self._source.describe()}: missing, but their audit head "
                        f"{self._head.path} remains: restore the keys (a fresh start would "
                        "lose what they protect; move the head away only if that is meant)"
                    )
                keys = self._bind(KeySet.generate(), db_id)
                db_id = keys.database_id
            elif not keys.database_id and not self.evidence:
                keys = self._bind(keys, db_id)  # a key file from before the binding
                db_id = keys.database_id
            self._keys, self._keys_version = keys, self._source.version()
            self._finish_interrupted_bind(keys, db_id, rows)
            self._check_database(keys, db_id, rows)
            if not self.evidence:
                with self._write():
                    self._set_meta("signing_public_key", base64.b64encode(keys.public_key).decode())

    def _bind(self, keys: KeySet, db_id: str | None) -> KeySet:
        """Give the database an id (committed first), then save keys bound to it and a head."""
        if db_id is None:
            db_id = secrets.token_hex(16)
            with db_mod.write_transaction(self._db):
                self._set_meta("database_id", db_id)
        keys = keys.bound_to(db_id)
        self._source.save(keys)
        last = self._last_entry()
        seq, h = last if last else (self._anchor()[0], self._anchor()[1])
        self._advance_head(keys, seq, h)
        return keys

    def _finish_interrupted_bind(self, keys: KeySet, db_id: str | None, rows: int) -> None:
        """A first start killed between saving the keys and writing their head left keys with
        no head. Nothing was recorded yet (no row, nothing ever purged), so nothing can be
        lost: write the head now instead of refusing to start for good."""
        if self.evidence or rows or self._head.exists() or not keys.database_id:
            return
        if db_id != keys.database_id or self._meta("audit_anchor_seq") is not None:
            return
        logs.event(log, "store.head_recreated", logging.WARNING)
        self._advance_head(keys, *self._anchor())

    def _check_database(self, keys: KeySet, db_id: str | None, rows: int) -> None:
        if not keys.database_id:
            return  # evidence from a kiosk older than the binding: nothing to compare with
        problems: list[tuple[str, str]] = []
        where = f"{self.data.database} (keys: {self._source.describe()})"
        if db_id is None:
            what = "missing or emptied" if not rows else "not the one the keys belong to"
            problems.append(("wiped" if not rows else "other_database", f"{where}: {what}"))
        elif db_id != keys.database_id:
            problems.append(("other_database", f"{where}: another kiosk database"))
        else:
            problem = self._head_problem(keys)
            if problem:
                problems.append(problem)
        if not problems:
            return
        if self.evidence:
            self.findings.extend(problems)
            return
        what, detail = problems[0]
        logs.event(log, "store.database_mismatch", logging.CRITICAL, problem=what)
        raise DatabaseMismatch(
            f"{detail}. The kiosk does not start on it, so nothing is lost: restore the "
            "database from its backup (or copy), then start again; `kiosk audit verify` "
            "tells more"
        )

    def _last_entry(self) -> tuple[int, str] | None:
        with db_mod.storage_errors():
            row = self._db.execute(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
            ).fetchone()
        return None if row is None else (int(row[0]), str(row[1]))

    def _anchor(self) -> tuple[int, str]:
        return (
            int(self._meta("audit_anchor_seq") or 0),
            self._meta("audit_anchor_hash") or audit_mod.GENESIS,
        )

    def _head_problem(self, keys: KeySet) -> tuple[str, str] | None:
        """Does the database reach the head kept beside the keys? (problem, detail) if not."""
        public = keys.public_key
        try:
            head = self._head.read(lambda sig, msg: verify_signature(public, sig, msg))
        except HeadUnreadable as e:
            return ("head_unreadable", str(e))
        if head is None:
            return ("head_missing", f"{self._head.path} is gone while the keys remain")
        if head.database_id != keys.database_id:
            return ("other_database", f"{self._head.path} belongs to another database")
        last = self._last_entry()
        anchor_seq, _ = self._anchor()
        if last is None:
            if head.seq > anchor_seq:
                return ("wiped", f"the audit log is empty but reached entry {head.seq}")
            return None
        if last[0] < head.seq:
            return (
                "rolled_back",
                f"the database is older than its keys: the audit log ends at entry {last[0]}, "
                f"it had reached {head.seq}",
            )
        with db_mod.storage_errors():
            row = self._db.execute("SELECT hash FROM audit WHERE seq = ?", [head.seq]).fetchone()
        if row is not None and str(row[0]) != head.hash:
            return ("replaced", f"audit entry {head.seq} is not the one the head vouches for")
        return None

    def _advance_head(self, keys: KeySet, seq: int, hash_: str) -> None:
        public = keys.public_key
        self._head.advance(
            Head(keys.database_id, seq, hash_),
            keys.sign,
            lambda sig, msg: verify_signature(public, sig, msg),
        )

    def _flush_head(self) -> None:
        """After a commit: move the head beside the keys to the newest entry."""
        pending, self._pending_head = self._pending_head, None
        if pending is None or self.evidence:
            return
        try:
            self._advance_head(self._current_keys(), *pending)
        except (OSError, StoreError) as e:
            # The entry is committed; a head left behind only narrows what a rollback shows.
            logs.event(log, "store.head_not_written", logging.ERROR, error=type(e).__name__)

    def _current_keys(self) -> KeySet:
        """The key set, re-read when another process (a rotation) changed it."""
        version = self._source.version()
        if version != self._keys_version or self._keys is None:
            loaded = self._source.load()
            if loaded is None:
                raise KeyMissing(f"{self._source.describe()}: missing")
            self._keys, self._keys_version = loaded, version
        return self._keys

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        try:
            with db_mod.write_transaction(self._db):
                yield
        except BaseException:
            self._pending_head = None
            raise
        self._flush_head()

    # --- submissions ---------------------------------------------------------------------
    def submit(
        self, submission: Submission, *, session_id: str | None = None, role: str = "resident"
    ) -> Receipt:
        """Store `submission` in the outbox; committed to disk when this returns.

        The same idempotency key twice gives the first receipt back (`duplicate=True`) and
        stores nothing new. A `submission.created` audit entry is written in the same
        transaction (under `session_id`, else the store's own session). Raises `StorageFull`
        when the disk is full — then nothing of this submission remains.
        """
        key = check_idempotency_key(submission.idempotency_key)
        _check_kind(submission.kind, submission.schema_version)
        attachments = [
            a if isinstance(a, Attachment) else Attachment(a) for a in submission.attachments
        ]
        if session_id is None:
            # Every stored submission is in the chain, so a deleted row is noticed.
            session_id, role = self.system_session, "system"
        else:  # a bad audit field is a bug: fail before writing anything
            audit_mod.check_entry(
                "submission.created", session_id, role, submission.categories, submission.kind,
                {"procedure": submission.kind},
            )  # fmt: skip
        try:
            return self._submit(submission, key, attachments, session_id, role)
        except StorageFull:
            logs.event(log, "store.full", logging.ERROR, kind=submission.kind)
            raise

    def _submit(
        self,
        submission: Submission,
        key: str,
        attachments: list[Attachment],
        session_id: str,
        role: str,
    ) -> Receipt:
        with self._lock, self._write():
            row = self._db.execute(
                "SELECT reference, kind, created_at FROM submissions WHERE idempotency_key = ?",
                [key],
            ).fetchone()
            if row is not None:
                return Receipt(row[0], key, row[1], parse_iso(row[2]), duplicate=True)
            keys = self._current_keys()
            now = self._clock()
            reference = new_reference()
            while self._db.execute(
                "SELECT 1 FROM submissions WHERE reference = ?", [reference]
            ).fetchone():
                reference = new_reference()
            document = self._sign(
                {
                    "envelope_version": ENVELOPE_VERSION,
                    "$schema": ENVELOPE_SCHEMA,
                    "kiosk_id": self.settings.site.kiosk_id,
                    "reference": reference,
                    "idempotency_key": key,
                    "kind": submission.kind,
                    "schema_version": submission.schema_version,
                    "created_at": iso(now),
                    "payload": dict(submission.payload),
                    "attachments": [
                        {
                            "media_type": a.media_type,
                            "sha256": hashlib.sha256(a.data).hexdigest(),
                            "data": base64.b64encode(a.data).decode("ascii"),
                        }
                        for a in attachments
                    ],
                },
                keys,
            )
            data_key = AESGCM.generate_key(256)
            key_id, wrapped = keys.wrap(data_key, reference.encode())
            sealed = seal(data_key, document, reference.encode())
            del data_key, document
            self._db.execute(
                "INSERT INTO submissions (reference, idempotency_key, kind, schema_version, "
                "created_at, master_key_id, wrapped_key, document, size, status, attempts, "
                "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)",
                [reference, key, submission.kind, submission.schema_version, iso(now), key_id,
                 wrapped, sealed, len(sealed), iso(now)],
            )  # fmt: skip
            self._append_audit(
                "submission.created", session_id, role, submission.categories,
                submission.kind, {"procedure": submission.kind, "reference": reference},
            )  # fmt: skip
        return Receipt(reference, key, submission.kind, now)

    def _sign(self, doc: dict[str, Any], keys: KeySet) -> bytes:
        signed = audit_mod.canonical(doc)
        doc["signature"] = {
            "alg": "Ed25519",
            "key_id": keys.signing_key_id,
            "public_key": base64.b64encode(keys.public_key).decode("ascii"),
            "value": base64.b64encode(keys.sign(signed)).decode("ascii"),
        }
        return audit_mod.canonical(doc)

    def document(self, reference: str) -> bytes:
        """The signed envelope (canonical JSON bytes) of one stored submission."""
        with self._lock, db_mod.storage_errors():
            row = self._db.execute(
                "SELECT master_key_id, wrapped_key, document FROM submissions WHERE reference = ?",
                [reference],
            ).fetchone()
            if row is None:
                raise KeyError(reference)
            try:
                data_key = self._current_keys().unwrap(row[0], row[1], reference.encode())
            except RecordUnreadable:
                self._keys_version = object()  # a rotation may have just replaced the file
                data_key = self._current_keys().unwrap(row[0], row[1], reference.encode())
            return open_sealed(data_key, row[2], reference.encode())

    def read(self, reference: str) -> dict[str, Any]:
        """The envelope of `reference` as a dict, after checking its signature."""
        doc: dict[str, Any] = json.loads(self.document(reference))
        if not verify_envelope(doc):
            raise RecordUnreadable(f"{reference}: signature does not verify")
        return doc

    def references(self) -> list[str]:
        with self._lock, db_mod.storage_errors():
            return [r[0] for r in self._db.execute("SELECT reference FROM submissions ORDER BY id")]

    # --- outbox ----------------------------------------------------------------------------
    def outbox_status(self, limit: int = 50) -> OutboxStatus:
        with self._lock, db_mod.storage_errors():
            counts = dict(
                self._db.execute(
                    "SELECT status, count(*) FROM submissions GROUP BY status"
                ).fetchall()
            )
            first = self._db.execute(
                "SELECT min(created_at), min(next_attempt_at) FROM submissions "
                "WHERE status = 'pending'"
            ).fetchone()
            items = tuple(
                OutboxItem(*r)
                for r in self._db.execute(
                    "SELECT reference, kind, status, attempts, created_at, next_attempt_at, "
                    "last_error FROM submissions WHERE status != 'delivered' ORDER BY id LIMIT ?",
                    [limit],
                )
            )
        return OutboxStatus(
            counts.get("pending", 0), counts.get("held", 0), counts.get("delivered", 0),
            first[0], first[1], items,
        )  # fmt: skip

    def sync(self, sink: Sink, *, retry_held: bool = False, force: bool = False) -> SyncReport:
        """Deliver every due submission through `sink`; each is marked delivered once accepted.

        Not due yet (backing off) ones wait unless `force`. A crash between delivery and
        marking sends the document again with the same idempotency key.
        """
        now = self._clock()
        with self._lock, self._write():
            if retry_held:
                self._db.execute(
                    "UPDATE submissions SET status = 'pending', next_attempt_at = ? "
                    "WHERE status = 'held'",
                    [iso(now)],
                )
            due = self._db.execute(
                "SELECT reference, idempotency_key, attempts FROM submissions "
                "WHERE status = 'pending' AND (? OR next_attempt_at <= ?) ORDER BY id",
                [force, iso(now)],
            ).fetchall()
        delivered = retry = held = 0
        errors: list[str] = []
        cfg = self.settings.sink
        for reference, key, attempts in due:
            try:
                document = self.document(reference)
            except RecordUnreadable as e:  # one bad record must not stop the others
                with self._lock, self._write():
                    self._db.execute(
                        "UPDATE submissions SET status = 'held', last_error = ? "
                        "WHERE reference = ?",
                        [e.message_id, reference],
                    )
                logs.event(log, "outbox.unreadable", logging.ERROR, reference=reference)
                errors.append(e.message_id)
                held += 1
                continue
            try:
                sink.deliver(document, key, reference)
            except DeliveryFailed as e:
                attempts += 1
                later = self._clock() + backoff(attempts, cfg.retry_base_s, cfg.retry_max_s)
                status = "pending" if e.retryable else "held"
                with self._lock, self._write():
                    self._db.execute(
                        "UPDATE submissions SET attempts = ?, next_attempt_at = ?, last_error = ?, "
                        "status = ? WHERE reference = ?",
                        [attempts, iso(later), e.detail[:200], status, reference],
                    )
                errors.append(e.detail)
                if e.retryable:
                    retry += 1
                else:
                    held += 1
                continue
            with self._lock, self._write():
                self._db.execute(
                    "UPDATE submissions SET status = 'delivered', delivered_at = ?, sink = ?, "
                    "attempts = attempts + 1, last_error = NULL WHERE reference = ?",
                    [iso(self._clock()), sink.kind, reference],
                )
                self._append_audit(
                    "submission.delivered", self.system_session, "system", (), "administration",
                    {"reference": reference, "sink": sink.kind},
                )  # fmt: skip
            delivered += 1
        self._witness(sink)
        remaining = self.outbox_status(limit=0)
        if due:
            logs.event(
                log, "outbox.synced", sink=sink.kind, delivered=delivered, retry_later=retry,
                held=held, remaining=remaining.pending + remaining.held,
            )  # fmt: skip
        return SyncReport(delivered, retry, held, remaining.pending + remaining.held, tuple(errors))

    def _witness(self, sink: Sink) -> None:
        """Show the signed audit head to the back office, which notices a rollback or fork."""
        send = getattr(sink, "witness", None)
        head = self.signed_audit_head()
        if send is None or head is None:
            return
        try:
            accepted = send(audit_head_document(self.settings.site.kiosk_id, *head))
        except DeliveryFailed as e:  # the next round shows it again
            logs.event(log, "audit.witness_unreachable", logging.WARNING, sink=sink.kind,
                       detail=e.detail[:80])  # fmt: skip
            return
        if not accepted:
            logs.event(log, "audit.witness_refused", logging.ERROR, sink=sink.kind)
            with self._lock, self._write():
                self._append_audit(
                    "audit.witness", self.system_session, "system", (), "administration",
                    {"outcome": "untrusted", "sink": sink.kind},
                )  # fmt: skip

    # --- audit log -------------------------------------------------------------------------
    def signed_audit_head(self) -> tuple[int, str, bytes] | None:
        """(seq, hash, Ed25519 signature over `head_message`) of the newest entry, if any."""
        with self._lock, db_mod.storage_errors():
            head_text = self._meta("audit_head")
            sig = self._meta("audit_head_signature")
        if not head_text or not sig:
            return None
        seq, hash_ = head_text.split(":", 1)
        return int(seq), hash_, base64.b64decode(sig)

    def audit(
        self,
        event: str,
        *,
        session_id: str,
        role: str = "resident",
        categories: Sequence[str] = (),
        purpose: str = "identity",
        **fields: object,
    ) -> AuditEntry:
        """Append one entry; fields outside the allow-list raise `AuditRejected` (a bug)."""
        with self._lock, self._write():
            return self._append_audit(event, session_id, role, categories, purpose, fields)

    def _append_audit(
        self,
        event: str,
        session_id: str,
        role: str,
        categories: Sequence[str],
        purpose: str,
        fields: Mapping[str, object],
    ) -> AuditEntry:
        cats, clean = audit_mod.check_entry(event, session_id, role, categories, purpose, fields)
        members = {m.id for m in self.settings.staff.members}
        if "staff_id" in clean and members and clean["staff_id"] not in members:
            # Only accounts from the config: a typed-in name can never land in the log.
            raise audit_mod.AuditRejected("staff_id is not a configured staff account")
        last = self._db.execute("SELECT seq, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        if last is None:
            anchor_seq, prev = self._anchor()
            seq = anchor_seq + 1
        else:
            seq, prev = int(last[0]) + 1, str(last[1])
        entry = AuditEntry(
            seq, iso(self._clock()), self.settings.site.kiosk_id, session_id, role, event,
            cats, purpose, clean, prev, "",
        )  # fmt: skip
        entry = AuditEntry(**{**entry.__dict__, "hash": audit_mod.chain_hash(prev, entry.body())})
        self._db.execute(
            "INSERT INTO audit (seq, ts, kiosk_id, session_id, role, event, categories, purpose, "
            "fields, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [entry.seq, entry.ts, entry.kiosk_id, entry.session_id, entry.role, entry.event,
             json.dumps(list(cats)), purpose, json.dumps(clean, sort_keys=True), prev, entry.hash],
        )  # fmt: skip
        signature = self._current_keys().sign(audit_mod.head_message(entry.seq, entry.hash))
        self._set_meta("audit_head", f"{entry.seq}:{entry.hash}")
        self._set_meta("audit_head_signature", base64.b64encode(signature).decode("ascii"))
        self._pending_head = (entry.seq, entry.hash)
        return entry

    def audit_entries(self, since: datetime | None = None) -> Iterator[AuditEntry]:
        """Entries in stored order (oldest first)."""
        with self._lock, db_mod.storage_errors():
            rows = self._db.execute(
                "SELECT seq, ts, kiosk_id, session_id, role, event, categories, purpose, fields, "
                "prev_hash, hash FROM audit WHERE ts >= ? ORDER BY id",
                [iso(since) if since else ""],
            ).fetchall()
        for r in rows:
            yield AuditEntry(
                r[0], r[1], r[2], r[3], r[4], r[5], tuple(json.loads(r[6])), r[7],
                json.loads(r[8]), r[9], r[10],
            )  # fmt: skip

    def verify_audit(self) -> ChainReport:
        """Check the chain from the signed purge anchor to the head kept beside the keys.

        Then the database against that head (rollback, wipe, another database) and the
        submission rows against the `submission.created` / `.delivered` entries.
        """
        with self._lock, db_mod.storage_errors():
            anchor_seq, anchor_hash = self._anchor()
            anchor_sig = self._meta("audit_anchor_signature")
            head_text = self._meta("audit_head")
            sig = self._meta("audit_head_signature")
        head = None
        if head_text and sig:
            s, h = head_text.split(":", 1)
            head = (int(s), h, base64.b64decode(sig))
        # Only the key held outside the database is trusted to vouch for the head.
        keys = self._current_keys()
        public = keys.public_key

        def check(signature: bytes, msg: bytes) -> bool:
            return verify_signature(public, signature, msg)

        entries = list(self.audit_entries())
        report = audit_mod.verify_chain(entries, anchor_seq, anchor_hash, head, check)
        if not report.ok:
            return report
        if anchor_seq and not (
            anchor_sig and check(base64.b64decode(anchor_sig), self._anchor_message(keys))
        ):
            return ChainReport(
                False, 0, anchor_seq + 1, "anchor_signature",
                "the log's start (purge anchor) is not one a purge signed",
            )  # fmt: skip
        for what, detail in self.findings:  # what stopped `open` on the original
            return ChainReport(False, len(entries), anchor_seq + len(entries), what, detail)
        found = self._head_problem(keys) if keys.database_id else None
        if found is not None:
            return ChainReport(False, report.entries, anchor_seq + report.entries, *found)
        return self._check_submissions(entries) or report

    def _anchor_message(self, keys: KeySet) -> bytes:
        seq, h = self._anchor()
        return f"kiosk-audit-anchor|{keys.database_id}|{seq}|{h}".encode("ascii")

    def _check_submissions(self, entries: list[AuditEntry]) -> ChainReport | None:
        """Rows against the chain: none deleted, none marked delivered behind the log's back."""
        created: dict[str, int] = {}
        delivered: set[str] = set()
        for e in entries:
            ref = e.fields.get("reference")
            if e.event == "submission.created" and isinstance(ref, str):
                created[ref] = e.seq
            elif e.event == "submission.delivered" and isinstance(ref, str):
                delivered.add(ref)
        first_ts = entries[0].ts if entries else ""
        with self._lock, db_mod.storage_errors():
            rows = self._db.execute(
                "SELECT reference, status, created_at FROM submissions ORDER BY id"
            ).fetchall()
        present = {r[0] for r in rows}
        for ref, seq in created.items():
            if ref not in present and ref not in delivered:
                return ChainReport(
                    False, len(entries), seq, "submission_missing",
                    f"submission {ref} was stored, never delivered, and its row is gone",
                )  # fmt: skip
        for ref, status, created_at in rows:
            if ref not in created and created_at >= first_ts:
                return ChainReport(
                    False, len(entries), None, "submission_unaudited",
                    f"submission {ref} has no submission.created entry",
                )  # fmt: skip
            if status == "delivered" and ref in created and ref not in delivered:
                return ChainReport(
                    False, len(entries), created[ref], "submission_tampered",
                    f"submission {ref} is marked delivered but no delivery was logged",
                )  # fmt: skip
        return None

    def stats(self, since: datetime | None = None) -> dict[str, Any]:
        """How the kiosk serves people, from the audit log only (no personal data)."""
        return audit_stats(self.audit_entries(since))

    # --- retention -------------------------------------------------------------------------
    def purge(self, reason: str = "manual") -> PurgeReport:
        """Delete what retention allows: delivered submissions, old audit entries, stale tmp files.

        Undelivered submissions are never purged. The audit chain stays verifiable: the last
        purged entry's hash becomes the anchor the remaining chain starts from.
        """
        now = self._clock()
        ret = self.settings.retention
        sub_cut = iso(now - timedelta(days=ret.delivered_submissions_days))
        audit_cut = iso(now - timedelta(days=ret.audit_days))
        with self._lock, self._write():
            n_sub = self._db.execute(
                "DELETE FROM submissions WHERE status = 'delivered' AND delivered_at < ?", [sub_cut]
            ).rowcount
            last = self._db.execute(
                "SELECT seq, hash FROM audit WHERE ts < ? ORDER BY id DESC LIMIT 1", [audit_cut]
            ).fetchone()
            n_audit = 0
            if last is not None:
                self._set_meta("audit_purge", "1")
                n_audit = self._db.execute(
                    "DELETE FROM audit WHERE id <= (SELECT id FROM audit WHERE seq = ?)", [last[0]]
                ).rowcount
                self._set_meta("audit_purge", "0")
                self._set_meta("audit_anchor_seq", str(last[0]))
                self._set_meta("audit_anchor_hash", str(last[1]))
                keys = self._current_keys()
                signature = keys.sign(self._anchor_message(keys))
                self._set_meta("audit_anchor_signature", base64.b64encode(signature).decode())
            why = reason if reason in audit_mod.REASONS else "other"
            self._append_audit(
                "data.purged", self.system_session, "system", (), "retention",
                {"count": n_sub + n_audit, "reason": why},
            )  # fmt: skip
            self._set_meta("last_purge", iso(now))
        n_tmp = self._purge_tmp(now)
        n_drop = self._purge_drops(now)
        with self._lock, db_mod.storage_errors():
            # Old page images in the WAL go too, not only the rows.
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return PurgeReport(n_sub, n_audit, n_tmp, n_drop)

    def _purge_drops(self, now: datetime) -> int:
        """The folder sink's drops past retention, and `.part` files a crash left behind."""
        cfg = self.settings.sink
        if cfg.kind != "folder":
            return 0
        folder = Path(cfg.folder) if cfg.folder else self.data.outbox_dir
        days = self.settings.retention.delivered_submissions_days
        return clean_drop_folder(folder, older_than=now.timestamp() - days * 86400)

    def purge_if_due(self) -> PurgeReport | None:
        """The daily purge: call it from a timer (hourly is fine); runs at most once a day."""
        with self._lock, db_mod.storage_errors():
            last = self._meta("last_purge")
        if last is not None and self._clock() - parse_iso(last) < timedelta(days=1):
            return None
        return self.purge(reason="scheduled")

    def _purge_tmp(self, now: datetime) -> int:
        limit = now.timestamp() - self.settings.retention.tmp_files_hours * 3600
        n = 0
        tmp = self.data.tmp
        if not tmp.is_dir():
            return 0
        for p in sorted(tmp.rglob("*"), reverse=True):
            try:
                if p.is_file() and p.stat().st_mtime < limit:
                    p.unlink()
                    n += 1
            except OSError:
                continue  # held by a running session: next purge
        return n

    # --- keys ------------------------------------------------------------------------------
    def rotate_keys(self, batch: int = 200) -> RotationReport:
        """New master key; every data key re-wrapped in short transactions; old keys retired.

        The kiosk keeps taking submissions meanwhile (other processes notice the new key
        file). Payloads are not re-encrypted. A crash midway is finished by the next call.
        """
        with self._lock:
            keys = self._current_keys()
            if len(keys.master_keys) == 1:  # else: finish an interrupted rotation
                keys = keys.with_new_current()
                self._source.save(keys)
                self._keys, self._keys_version = keys, self._source.version()
        rewrapped = 0
        while True:
            with self._lock, self._write():
                keys = self._current_keys()
                rows = self._db.execute(
                    "SELECT id, reference, master_key_id, wrapped_key FROM submissions "
                    "WHERE master_key_id != ? LIMIT ?",
                    [keys.current, batch],
                ).fetchall()
                if not rows:
                    # Under the write lock: no writer wraps with an old key before the file changes.
                    retired = tuple(k for k in keys.master_keys if k != keys.current)
                    if retired:
                        self._source.save(keys.only_current())
                    self._keys, self._keys_version = keys.only_current(), self._source.version()
                    self._append_audit(
                        "keys.rotated", self.system_session, "system", (), "administration",
                        {"count": rewrapped},
                    )  # fmt: skip
                    return RotationReport(keys.current, retired, rewrapped)
                for rid, reference, key_id, wrapped in rows:
                    data_key = keys.unwrap(key_id, wrapped, reference.encode())
                    new_id, new_wrapped = keys.wrap(data_key, reference.encode())
                    self._db.execute(
                        "UPDATE submissions SET master_key_id = ?, wrapped_key = ? WHERE id = ?",
                        [new_id, new_wrapped, rid],
                    )
                    rewrapped += 1

    def master_key_ids(self) -> dict[str, int]:
        """How many records each master key wraps (for `kiosk keys status`)."""
        with self._lock, db_mod.storage_errors():
            counts = dict(
                self._db.execute(
                    "SELECT master_key_id, count(*) FROM submissions GROUP BY master_key_id"
                ).fetchall()
            )
        return {k: counts.get(k, 0) for k in self._current_keys().master_keys} | counts

    @property
    def current_key_id(self) -> str:
        return self._current_keys().current

    @property
    def key_source_description(self) -> str:
        return self._source.describe()

    @property
    def signing_public_key(self) -> bytes:
        return self._current_keys().public_key

    def integrity_check(self) -> str:
        with self._lock, db_mod.storage_errors():
            return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])


def verify_envelope(doc: Mapping[str, Any]) -> bool:
    """True when the envelope's Ed25519 signature covers everything else in it."""
    sig = doc.get("signature")
    if not isinstance(sig, dict) or sig.get("alg") != "Ed25519":
        return False
    body = {k: v for k, v in doc.items() if k != "signature"}
    try:
        public = base64.b64decode(sig["public_key"], validate=True)
        value = base64.b64decode(sig["value"], validate=True)
    except (KeyError, ValueError, TypeError):
        return False
    return verify_signature(public, value, audit_mod.canonical(body))


def _check_kind(kind: str, schema_version: int) -> None:
    import re

    if not re.fullmatch(r"[a-z][a-z0-9-]{1,39}", kind):
        raise ValueError("submission kind must be a lower-case id like 'risai'")
    if not isinstance(schema_version, int) or schema_version < 1:
        raise ValueError("schema_version must be a positive integer")


def audit_stats(entries: Iterator[AuditEntry]) -> dict[str, Any]:
    """Counts and medians over audit entries; every output key is a fixed, non-personal label."""
    sessions: set[str] = set()
    ended: Counter[str] = Counter()
    methods: Counter[str] = Counter()
    methods_ok: Counter[str] = Counter()
    fallbacks: Counter[str] = Counter()
    handoffs = 0
    not_me = 0
    submissions: Counter[str] = Counter()
    started: dict[tuple[str, str], datetime] = {}
    durations: dict[str, list[float]] = defaultdict(list)
    first = last = None
    for e in entries:
        first = first or e.ts
        last = e.ts
        f = e.fields
        if e.event == "session.started":
            sessions.add(e.session_id)
        elif e.event == "session.ended":
            ended[str(f.get("outcome", "unknown"))] += 1
        elif e.event == "auth.attempt":
            methods[str(f.get("method", "none"))] += 1
            if f.get("outcome") == "ok":
                methods_ok[str(f.get("method", "none"))] += 1
        elif e.event == "auth.fallback":
            fallbacks[f"{f.get('method', 'none')}->{f.get('to_method', 'none')}"] += 1
        elif e.event == "handoff":
            handoffs += 1
        elif e.event == "not_me":
            not_me += 1
        elif e.event == "procedure.started":
            started[(e.session_id, str(f.get("procedure")))] = parse_iso(e.ts)
        elif e.event == "submission.created" and e.role != "system":
            proc = str(f.get("procedure"))
            submissions[proc] += 1
            t0 = started.pop((e.session_id, proc), None)
            if t0 is not None:
                durations[proc].append((parse_iso(e.ts) - t0).total_seconds())
    n = len(sessions)
    completed = ended.get("completed", 0)
    return {
        "period": {"from": first, "to": last},
        "sessions": n,
        "sessions_ended": dict(sorted(ended.items())),
        "completion_rate": round(completed / n, 3) if n else None,
        "auth_methods": dict(sorted(methods.items())),
        "auth_methods_succeeded": dict(sorted(methods_ok.items())),
        "fallbacks": sum(fallbacks.values()),
        "fallbacks_by_route": dict(sorted(fallbacks.items())),
        "handoffs": handoffs,
        "not_me": not_me,
        "submissions": dict(sorted(submissions.items())),
        "median_seconds_per_procedure": {
            p: round(statistics.median(v), 1) for p, v in sorted(durations.items())
        },
    }
