"""`python -m backoffice COMMAND`: migrate, serve, enrol, revoke, add-staff, import-drops, up.

Each takes `--config backoffice.toml` (written by `up`). Output never carries personal data.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import psycopg

from backoffice import db
from backoffice import settings as settings_mod
from backoffice.staff import create_staff
from backoffice.tls import cert_sha256, load_drop_key

DEFAULT_STATE = Path(".backoffice")


def _settings(args: argparse.Namespace) -> settings_mod.Settings:
    return settings_mod.load(args.config)


def signing_key(text: str) -> bytes:
    """A raw Ed25519 public key from hex (`kiosk keys status`) or base64 (the envelope)."""
    text = text.strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise SystemExit("signing key: hex or base64 of 32 bytes") from None
    if len(raw) != 32:
        raise SystemExit("signing key: must be 32 bytes (Ed25519)")
    return raw


def enrol(dsn: str, kiosk_id: str, cert_pem: bytes, signing: bytes, label: str = "") -> str:
    fingerprint = cert_sha256(cert_pem)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO kiosks (kiosk_id, cert_sha256, signing_public_key, label) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (kiosk_id) DO UPDATE SET "
            "cert_sha256 = excluded.cert_sha256, signing_public_key = "
            "excluded.signing_public_key, label = excluded.label, revoked_at = NULL",
            [kiosk_id, fingerprint, signing, label],
        )
        conn.execute(
            "INSERT INTO clerk_audit (action, kiosk_id) VALUES ('kiosk.enrolled', %s)", [kiosk_id]
        )
    return fingerprint


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backoffice")
    parser.add_argument("--config", type=Path, default=DEFAULT_STATE / "backoffice.toml")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply the SQL migrations")
    s = sub.add_parser("serve", help="run the intake (mutual TLS) and clerk listeners")
    s.add_argument("--ports-file", type=Path)
    s.add_argument("--intake-port", type=int)
    s.add_argument("--clerk-port", type=int)
    s.add_argument("--no-clerk", action="store_true")
    e = sub.add_parser("enrol", help="enrol a kiosk: its client certificate and signing key")
    e.add_argument("kiosk_id")
    e.add_argument("--cert", type=Path, required=True)
    e.add_argument("--signing-key", required=True, help="hex (kiosk keys status) or base64")
    e.add_argument("--label", default="")
    r = sub.add_parser("revoke", help="refuse a kiosk from now on")
    r.add_argument("kiosk_id")
    a = sub.add_parser("add-staff", help="a staff account with a random password and TOTP")
    a.add_argument("username")
    a.add_argument("--role", choices=("clerk", "supervisor", "admin"), default="clerk")
    i = sub.add_parser("import-drops", help="import a kiosk's (sealed) folder drops")
    i.add_argument("folder", type=Path)
    u = sub.add_parser("up", help="cluster, migrations, service (make backoffice)")
    u.add_argument("--state", type=Path, default=DEFAULT_STATE)
    u.add_argument("--intake-port", type=int, default=8443)
    u.add_argument("--clerk-port", type=int, default=8444)
    u.add_argument("--no-serve", action="store_true", help="set up and exit")
    args = parser.parse_args(argv)

    if args.command == "up":
        from backoffice import up

        return up.main(args.state, args.intake_port, args.clerk_port, serve_now=not args.no_serve)
    cfg = _settings(args)
    if args.command == "migrate":
        print(json.dumps({"applied": db.migrate(cfg.dsn)}))
    elif args.command == "serve":
        from dataclasses import replace

        from backoffice.service import run

        cfg = replace(
            cfg,
            intake_port=args.intake_port if args.intake_port is not None else cfg.intake_port,
            clerk_port=args.clerk_port if args.clerk_port is not None else cfg.clerk_port,
        )
        db.migrate(cfg.dsn)
        try:
            run(cfg, args.ports_file, with_clerk=not args.no_clerk)
        except KeyboardInterrupt:
            return 0
    elif args.command == "enrol":
        fp = enrol(
            cfg.dsn,
            args.kiosk_id,
            args.cert.read_bytes(),
            signing_key(args.signing_key),
            args.label,
        )
        print(json.dumps({"kiosk_id": args.kiosk_id, "cert_sha256": fp}))
    elif args.command == "revoke":
        with psycopg.connect(cfg.dsn, autocommit=True) as conn:
            n = conn.execute(
                "UPDATE kiosks SET revoked_at = now() WHERE kiosk_id = %s AND revoked_at IS NULL",
                [args.kiosk_id],
            ).rowcount
            conn.execute(
                "INSERT INTO clerk_audit (action, kiosk_id) VALUES ('kiosk.revoked', %s)",
                [args.kiosk_id],
            )
        print(json.dumps({"revoked": n}))
    elif args.command == "add-staff":
        with psycopg.connect(cfg.dsn, autocommit=True) as conn:
            acct = create_staff(conn, args.username, args.role)
        print(
            json.dumps(
                {
                    "username": acct.username,
                    "password": acct.password,
                    "totp_secret": acct.totp_secret,
                    "otpauth": acct.otpauth_uri,
                }
            )
        )
    elif args.command == "import-drops":
        from backoffice import importer

        key = load_drop_key(cfg.drop_key) if cfg.drop_key.exists() else None
        print(json.dumps(importer.run(cfg.dsn, args.folder, key), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
