"""The audit log's vocabulary and its hash chain.

An entry says who did what kind of thing with which categories of data, and why — never the
data itself. Every field is checked against an allow-list of names and values, so a name,
an address, a number, a PIN, a photo or a certificate serial cannot be written by mistake:
there is no free-text field. Entries are chained: each hash covers the entry and the hash
before it, and the newest hash (the head) is signed with the kiosk's Ed25519 key, so an
edited, deleted, reordered or truncated entry shows up in `verify_chain`.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kiosk.config import ALL_PROCEDURES
from kiosk.language import LANGUAGES

GENESIS = "0" * 64

ROLES = ("resident", "supporter", "clerk", "admin", "system")
METHODS = ("face", "pin", "staff", "staff_card", "none")
OUTCOMES = (
    "ok", "failed", "cancelled", "blocked", "timeout", "completed", "abandoned",
    "card_removed", "handoff", "declined", "untrusted", "not_me",
)  # fmt: skip
REASONS = (
    "face_no_match", "face_unavailable", "camera_unavailable", "pin_wrong", "pin_blocked",
    "pin_one_try_left", "resident_choice", "accessibility", "no_card", "card_untrusted",
    "not_me", "timeout", "staff_requested", "storage_full", "paper_route", "retention",
    "scheduled", "manual", "visual_check", "handoff", "other",
)  # fmt: skip
DATA_CATEGORIES = (
    "card.basic_info", "card.photo", "card.certificate", "face.live_image",
    "insurance.qualification", "medication", "health_check", "damage.report",
    "damage.photos", "household", "income", "bank_account", "contact",
)  # fmt: skip
PURPOSES = ("identity", *ALL_PROCEDURES, "statistics", "administration", "support", "retention")
SINKS = ("folder", "https", "none")
EXPORTS = ("audit", "stats", "outbox", "receipt", "data_use_receipt")
STAFF_ROLES = ("supporter", "clerk", "admin")

_REFERENCE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
_SESSION = re.compile(r"^[0-9a-f]{32}$")
_STAFF_ID = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_TICKET = re.compile(r"^[0-9]{1,4}$")


def _enum(values: Sequence[str]) -> Callable[[object], bool]:
    return lambda v: isinstance(v, str) and v in values


def _pattern(p: re.Pattern[str]) -> Callable[[object], bool]:
    return lambda v: isinstance(v, str) and p.fullmatch(v) is not None


def _count(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 10**9


FIELD_RULES: dict[str, Callable[[object], bool]] = {
    "method": _enum(METHODS),
    "to_method": _enum(METHODS),
    "outcome": _enum(OUTCOMES),
    "reason": _enum(REASONS),
    "procedure": _enum(ALL_PROCEDURES),
    "reference": _pattern(_REFERENCE),
    "sink": _enum(SINKS),
    "what": _enum(EXPORTS),
    "staff_id": _pattern(_STAFF_ID),  # a staff account id from the config, not a person's name
    "staff_role": _enum(STAFF_ROLES),
    "ticket": _pattern(_TICKET),  # the printed hand-off number
    "count": _count,
    "attempt": _count,
    "language": _enum(LANGUAGES),
}

# Which fields each event may carry (all optional unless the flow needs them for stats).
EVENTS: dict[str, frozenset[str]] = {
    "session.started": frozenset({"language"}),
    "session.ended": frozenset({"outcome", "reason"}),
    "card.read": frozenset({"outcome", "reason"}),
    "auth.attempt": frozenset({"method", "outcome", "reason", "attempt"}),
    "auth.fallback": frozenset({"method", "to_method", "reason"}),
    "consent.given": frozenset({"procedure"}),
    "consent.declined": frozenset({"procedure"}),
    "consent.withdrawn": frozenset({"procedure"}),
    "procedure.started": frozenset({"procedure"}),
    "procedure.cancelled": frozenset({"procedure", "reason"}),
    "submission.created": frozenset({"procedure", "reference"}),
    "submission.delivered": frozenset({"reference", "sink"}),
    "staff.signin": frozenset({"staff_id", "staff_role", "outcome", "method"}),
    "staff.check": frozenset({"staff_id", "outcome", "reason"}),
    "staff.called": frozenset({"reason"}),  # why a bell rang; who answered is staff.signin
    "handoff": frozenset({"procedure", "reason", "ticket"}),
    "not_me": frozenset({"reason"}),
    "export": frozenset({"what", "reference", "outcome", "staff_id"}),
    "data.purged": frozenset({"count", "reason"}),
    "keys.rotated": frozenset({"count"}),
    "kiosk.left": frozenset({"staff_id", "outcome"}),  # an administrator took the kiosk down
    # The back office refused the signed head (409): it saw this log go backwards or fork.
    "audit.witness": frozenset({"outcome", "sink"}),
}


class AuditRejected(ValueError):
    """A caller tried to log a field or value outside the allow-list: a bug, never shown."""


def new_session_id() -> str:
    """A random session id (128 bits, hex): links one visit's entries, and nothing else."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class AuditEntry:
    """One line of the log as stored; `hash` covers every other field and `prev_hash`."""

    seq: int
    ts: str
    kiosk_id: str
    session_id: str
    role: str
    event: str
    categories: tuple[str, ...]
    purpose: str
    fields: Mapping[str, Any]
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "kiosk_id": self.kiosk_id,
            "session_id": self.session_id,
            "role": self.role,
            "event": self.event,
            "categories": list(self.categories),
            "purpose": self.purpose,
            "fields": dict(self.fields),
        }

    def to_json(self) -> dict[str, Any]:
        return {**self.body(), "prev_hash": self.prev_hash, "hash": self.hash}


