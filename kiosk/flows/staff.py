"""Staff sign-in against the `[staff] members` of the configuration.

PINs are kept as argon2id PHC strings (a salt per member, 64 MiB and three passes: about
0.15 s per guess on a kiosk-class CPU), so a copied settings file does not give up a
4-digit PIN in milliseconds. Online, wrong PINs lock the id (and, counted over every id,
the kiosk) for a wait that doubles with each further wrong PIN; each lock is audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kiosk.config import StaffSettings
from kiosk.flows.ports import AuditPort, StaffIdentity

# RFC 9106's second recommended option (64 MiB), with one lane: a kiosk has few cores.
_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=1)
MAX_WAIT_S = 24 * 3600

# The demo accounts' hashes, made once with hash_pin: demo start-up does not pay 0.5 s.
_DEMO_HASHES = {
    ("demo-clerk", "1111"): "$argon2id$v=19$m=65536,t=3,p=1$"
    "ZGVtby1jbGVyay1zYWx0$C2C6uOIDw4LC3SnlE8XBOAVp8Bv9fcwI9ibAd1lCfuU",
    ("demo-supporter", "2222"): "$argon2id$v=19$m=65536,t=3,p=1$"
    "ZGVtby1zdXBwb3J0ZXItc2FsdA$bQ6sEV/8Q1hpGoiqamhFUQFHBRUkNzwik4ya5WWncdk",
    ("demo-admin", "9999"): "$argon2id$v=19$m=65536,t=3,p=1$"
    "ZGVtby1hZG1pbi1zYWx0$mOQgsVGRp0L2c51SPfpwQafG0HiGhf7sJpmqX2F1rKk",
}


def hash_pin(pin: str) -> str:
    """A fresh argon2id PHC string for `pin` (random salt): a `pin_hash` for `[staff] members`."""
    return _HASHER.hash(pin)


def pin_hash(staff_id: str, pin: str) -> str:
    """The `pin_hash` of one member's PIN (the demo accounts' are made once, ahead)."""
    return _DEMO_HASHES.get((staff_id, pin)) or hash_pin(pin)


def pin_matches(stored: str, pin: str) -> bool:
    try:
        return bool(_HASHER.verify(stored, pin))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def card_hash(uid: bytes) -> str:
    """The hex digest a `[staff] members` entry stores for a staff card's UID."""
    return hashlib.sha256(uid.hex().upper().encode()).hexdigest()


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


class ConfigStaff:
    """A `StaffDirectory` over the configured members, with lockout after wrong PINs.

    `lockout_after` wrong PINs in a row for one id lock that id for `lockout_s`, doubling with
    every further wrong PIN; twice as many over all ids lock the whole kiosk the same way (an
    attacker walking the ids on screen). A locked sign-in is refused without checking the PIN.
    """

    KIOSK = ""  # the key of the kiosk-wide counter

    def __init__(
        self,
        settings: StaffSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        audit: AuditPort | None = None,
    ) -> None:
        self._members = {m.id: m for m in settings.members}
        self._after = settings.lockout_after
        self._base_s = settings.lockout_s
        self._clock = clock
        self._audit = audit
        self._failures: dict[str, _Failures] = {}
        self._session = secrets.token_hex(16)  # lock events are the kiosk's, not a visit's
        # A PIN for an unknown id costs the same time as a known one.
        self._decoy = pin_hash("demo-clerk", "1111")

    def member_ids(self) -> Sequence[str]:
        return tuple(self._members)

    def locked_for(self, staff_id: str) -> float:
        """Seconds until `staff_id` may try a PIN again (0: now)."""
        now = self._clock()
        waits = [f.locked_until - now for k in (staff_id, self.KIOSK)
                 if (f := self._failures.get(k)) is not None]  # fmt: skip
        return max([0.0, *waits])

    def sign_in(self, staff_id: str, pin: str) -> StaffIdentity | None:
        if self.locked_for(staff_id) > 0:
            return None
        member = self._members.get(staff_id)
        ok = pin_matches(member.pin_hash if member else self._decoy, pin) and member is not None
        if not (ok and pin and member):
            self._failed(staff_id)
            return None
        self._failures.pop(staff_id, None)
        self._failures.pop(self.KIOSK, None)
        return StaffIdentity(member.id, member.role)

    def _failed(self, staff_id: str) -> None:
        now = self._clock()
        for key, after in ((staff_id, self._after), (self.KIOSK, 2 * self._after)):
            f = self._failures.setdefault(key, _Failures())
            f.count += 1
            if f.count >= after:
                wait = min(MAX_WAIT_S, self._base_s * 2 ** min(f.count - after, 20))
                f.locked_until = now + wait
                self._audit_lock(staff_id if key else None)

    def _audit_lock(self, staff_id: str | None) -> None:
        if self._audit is None:
            return
        # A configured id only: typed-in text never lands in the log.
        who = {"staff_id": staff_id} if staff_id in self._members else {}
        self._audit.record(self._session, "staff.signin", role="system", categories=(),
                           purpose="administration", outcome="blocked", method="pin",
                           **who)  # fmt: skip

    def by_card(self, uid: bytes) -> StaffIdentity | None:
        if not uid:
            return None
        digest = card_hash(uid)
        for member in self._members.values():
            if member.card_sha256 and hmac.compare_digest(digest, member.card_sha256.lower()):
                return StaffIdentity(member.id, member.role)
        return None
