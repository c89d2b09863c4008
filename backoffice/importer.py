"""Import a kiosk's folder drops: sealed files opened with the back office's X25519 key.

The same checks and the same exactly-once insert as the HTTPS intake; the kiosk is found by
the `kiosk_id` inside the signed envelope (a folder has no client certificate) and its
signature is checked with the enrolled key. `audit-head.json` goes to the witness.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from backoffice import intake
from backoffice.envelope import Refused
from kiosk.store.outbox import AUDIT_HEAD_FILE, SEALED_FORMAT, open_sealed_drop

log = logging.getLogger("backoffice.importer")


def _open(raw: bytes, key: X25519PrivateKey | None) -> bytes:
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Refused("not_json") from None
    if isinstance(obj, dict) and obj.get("format") == SEALED_FORMAT:
        if key is None:
            raise Refused("sealed_without_key")
        try:
            return open_sealed_drop(key, raw)
        except (ValueError, KeyError, TypeError, InvalidTag):  # another office's key, tampering
            raise Refused("unsealing_failed") from None
    return raw


async def import_folder(dsn: str, folder: Path, key: X25519PrivateKey | None) -> dict[str, int]:
    """Counts: accepted, duplicate, refused (by reason), heads, head problems."""
    counts: Counter[str] = Counter()
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        for path in sorted(folder.glob("*.json")):
            if path.name == AUDIT_HEAD_FILE:
                continue
            try:
                raw = _open(path.read_bytes(), key)
                doc: Any = json.loads(raw)
                if not isinstance(doc, dict):
                    raise Refused("not_an_envelope")
                kiosk = await intake.kiosk_by_id(conn, str(doc.get("kiosk_id", "")))
                if kiosk is None:
                    raise Refused("kiosk_not_enrolled")
                out = await intake.accept(conn, kiosk, raw, None, "folder")
            except Refused as e:
                log.warning("drop refused: %s", e.code)
                counts[f"refused_{e.code}"] += 1
                continue
            counts["accepted" if out.status == 201 else "duplicate"] += 1
        head_file = folder / AUDIT_HEAD_FILE
        if head_file.exists():
            raw = head_file.read_bytes()[:4096]
            try:
                kid = str(json.loads(raw).get("kiosk_id", ""))
                kiosk = await intake.kiosk_by_id(conn, kid)
                if kiosk is None:
                    raise Refused("kiosk_not_enrolled")
                seen = await intake.witness(conn, kiosk, raw, "folder")
                counts["heads"] += 1
                if seen.problem:
                    counts[f"head_{seen.problem}"] += 1
            except (Refused, ValueError, AttributeError) as e:
                counts[f"head_refused_{getattr(e, 'code', 'not_json')}"] += 1
    return dict(counts)


def run(dsn: str, folder: Path, key: X25519PrivateKey | None) -> dict[str, int]:
    return asyncio.run(import_folder(dsn, folder, key))
