"""The database: a connection pool and plain versioned SQL migrations (`migrations/NNNN_*.sql`).

Each migration runs in its own transaction under an advisory lock, so two services starting
at once never apply one twice.
"""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

from backoffice import PACKAGE

MIGRATIONS = PACKAGE / "migrations"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK = 7_310_017  # advisory lock id of the migration runner


def migrations(folder: Path = MIGRATIONS) -> list[tuple[int, Path]]:
    out = []
    for p in sorted(folder.iterdir()):
        m = _NAME.match(p.name)
        if m:
            out.append((int(m.group(1)), p))
    versions = [v for v, _ in out]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 0001.. without gaps: {versions}")
    return out


def migrate(dsn: str) -> list[int]:
    """Apply the migrations not applied yet; the versions applied now."""
    applied_now: list[int] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", [_LOCK])
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version integer PRIMARY KEY, name text NOT NULL, "
                "applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for version, path in migrations():
                if version in done:
                    continue
                with conn.transaction():
                    conn.execute(path.read_text(encoding="utf-8"))  # type: ignore[call-overload]
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        [version, path.name],
                    )
                applied_now.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", [_LOCK])
    return applied_now