def canonical(obj: object) -> bytes:
    """The one byte form that is hashed and signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(dict(body))).hexdigest()


def head_message(seq: int, hash_: str) -> bytes:
    return f"kiosk-audit-head|{seq}|{hash_}".encode("ascii")


def check_entry(
    event: str,
    session_id: str,
    role: str,
    categories: Iterable[str],
    purpose: str,
    fields: Mapping[str, object],
) -> tuple[tuple[str, ...], dict[str, object]]:
    """Categories (sorted, unique) and fields to store; `AuditRejected` names what is refused."""
    allowed = EVENTS.get(event)
    if allowed is None:
        raise AuditRejected(f"unknown audit event {event!r}")
    if not _SESSION.fullmatch(session_id):
        raise AuditRejected("session_id must come from new_session_id()")
    if role not in ROLES:
        raise AuditRejected(f"unknown role {role!r}")
    if purpose not in PURPOSES:
        raise AuditRejected(f"unknown purpose {purpose!r}")
    cats = tuple(sorted(set(categories)))
    for c in cats:
        if c not in DATA_CATEGORIES:
            raise AuditRejected(f"unknown data category {c!r}")
    out: dict[str, object] = {}
    for k, v in fields.items():
        if k not in allowed:
            raise AuditRejected(f"field {k!r} is not allowed on {event}")
        if not FIELD_RULES[k](v):
            # The value is not repeated: it may be the very personal data we keep out.
            raise AuditRejected(f"value of {k!r} on {event} is outside the allow-list")
        out[k] = v
    return cats, out


@dataclass(frozen=True)
class ChainReport:
    """What `verify_chain` found. `first_broken` is the seq of the first entry that fails."""

    ok: bool
    entries: int
    first_broken: int | None = None
    # edited | out_of_order | missing_before | broken_link | truncated | head_signature |
    # anchor_signature | rolled_back | wiped | replaced | other_database | head_missing |
    # head_unreadable | missing | submission_missing | submission_tampered | submission_unaudited
    problem: str = ""
    detail: str = ""  # one line for staff: what was found, in the store's words

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "first_broken": self.first_broken,
            "problem": self.problem or None,
            "detail": self.detail or None,
        }


def verify_chain(
    entries: Iterable[AuditEntry],
    anchor_seq: int,
    anchor_hash: str,
    head: tuple[int, str, bytes] | None,
    check_head: Callable[[bytes, bytes], bool],
) -> ChainReport:
    """Walk the entries in stored order from the anchor (last purged entry) to the signed head."""
    expected_seq = anchor_seq + 1
    prev = anchor_hash
    n = 0
    last_seq, last_hash = anchor_seq, anchor_hash
    stored = list(entries)
    present = {e.seq for e in stored}
    for e in stored:
        n += 1
        if chain_hash(e.prev_hash, e.body()) != e.hash:
            return ChainReport(False, n, e.seq, "edited")
        if e.seq < expected_seq or (e.seq > expected_seq and expected_seq in present):
            return ChainReport(False, n, e.seq, "out_of_order")
        if e.seq > expected_seq:
            return ChainReport(False, n, e.seq, "missing_before")
        if e.prev_hash != prev:
            return ChainReport(False, n, e.seq, "broken_link")
        prev = e.hash
        expected_seq = e.seq + 1
        last_seq, last_hash = e.seq, e.hash
    if head is None:
        if n:
            return ChainReport(False, n, last_seq, "truncated")
        return ChainReport(True, 0)
    head_seq, head_hash, signature = head
    if not check_head(signature, head_message(head_seq, head_hash)):
        return ChainReport(False, n, head_seq, "head_signature")
    if (head_seq, head_hash) != (last_seq, last_hash):
        return ChainReport(False, n, min(head_seq, last_seq + 1), "truncated")
    return ChainReport(True, n)
