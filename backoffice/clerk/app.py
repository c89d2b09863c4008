"""The clerks' web app: sign-in (password + TOTP), the queue, a request, its steps, exports.

Sessions live in PostgreSQL (the service keeps no state, so several can run behind a load
balancer). Cookies are `__Host-` prefixed, Secure, HttpOnly, SameSite=Strict; every POST
carries the session's CSRF token and must come from our own origin. Logs carry ids only.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import secrets
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from psycopg_pool import AsyncConnectionPool

from backoffice import ledger, staff, workflow
from backoffice.settings import Settings

log = logging.getLogger("backoffice.clerk")
HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "__Host-bo_session"
LOGIN_COOKIE = "__Host-bo_login"
LANG_COOKIE = "__Host-bo_lang"
LANGS = ("ja", "en")
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' "
    "'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no-referrer would make form posts say Origin: null
    "Cache-Control": "no-store",
    "Strict-Transport-Security": "max-age=31536000",
    "X-Frame-Options": "DENY",
}


@cache
def messages() -> dict[str, dict[str, str]]:
    return tomllib.loads((HERE / "messages.toml").read_text(encoding="utf-8"))


@cache
def templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True)
class Page:
    member: staff.StaffMember | None
    csrf: str
    lang: str


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or "ja"
    return lang if lang in LANGS else "ja"


def _cookie(resp: Response, name: str, value: str, max_age: int | None = None) -> None:
    resp.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="strict"
    )


def clerk_app(settings: Settings) -> FastAPI:
    pool = AsyncConnectionPool(
        settings.dsn, min_size=1, max_size=8, open=False, kwargs={"autocommit": True}
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pool.open(wait=True)
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.method == "POST":
            origin = request.headers.get("origin")
            if origin is not None and origin != f"https://{request.headers.get('host', '')}":
                return Response("cross-origin request refused", status_code=403)
        resp = await call_next(request)
        for k, v in HEADERS.items():
            resp.headers.setdefault(k, v)
        if "lang" in request.query_params and _lang(request) == request.query_params["lang"]:
            _cookie(resp, LANG_COOKIE, _lang(request), 3600 * 24 * 365)
        return resp

    def render(request: Request, page: Page, name: str, status: int = 200, **ctx: Any) -> Response:
        t = messages()[page.lang]
        html = (
            templates()
            .get_template(name)
            .render(
                t=t,
                page=page,
                path=request.url.path,
                other_lang="en" if page.lang == "ja" else "ja",
                grades=workflow.GRADES,
                states=workflow.STATES,
                **ctx,
            )
        )
        return HTMLResponse(html, status_code=status)

    async def current(request: Request, conn: Any) -> Page | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        found = await staff.session_member(conn, token)
        if found is None:
            return None
        return Page(found[0], found[1], _lang(request))

    def to_login() -> Response:
        return RedirectResponse("/login", status_code=303)

    def csrf_ok(page: Page, token: str) -> bool:
        return hmac.compare_digest(page.csrf.encode(), token.encode())

    # --- sign in ---------------------------------------------------------------------------
    @app.get("/login")
    async def login_form(request: Request) -> Response:
        csrf = secrets.token_urlsafe(24)
        resp = render(request, Page(None, csrf, _lang(request)), "login.html", failed=False)
        _cookie(resp, LOGIN_COOKIE, csrf, 900)
        return resp

    @app.post("/login")
    async def login(
        request: Request,
        username: str = Form(""),
        password: str = Form(""),
        code: str = Form(""),
        csrf: str = Form(""),
    ) -> Response:
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not hmac.compare_digest(expected.encode(), csrf.encode()):
            return Response("CSRF check failed", status_code=403)
        async with pool.connection() as conn:
            member = await staff.sign_in(conn, username.strip(), password, code)
            if member is None:
                log.info("staff sign-in refused")
                fresh = secrets.token_urlsafe(24)
                resp = render(
                    request, Page(None, fresh, _lang(request)), "login.html", 401, failed=True
                )
                _cookie(resp, LOGIN_COOKIE, fresh, 900)
                return resp
            token, _ = await staff.new_session(conn, member, settings.session_hours)
            await conn.execute(
                "INSERT INTO clerk_audit (staff_id, action) VALUES (%s, 'staff.signin')",
                [member.id],
            )
        log.info("staff %s signed in", member.id)
        resp = RedirectResponse("/", status_code=303)
        _cookie(resp, SESSION_COOKIE, token, settings.session_hours * 3600)
        resp.delete_cookie(LOGIN_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
        return resp

    @app.post("/logout")
    async def logout(request: Request, csrf: str = Form("")) -> Response:
        async with pool.connection() as conn:
            page = await current(request, conn)
            if page is not None and csrf_ok(page, csrf):
                await staff.end_session(conn, request.cookies[SESSION_COOKIE])
                await conn.execute(
                    "INSERT INTO clerk_audit (staff_id, action) VALUES (%s, 'staff.signout')",
                    [page.member.id if page.member else None],
                )
        resp = to_login()
        resp.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
        return resp

    # --- the queue -------------------------------------------------------------------------
    @app.get("/")
    async def queue(
        request: Request, disaster: str = "", area: str = "", status: str = "", kind: str = ""
    ) -> Response:
        async with pool.connection() as conn:
            page = await current(request, conn)
            if page is None:
                return to_login()
            rows = await (
                await conn.execute(
                    "SELECT r.id, r.kind, s.payload->'disaster'->>'name', r.area, r.status, "
                    "s.reference, s.received_at, r.certificate_no FROM requests r "
                    "JOIN submissions s ON s.id = r.submission_id "
                    "WHERE (%(d)s = '' OR r.disaster_id = %(d)s) "
                    "AND (%(a)s = '' OR r.area = %(a)s) "
                    "AND (%(s)s = '' OR r.status = %(s)s) AND (%(k)s = '' OR r.kind = %(k)s) "
                    "ORDER BY s.received_at LIMIT 500",
                    {"d": disaster, "a": area, "s": status, "k": kind},
                )
            ).fetchall()
            disasters = await (
                await conn.execute(
                    "SELECT DISTINCT r.disaster_id, s.payload->'disaster'->>'name' FROM requests r "
                    "JOIN submissions s ON s.id = r.submission_id ORDER BY 1"
                )
            ).fetchall()
            areas = [
                r[0]
                for r in await (
                    await conn.execute("SELECT DISTINCT area FROM requests ORDER BY 1")
                ).fetchall()
            ]
        return render(
            request,
            page,
            "queue.html",
            rows=rows,
            disasters=disasters,
            areas=areas,
            f={"disaster": disaster, "area": area, "status": status, "kind": kind},
        )

    # --- one request -----------------------------------------------------------------------
    async def load_request(conn: Any, request_id: int) -> dict[str, Any] | None:
        row = await (
            await conn.execute(
                "SELECT r.id, r.kind, r.status, r.survey_method, r.grade, r.surveyor_note, "
                "r.certificate_no, r.issued_at, r.handed_over_at, r.resurveys, r.area, "
                "s.reference, s.received_at, s.kiosk_id, s.payload, s.id "
                "FROM requests r JOIN submissions s ON s.id = r.submission_id WHERE r.id = %s",
                [request_id],
            )
        ).fetchone()
        if row is None:
            return None
        keys = (
            "id",
            "kind",
            "status",
            "survey_method",
            "grade",
            "surveyor_note",
            "certificate_no",
            "issued_at",
            "handed_over_at",
            "resurveys",
            "area",
            "reference",
            "received_at",
            "kiosk_id",
            "payload",
            "submission_id",
        )
        req = dict(zip(keys, row, strict=True))
        photos = await (
            await conn.execute(
                "SELECT idx, media_type FROM attachments WHERE submission_id = %s ORDER BY idx",
                [req["submission_id"]],
            )
        ).fetchall()
        req["photos"] = photos
        return req

    @app.get("/requests/{request_id}")
    async def show(request: Request, request_id: int, msg: str = "") -> Response:
        async with pool.connection() as conn:
            page = await current(request, conn)
            if page is None:
                return to_login()
            req = await load_request(conn, request_id)
            if req is None:
                return Response(status_code=404)
            await conn.execute(
                "INSERT INTO clerk_audit (staff_id, action, request_id) "
                "VALUES (%s, 'request.viewed', %s)",
                [page.member.id if page.member else None, request_id],
            )
        hint = workflow.support_hint(req["grade"])
        return render(request, page, "request.html", r=req, p=req["payload"], hint=hint, msg=msg)

    @app.get("/requests/{request_id}/photos/{idx}")
    async def photo(request: Request, request_id: int, idx: int) -> Response:
        async with pool.connection() as conn:
            page = await current(request, conn)
            if page is None:
                return Response(status_code=401)
            row = await (
                await conn.execute(
                    "SELECT a.media_type, a.data FROM attachments a JOIN requests r "
                    "ON r.submission_id = a.submission_id WHERE r.id = %s AND a.idx = %s",
                    [request_id, idx],
                )
            ).fetchone()
        if row is None or row[0] not in ("image/jpeg", "image/png"):
            return Response(status_code=404)
        return Response(bytes(row[1]), media_type=row[0])

    @app.get("/requests/{request_id}/certificate.pdf")
    async def certificate(request: Request, request_id: int) -> Response:
        async with pool.connection() as conn:
            page = await current(request, conn)
            if page is None:
                return to_login()
            row = await (
                await conn.execute(
                    "SELECT certificate_pdf, certificate_no FROM requests WHERE id = %s",
                    [request_id],
                )
            ).fetchone()
            if row is None or row[0] is None:
                return Response(status_code=404)
            await conn.execute(
                "INSERT INTO clerk_audit (staff_id, action, request_id) "
                "VALUES (%s, 'certificate.viewed', %s)",
                [page.member.id if page.member else None, request_id],
            )
        return Response(
            bytes(row[0]),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{row[1]}.pdf"'},
        )

    async def step(
        request: Request,
        request_id: int,
        csrf: str,
        run: Callable[[Any, staff.StaffMember], Awaitable[object]],
    ) -> Response:
        async with pool.connection() as conn:
            page = await current(request, conn)
            if page is None or page.member is None:
                return to_login()
            if not csrf_ok(page, csrf):
                return Response("CSRF check failed", status_code=403)
            try:
                await run(conn, page.member)
            except workflow.StepRefused as e:
                log.info("step refused on request %s: %s", request_id, e.code)
                return RedirectResponse(f"/requests/{request_id}?msg=refused_{e.code}", 303)
        return RedirectResponse(f"/requests/{request_id}?msg=done", status_code=303)

    @app.post("/requests/{request_id}/survey")
    async def survey(
        request: Request, request_id: int, method: str = Form(""), csrf: str = Form("")
    ) -> Response:
        return await step(
            request, request_id, csrf, lambda c, m: workflow.assign_survey(c, m, request_id, method)
        )

    @app.post("/requests/{request_id}/grade")
    async def grade(
        request: Request,
        request_id: int,
        grade: str = Form(""),
        note: str = Form(""),
        csrf: str = Form(""),
    ) -> Response:
        return await step(
            request,
            request_id,
            csrf,
            lambda c, m: workflow.record_grade(c, m, request_id, grade, note),
        )

    @app.post("/requests/{request_id}/issue")
    async def issue(request: Request, request_id: int, csrf: str = Form("")) -> Response:
        return await step(
            request,
            request_id,
            csrf,
            lambda c, m: workflow.issue(c, m, request_id, settings.city, settings.mayor),
        )

    @app.post("/requests/{request_id}/hand-over")
    async def hand_over(request: Request, request_id: int, csrf: str = Form("")) -> Response:
        return await step(
            request, request_id, csrf, lambda c, m: workflow.hand_over(c, m, request_id)
        )

    @app.post("/requests/{request_id}/resurvey")
    async def resurvey(request: Request, request_id: int, csrf: str = Form("")) -> Response:
        return await step(
            request, request_id, csrf, lambda c, m: workflow.resurvey(c, m, request_id)
        )

    # --- exports and kiosks ----------------------------------------------------------------
    @app.get("/export/{name}.csv")
    async def export(request: Request, name: str) -> Response:
        async with pool.connection() as conn:
            page = await current(request, conn)
            if page is None or page.member is None:
                return to_login()
            if not page.member.can("supervisor"):
                return Response(status_code=403)
            if name not in ledger.LEDGERS:
                return Response(status_code=404)
            text = await ledger.export(conn, name)
            await conn.execute(
                "INSERT INTO clerk_audit (staff_id, action, detail) VALUES (%s, %s, '{}')",
                [page.member.id, f"export.{name}"],
            )
        return Response(
            text.encode("utf-8-sig"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )

    @app.get("/kiosks")
    async def kiosks(request: Request) -> Response:
        async with pool.connection() as conn:
            page = await current(request, conn)
            if page is None or page.member is None:
                return to_login()
            if not page.member.can("admin"):
                return Response(status_code=403)
            rows = await (
                await conn.execute(
                    "SELECT k.kiosk_id, k.label, k.enrolled_at, k.revoked_at, "
                    "(SELECT max(seq) FROM audit_heads h WHERE h.kiosk_id = k.kiosk_id), "
                    "(SELECT count(*) FROM submissions s WHERE s.kiosk_id = k.kiosk_id) "
                    "FROM kiosks k ORDER BY 1"
                )
            ).fetchall()
            alerts = await (
                await conn.execute(
                    "SELECT kiosk_id, problem, seq, known_seq, seen_at FROM witness_alerts "
                    "ORDER BY seen_at DESC LIMIT 100"
                )
            ).fetchall()
        return render(request, page, "kiosks.html", kiosks=rows, alerts=alerts)

    @app.post("/kiosks/{kiosk_id}/revoke")
    async def revoke(request: Request, kiosk_id: str, csrf: str = Form("")) -> Response:
        async with pool.connection() as conn:
            page = await current(request, conn)
            if page is None or page.member is None:
                return to_login()
            if not page.member.can("admin") or not csrf_ok(page, csrf):
                return Response(status_code=403)
            await conn.execute(
                "UPDATE kiosks SET revoked_at = now() WHERE kiosk_id = %s AND revoked_at IS NULL",
                [kiosk_id],
            )
            await conn.execute(
                "INSERT INTO clerk_audit (staff_id, action, kiosk_id) "
                "VALUES (%s, 'kiosk.revoked', %s)",
                [page.member.id, kiosk_id],
            )
        return RedirectResponse("/kiosks", status_code=303)

    @app.get("/healthz")
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    return app
