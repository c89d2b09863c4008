"""The back office: many kiosks deliver to one city service on PostgreSQL, where clerks work
the 罹災証明書 / 被災証明書 requests.

Rooms: `pgcluster` (a local PostgreSQL for `make backoffice` and the tests), `db` (pool and
versioned SQL migrations), `envelope` (signature and schema checks), `intake` (exactly-once
acceptance and the audit-head witness), `importer` (sealed folder drops), `clerk` (the web
UI), `pdf` (certificates), `ledger` (CSV export), `service` (uvicorn listeners), `up`.
It shares the kiosk's envelope and sealing helpers and its schemas, never its UI or devices.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SCHEMA_DIR = PACKAGE.parent / "docs" / "schema"
