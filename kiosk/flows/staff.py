"""Staff sign-in against the `[staff] members` of the configuration (sha256 of "<id>:<pin>")."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from kiosk.config import StaffSettings
from kiosk.flows.ports import StaffIdentity


def pin_hash(staff_id: str, pin: str) -> str:
    """The hex digest a `[staff] members` entry stores for this id and PIN."""
    return hashlib.sha256(f"{staff_id}:{pin}".encode()).hexdigest()


def card_hash(uid: bytes) -> str:
    """The hex digest a `[staff] members` entry stores for a staff card's UID."""
    return hashlib.sha256(uid.hex().upper().encode()).hexdigest()


class ConfigStaff:
    """A `StaffDirectory` over the configured members; compares digests in constant time."""

    def __init__(self, settings: StaffSettings) -> None:
        self._members = {m.id: m for m in settings.members}

    def member_ids(self) -> Sequence[str]:
        return tuple(self._members)

    def sign_in(self, staff_id: str, pin: str) -> StaffIdentity | None:
        member = self._members.get(staff_id)
        if member is None or not pin:
            return None
        if not hmac.compare_digest(pin_hash(staff_id, pin), member.pin_sha256.lower()):
            return None
        return StaffIdentity(member.id, member.role)

    def by_card(self, uid: bytes) -> StaffIdentity | None:
        if not uid:
            return None
        digest = card_hash(uid)
        for member in self._members.values():
            if member.card_sha256 and hmac.compare_digest(digest, member.card_sha256.lower()):
                return StaffIdentity(member.id, member.role)
        return None
