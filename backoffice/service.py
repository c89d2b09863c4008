"""Two HTTPS listeners in one process: intake (mutual TLS, kiosks only) and the clerks' UI.

uvicorn does not hand the client certificate to the app, so the intake listener's protocol
puts the certificate's SHA-256 in the request state when the TLS connection is made; the
enrolled kiosk is looked up by it on every request (a revocation holds from the next one).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import signal
import socket
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from psycopg_pool import AsyncConnectionPool
from uvicorn.protocols.http.h11_impl import H11Protocol

from backoffice import intake
from backoffice.envelope import Refused
from backoffice.settings import Settings

log = logging.getLogger("backoffice")
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024


class MutualTlsProtocol(H11Protocol):
    """h11 over TLS that remembers the peer certificate's fingerprint per connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        fingerprint = hashlib.sha256(der).hexdigest() if der else None
        # A per-connection copy: the shared app state is not touched.
        self.app_state = {**self.app_state, "peer_cert_sha256": fingerprint}


def _pool(settings: Settings) -> AsyncConnectionPool:
    return AsyncConnectionPool(
        settings.dsn,
        min_size=2,
        max_size=settings.pool_max,
        open=False,
        kwargs={"autocommit": True},
    )


def intake_app(settings: Settings) -> FastAPI:
    pool = _pool(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pool.open(wait=True)
        yield
        await pool.close()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    async def _kiosk(request: Request, conn: Any) -> intake.Kiosk | JSONResponse:
        fp = getattr(request.state, "peer_cert_sha256", None)
        kiosk = await intake.kiosk_by_cert(conn, fp) if fp else None
        if kiosk is None:
            return JSONResponse({"error": "kiosk_not_enrolled"}, status_code=403)
        if kiosk.revoked:
            return JSONResponse({"error": "kiosk_revoked"}, status_code=403)
        return kiosk

    @app.post("/intake/submissions")
    async def submissions(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_DOCUMENT_BYTES:
            return JSONResponse({"error": "too_large"}, status_code=413)
        async with pool.connection() as conn:
            kiosk = await _kiosk(request, conn)
            if isinstance(kiosk, JSONResponse):
                return kiosk
            try:
                out = await intake.accept(
                    conn, kiosk, body, request.headers.get("idempotency-key"), "https"
                )
            except Refused as e:
                log.warning("intake refused: %s (kiosk %s)", e.code, kiosk.kiosk_id)
                return JSONResponse({"error": e.code}, status_code=422)
        if out.status == 409:
            return JSONResponse({"duplicate": True}, status_code=409)
        return JSONResponse({"accepted": True, "request": out.request_id}, status_code=201)

    @app.post("/intake/audit-head")
    async def audit_head(request: Request) -> Response:
        body = await request.body()
        async with pool.connection() as conn:
            kiosk = await _kiosk(request, conn)
            if isinstance(kiosk, JSONResponse):
                return kiosk
            try:
                seen = await intake.witness(conn, kiosk, body[:4096], "https")
            except Refused as e:
                return JSONResponse({"error": e.code}, status_code=422)
        if seen.problem:
            log.error("audit witness: %s on kiosk %s", seen.problem, kiosk.kiosk_id)
            return JSONResponse({"problem": seen.problem}, status_code=409)
        return JSONResponse({"ok": True}, status_code=200)

    @app.get("/healthz")
    async def healthz() -> dict[str, bool]:
        return {"ok": True}

    return app


def bind(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP, or asyncio leaves Nagle on for accepted connections: +40 ms a reply.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def _servers(
    settings: Settings, intake_sock: socket.socket, clerk_sock: socket.socket | None
) -> list[tuple[uvicorn.Server, socket.socket]]:
    common: dict[str, Any] = {
        "ssl_certfile": str(settings.server_cert),
        "ssl_keyfile": str(settings.server_key),
        "log_level": "warning",
        "access_log": False,  # paths and peers only, but the log stays free of request detail
        "lifespan": "on",
        "timeout_keep_alive": 5,
        "timeout_graceful_shutdown": 3,
        "backlog": 1024,
    }
    out = []
    icfg = uvicorn.Config(
        intake_app(settings),
        http=MutualTlsProtocol,
        ssl_cert_reqs=ssl.CERT_REQUIRED,
        ssl_ca_certs=str(settings.ca_cert),
        **common,
    )
    out.append((uvicorn.Server(icfg), intake_sock))
    if clerk_sock is not None:
        from backoffice.clerk.app import clerk_app

        ccfg = uvicorn.Config(clerk_app(settings), **common)
        out.append((uvicorn.Server(ccfg), clerk_sock))
    return out


async def _serve_on(settings: Settings, isock: socket.socket, csock: socket.socket | None) -> None:
    servers = _servers(settings, isock, csock)
    await asyncio.gather(*(s.serve(sockets=[sock]) for s, sock in servers))


def run(settings: Settings, ports_file: Path | None = None, with_clerk: bool = True) -> None:
    """Bind both listeners, then serve in `settings.workers` processes until stopped.

    `ports_file` gets the bound ports as JSON once the sockets listen (port 0: ephemeral).
    """
    isock = bind(settings.host, settings.intake_port)
    csock = bind(settings.host, settings.clerk_port) if with_clerk else None
    ports = {"intake": isock.getsockname()[1], "clerk": csock.getsockname()[1] if csock else None}
    if ports_file is not None:
        tmp = ports_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(ports), encoding="ascii")
        tmp.replace(ports_file)
    if settings.workers <= 1:
        asyncio.run(_serve_on(settings, isock, csock))
        return
    children: list[int] = []
    for _ in range(settings.workers):
        pid = os.fork()
        if pid == 0:  # a worker: its own event loop and pools, the shared sockets
            code = 0
            try:
                asyncio.run(_serve_on(settings, isock, csock))
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        children.append(pid)

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for child in children:
        os.waitpid(child, 0)


async def serve(settings: Settings, ports_file: Path | None = None) -> None:
    """One process, both listeners (for callers that already run an event loop)."""
    isock = bind(settings.host, settings.intake_port)
    csock = bind(settings.host, settings.clerk_port)
    if ports_file is not None:
        ports_file.write_text(
            json.dumps({"intake": isock.getsockname()[1], "clerk": csock.getsockname()[1]}),
            encoding="ascii",
        )
    await _serve_on(settings, isock, csock)
