"""Staff accounts: argon2id passwords plus TOTP, three roles, server-side sessions.

Only hashes are stored: the session token's SHA-256, the password's argon2id hash. A TOTP
code is accepted once (its time step is remembered), so a code seen over a shoulder cannot
be replayed within its 30 seconds.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from psycopg import AsyncConnection, Connection

ROLES = ("clerk", "supervisor", "admin")
_HASHER = PasswordHasher()  # argon2id with the library's current defaults
_DUMMY = _HASHER.hash("not-a-password")  # equal work for an unknown user
MAX_FAILED = 10


@dataclass(frozen=True)
class StaffMember:
    id: int
    username: str
    role: str

    def can(self, role: str) -> bool:
        """True when this member's role is `role` or above it."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class NewAccount:
    username: str
    password: str
    totp_secret: str

    @property
    def otpauth_uri(self) -> str:
        return pyotp.TOTP(self.totp_secret).provisioning_uri(
            name=self.username, issuer_name="Madoguchi"
        )


def create_staff(conn: Connection[Any], username: str, role: str) -> NewAccount:
    """A new account with a random password and TOTP secret (shown once, then only hashed)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    password = secrets.token_urlsafe(12)
    secret = pyotp.random_base32()
    conn.execute(
        "INSERT INTO staff (username, role, password_hash, totp_secret) VALUES (%s, %s, %s, %s)",
        [username, role, _HASHER.hash(password), secret],
    )
    return NewAccount(username, password, secret)


async def sign_in(
    conn: AsyncConnection[Any], username: str, password: str, code: str, now: float | None = None
) -> StaffMember | None:
    """The member when password and a fresh TOTP code are right; None otherwise (no detail)."""
    row = await (
        await conn.execute(
            "SELECT id, username, role, password_hash, totp_secret, last_totp_step, "
            "failed_logins, active FROM staff WHERE username = %s",
            [username],
        )
    ).fetchone()
    if row is None:
        _check_password(_DUMMY, password)
        return None
    sid, name, role, pw_hash, secret, last_step, failed, active = row
    ok = _check_password(pw_hash, password) and active and failed < MAX_FAILED
    step = _totp_step(secret, code, time.time() if now is None else now)
    if not ok or step is None or step <= last_step:
        await conn.execute(
            "UPDATE staff SET failed_logins = failed_logins + 1 WHERE id = %s", [sid]
        )
        return None
    await conn.execute(
        "UPDATE staff SET failed_logins = 0, last_totp_step = %s WHERE id = %s AND "
        "last_totp_step < %s",
        [step, sid, step],
    )
    return StaffMember(sid, name, role)


def _check_password(pw_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(pw_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _totp_step(secret: str, code: str, now: float) -> int | None:
    """The time step `code` belongs to (now ± 1 step), or None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    for drift in (0, -1, 1):
        t = now + drift * totp.interval
        if secrets.compare_digest(totp.at(t), code):
            return int(t // totp.interval)
    return None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


async def new_session(
    conn: AsyncConnection[Any], member: StaffMember, hours: int
) -> tuple[str, str]:
    """(session token for the cookie, CSRF token for the forms)."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO staff_sessions (token_sha256, staff_id, csrf_token, expires_at) "
        "VALUES (%s, %s, %s, %s)",
        [token_hash(token), member.id, csrf, datetime.now(UTC) + timedelta(hours=hours)],
    )
    return token, csrf


async def session_member(conn: AsyncConnection[Any], token: str) -> tuple[StaffMember, str] | None:
    row = await (
        await conn.execute(
            "SELECT s.id, s.username, s.role, x.csrf_token FROM staff_sessions x "
            "JOIN staff s ON s.id = x.staff_id "
            "WHERE x.token_sha256 = %s AND x.expires_at > now() AND s.active",
            [token_hash(token)],
        )
    ).fetchone()
    if row is None:
        return None
    return StaffMember(row[0], row[1], row[2]), row[3]


async def end_session(conn: AsyncConnection[Any], token: str) -> None:
    await conn.execute("DELETE FROM staff_sessions WHERE token_sha256 = %s", [token_hash(token)])
