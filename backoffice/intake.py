"""Acceptance of what kiosks send: exactly once by idempotency key, and the audit-head witness.

`accept` checks a document against the enrolled kiosk and inserts it with `INSERT … ON
CONFLICT DO NOTHING` on the unique idempotency key: of two deliveries racing, the database
lets one in and tells the other it lost (409), with no read-then-write window. Photos,
the submission and its request row commit together, before the kiosk hears "accepted".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from backoffice.envelope import Refused, check_envelope, check_head

Via = Literal["https", "folder"]
CERTIFICATE_KINDS = ("risai", "higai")
_AREA = re.compile(r"^((?:.{1,3}?[都道府県])?(?:.{1,6}?[市郡])?(?:.{1,6}?[区町村])?)")


@dataclass(frozen=True)
class Kiosk:
    kiosk_id: str
    signing_public_key: bytes
    revoked: bool


@dataclass(frozen=True)
class Outcome:
    """`status` is the HTTP answer: 201 new, 409 already had it (both mean delivered)."""

    status: int
    submission_id: int | None = None
    request_id: int | None = None


def area_of(address: str) -> str:
    """The municipality (and ward or town) of an address, for the clerks' queue."""
    m = _AREA.match(address.replace(" ", "").replace("\u3000", ""))
    return (m.group(1) if m else "") or address[:12]


async def kiosk_by_cert(conn: AsyncConnection[Any], cert_sha256: str) -> Kiosk | None:
    row = await (
        await conn.execute(
            "SELECT kiosk_id, signing_public_key, revoked_at IS NOT NULL FROM kiosks "
            "WHERE cert_sha256 = %s",
            [cert_sha256],
        )
    ).fetchone()
    return None if row is None else Kiosk(row[0], bytes(row[1]), row[2])


async def kiosk_by_id(conn: AsyncConnection[Any], kiosk_id: str) -> Kiosk | None:
    row = await (
        await conn.execute(
            "SELECT kiosk_id, signing_public_key, revoked_at IS NOT NULL FROM kiosks "
            "WHERE kiosk_id = %s",
            [kiosk_id],
        )
    ).fetchone()
    return None if row is None else Kiosk(row[0], bytes(row[1]), row[2])


async def accept(
    conn: AsyncConnection[Any], kiosk: Kiosk, raw: bytes, header_key: str | None, via: Via
) -> Outcome:
    """Store the document once. `Refused` for a bad one; nothing is written then."""
    if kiosk.revoked:
        raise Refused("kiosk_revoked")
    env = check_envelope(raw, kiosk.signing_public_key)
    if env.kiosk_id != kiosk.kiosk_id:
        raise Refused("kiosk_mismatch")
    if header_key is not None and header_key != env.idempotency_key:
        raise Refused("idempotency_key_mismatch")
    async with conn.transaction():
        row = await (
            await conn.execute(
                "INSERT INTO submissions (idempotency_key, reference, kiosk_id, kind, "
                "schema_version, created_at, via, document_sha256, payload) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT ON CONSTRAINT submissions_idempotency_key DO NOTHING RETURNING id",
                [
                    env.idempotency_key,
                    env.reference,
                    env.kiosk_id,
                    env.kind,
                    env.schema_version,
                    env.created_at,
                    via,
                    env.document_sha256,
                    Jsonb(env.payload),
                ],
            )
        ).fetchone()
        if row is None:
            return Outcome(409)
        sid = int(row[0])
        if env.attachments:
            async with conn.cursor() as cur:
                await cur.executemany(
                    "INSERT INTO attachments (submission_id, idx, media_type, sha256, data) "
                    "VALUES (%s, %s, %s, %s, %s)",
                    [
                        (sid, i, p.media_type, p.sha256, p.data)
                        for i, p in enumerate(env.attachments)
                    ],
                )
        request_id = None
        if env.kind in CERTIFICATE_KINDS:
            payload = env.payload
            rrow = await (
                await conn.execute(
                    "INSERT INTO requests (submission_id, kind, disaster_id, area, flooding, "
                    "survey_method) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                    [
                        sid,
                        env.kind,
                        payload["disaster"]["id"],
                        area_of(payload["property"]["address"]),
                        payload.get("damage", {}).get("flooding"),
                        payload.get("survey", {}).get("method"),
                    ],
                )
            ).fetchone()
            assert rrow is not None
            request_id = int(rrow[0])
        await conn.execute(
            "INSERT INTO clerk_audit (action, request_id, kiosk_id, detail) "
            "VALUES ('intake.accepted', %s, %s, %s)",
            [request_id, kiosk.kiosk_id, Jsonb({"kind": env.kind, "via": via})],
        )
    return Outcome(201, sid, request_id)


@dataclass(frozen=True)
class Witnessed:
    """`problem` is None when the head moved forward or repeats; else rollback or fork."""

    status: int
    problem: str | None = None


async def witness(conn: AsyncConnection[Any], kiosk: Kiosk, raw: bytes, via: Via) -> Witnessed:
    """Keep the kiosk's signed audit head; flag one that went backwards or forked."""
    if kiosk.revoked:
        raise Refused("kiosk_revoked")
    head = check_head(raw, kiosk.signing_public_key)
    if head.kiosk_id != kiosk.kiosk_id:
        raise Refused("kiosk_mismatch")
    async with conn.transaction():
        # One kiosk's heads are judged one at a time.
        await conn.execute("SELECT 1 FROM kiosks WHERE kiosk_id = %s FOR UPDATE", [kiosk.kiosk_id])
        top = await (
            await conn.execute(
                "SELECT seq, hash FROM audit_heads WHERE kiosk_id = %s ORDER BY seq DESC LIMIT 1",
                [kiosk.kiosk_id],
            )
        ).fetchone()
        same = await (
            await conn.execute(
                "SELECT hash FROM audit_heads WHERE kiosk_id = %s AND seq = %s",
                [kiosk.kiosk_id, head.seq],
            )
        ).fetchone()
        problem: str | None = None
        known: tuple[int, str] | None = None
        if same is not None and same[0] != head.hash:
            problem, known = "fork", (head.seq, str(same[0]))
        elif top is not None and head.seq < top[0]:
            problem, known = "rollback", (int(top[0]), str(top[1]))
        if problem is not None and known is not None:
            await conn.execute(
                "INSERT INTO witness_alerts (kiosk_id, problem, seq, hash, known_seq, known_hash) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [kiosk.kiosk_id, problem, head.seq, head.hash, known[0], known[1]],
            )
            await conn.execute(
                "INSERT INTO clerk_audit (action, kiosk_id, detail) VALUES (%s, %s, %s)",
                [f"witness.{problem}", kiosk.kiosk_id, Jsonb({"seq": head.seq})],
            )
            return Witnessed(409, problem)
        if same is not None:
            await conn.execute(
                "UPDATE audit_heads SET last_seen_at = now() WHERE kiosk_id = %s AND seq = %s",
                [kiosk.kiosk_id, head.seq],
            )
        else:
            await conn.execute(
                "INSERT INTO audit_heads (kiosk_id, seq, hash, signature, via) "
                "VALUES (%s, %s, %s, %s, %s)",
                [kiosk.kiosk_id, head.seq, head.hash, head.signature, via],
            )
    return Witnessed(200)


__all__ = ["Kiosk", "Outcome", "Refused", "Witnessed", "accept", "area_of", "witness"]
