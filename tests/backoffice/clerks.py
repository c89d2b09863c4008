"""Helpers for the clerk tests: staff accounts with TOTP, a signed-in httpx client."""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass

import httpx
import psycopg
import pyotp

from backoffice.sandbox import Service
from backoffice.staff import NewAccount, create_staff


@dataclass
class Clerk:
    account: NewAccount
    client: httpx.Client

    def csrf(self, path: str = "/") -> str:
        page = self.client.get(path)
        m = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert m, page.text[:300]
        return m.group(1)

    def post(self, path: str, form: dict[str, str], page: str = "/") -> httpx.Response:
        return self.client.post(path, data={**form, "csrf": self.csrf(page)})


def account(dsn: str, username: str, role: str) -> NewAccount:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return create_staff(conn, username, role)


OPEN: list[httpx.Client] = []  # closed after each test (conftest)


def client(service: Service) -> httpx.Client:
    ctx = ssl.create_default_context(cafile=str(service.settings.ca_cert))
    c = httpx.Client(base_url=service.clerk_url, verify=ctx, follow_redirects=True, timeout=30)
    OPEN.append(c)
    return c


def close_all() -> None:
    while OPEN:
        OPEN.pop().close()


def sign_in(service: Service, acct: NewAccount, code: str | None = None) -> httpx.Response:
    c = client(service)
    return login(c, acct, code)


def login(c: httpx.Client, acct: NewAccount, code: str | None = None) -> httpx.Response:
    form = c.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    return c.post(
        "/login",
        data={
            "username": acct.username,
            "password": acct.password,
            "code": code if code is not None else pyotp.TOTP(acct.totp_secret).now(),
            "csrf": csrf.group(1),
        },
    )


def signed_in(service: Service, dsn: str, username: str, role: str) -> Clerk:
    acct = account(dsn, username, role)
    c = client(service)
    r = login(c, acct)
    assert r.status_code == 200 and "/login" not in str(r.url), r.text[:300]
    return Clerk(acct, c)
