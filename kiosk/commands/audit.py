"""`kiosk audit verify|show`: check the hash chain of the audit log, or list recent entries."""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.cli import emit_json
from kiosk.commands import Context
from kiosk.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="the audit log: verify the chain, show entries")
    a = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = a.add_parser("verify", help="check every entry's hash and the signed head")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=verify_command)
    s = a.add_parser("show", help="the newest entries, one JSON object per line")
    s.add_argument("--last", type=int, default=50, metavar="N")
    s.add_argument("--json", action="store_true", help="one JSON object with an entries list")
    s.set_defaults(func=show_command)


def verify_command(args: argparse.Namespace, ctx: Context) -> int:
    with Store.open(ctx.data, ctx.settings) as store:
        report = store.verify_audit()
    if args.json:
        emit_json(report.to_json())
    elif report.ok:
        print(f"audit log ok: {report.entries} entries", file=sys.stderr)
    else:
        print(
            f"audit log BROKEN at entry {report.first_broken}: {report.problem}",
            file=sys.stderr,
        )
    return 0 if report.ok else 1


def show_command(args: argparse.Namespace, ctx: Context) -> int:
    with Store.open(ctx.data, ctx.settings) as store:
        entries = [e.to_json() for e in store.audit_entries()][-max(0, args.last) :]
        store.audit(
            "export", session_id=store.system_session, role="admin", purpose="administration",
            what="audit",
        )  # fmt: skip
    if args.json:
        emit_json({"ok": True, "entries": entries})
    else:
        for e in entries:
            sys.stdout.write(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n")
    return 0
