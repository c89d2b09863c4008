"""A request's life: received → survey → graded → issued → handed over (→ re-survey).

Each step is one `UPDATE … WHERE status = <the state it leaves>`: two clerks pressing at
once cannot both move it, and the loser is told the request moved on. Every step writes a
`clerk_audit` row with ids and the step's name only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from backoffice import pdf
from backoffice.staff import StaffMember

GRADES = ("zenkai", "daikibo-hankai", "chukibo-hankai", "hankai", "jun-hankai", "ichibu-sonkai")
GRADE_JA = {
    "zenkai": "全壊",
    "daikibo-hankai": "大規模半壊",
    "chukibo-hankai": "中規模半壊",
    "hankai": "半壊",
    "jun-hankai": "準半壊",
    "ichibu-sonkai": "準半壊に至らない（一部損壊）",
}
STATES = ("received", "survey", "graded", "issued", "handed_over")
SURVEY_METHODS = ("site", "self")
# Who may take each step (and everyone above them).
STEP_ROLE = {
    "survey": "clerk",
    "grade": "clerk",
    "issue": "supervisor",
    "hand_over": "clerk",
    "resurvey": "supervisor",
}
# 被災者生活再建支援金 (DOMAIN §2), for the follow-up hint on a graded request: base + top-ups.
SUPPORT_YEN: dict[str, tuple[int, int, int, int]] = {
    "zenkai": (1_000_000, 2_000_000, 1_000_000, 500_000),
    "daikibo-hankai": (500_000, 2_000_000, 1_000_000, 500_000),
    "chukibo-hankai": (0, 1_000_000, 500_000, 250_000),
}


class StepRefused(Exception):
    """The step does not fit the request's state or the member's role; `code` says which."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Step:
    request_id: int
    status: str


async def _audit(
    conn: AsyncConnection[Any],
    member: StaffMember,
    action: str,
    request_id: int | None,
    **detail: object,
) -> None:
    await conn.execute(
        "INSERT INTO clerk_audit (staff_id, action, request_id, detail) VALUES (%s, %s, %s, %s)",
        [member.id, action, request_id, Jsonb(detail)],
    )


def _allowed(member: StaffMember, step: str) -> None:
    if not member.can(STEP_ROLE[step]):
        raise StepRefused("role")


async def _move(
    conn: AsyncConnection[Any],
    request_id: int,
    sets: str,
    params: list[object],
    leaving: tuple[str, ...],
    kind: str | None = None,
) -> None:
    cur = await conn.execute(
        f"UPDATE requests SET {sets}, updated_at = now() WHERE id = %s AND status = ANY(%s) "
        "AND kind = coalesce(%s, kind)",
        [*params, request_id, list(leaving), kind],
    )
    if cur.rowcount != 1:
        raise StepRefused("state")


async def assign_survey(
    conn: AsyncConnection[Any], member: StaffMember, request_id: int, method: str
) -> None:
    _allowed(member, "survey")
    if method not in SURVEY_METHODS:
        raise StepRefused("method")
    async with conn.transaction():
        await _move(
            conn, request_id, "status = 'survey', survey_method = %s", [method], ("received",)
        )
        await _audit(conn, member, "request.survey", request_id, method=method)


async def record_grade(
    conn: AsyncConnection[Any], member: StaffMember, request_id: int, grade: str, note: str
) -> None:
    _allowed(member, "grade")
    if grade not in GRADES:
        raise StepRefused("grade")
    async with conn.transaction():
        row = await (
            await conn.execute(
                "SELECT survey_method, kind FROM requests WHERE id = %s", [request_id]
            )
        ).fetchone()
        if row is None or row[1] != "risai":
            raise StepRefused("state")
        if row[0] == "self" and grade != "ichibu-sonkai":
            # 自己判定 certifies only 一部損壊, which the resident agreed to; otherwise go on site.
            raise StepRefused("self_assessment_grade")
        await _move(
            conn,
            request_id,
            "status = 'graded', grade = %s, surveyor_note = %s",
            [grade, note[:2000]],
            ("survey",),
        )
        await _audit(conn, member, "request.graded", request_id, grade=grade)


async def _next_number(conn: AsyncConnection[Any], prefix: str, year: int) -> str:
    row = await (
        await conn.execute(
            "INSERT INTO certificate_counters (prefix, year, last) VALUES (%s, %s, 1) "
            "ON CONFLICT (prefix, year) DO UPDATE SET last = certificate_counters.last + 1 "
            "RETURNING last",
            [prefix, year],
        )
    ).fetchone()
    assert row is not None
    return f"{prefix}{year}-{int(row[0]):06d}"


async def issue(
    conn: AsyncConnection[Any], member: StaffMember, request_id: int, city: str, mayor: str
) -> str:
    """Number the certificate, make its PDF and store it with the request; the number."""
    _allowed(member, "issue")
    async with conn.transaction():
        row = await (
            await conn.execute(
                "SELECT r.kind, r.status, r.grade, r.flooding, s.payload, s.reference "
                "FROM requests r JOIN submissions s ON s.id = r.submission_id "
                "WHERE r.id = %s FOR UPDATE OF r",
                [request_id],
            )
        ).fetchone()
        if row is None:
            raise StepRefused("state")
        kind, status, grade, flooding, payload, reference = row
        if (kind, status) not in (("risai", "graded"), ("higai", "received")):
            raise StepRefused("state")
        now = datetime.now(UTC)
        number = await _next_number(conn, "R" if kind == "risai" else "H", now.year)
        cert = pdf.Certificate(
            kind=kind,
            number=number,
            issued_on=now.date(),
            city=city,
            mayor=mayor,
            payload=payload,
            reference=reference,
            grade=grade,
            flooding=flooding,
        )
        document = pdf.certificate_pdf(cert)
        await _move(
            conn,
            request_id,
            "status = 'issued', certificate_no = %s, issued_at = %s, certificate_pdf = %s",
            [number, now, document],
            (status,),
        )
        await _audit(conn, member, "request.issued", request_id, certificate_no=number)
    return number


async def hand_over(conn: AsyncConnection[Any], member: StaffMember, request_id: int) -> None:
    _allowed(member, "hand_over")
    async with conn.transaction():
        await _move(
            conn, request_id, "status = 'handed_over', handed_over_at = now()", [], ("issued",)
        )
        await _audit(conn, member, "request.handed_over", request_id)


async def resurvey(conn: AsyncConnection[Any], member: StaffMember, request_id: int) -> None:
    """再調査: back to survey on site; the next issue gets a new number."""
    _allowed(member, "resurvey")
    async with conn.transaction():
        await _move(
            conn,
            request_id,
            "status = 'survey', survey_method = 'site', resurveys = resurveys + 1",
            [],
            ("issued", "handed_over"),
            kind="risai",
        )
        await _audit(conn, member, "request.resurvey", request_id)


def support_hint(grade: str | None, household: int | None = None) -> dict[str, int] | None:
    """被災者生活再建支援金 by grade (likely amounts; staff confirm), None if none applies."""
    amounts = SUPPORT_YEN.get(grade or "")
    if amounts is None:
        return None
    factor = 0.75 if household == 1 else 1.0
    base, build, repair, rent = (int(a * factor) for a in amounts)
    return {"base": base, "build": build, "repair": repair, "rent": rent}
