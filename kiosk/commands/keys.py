"""`kiosk keys status|rotate`: the master keys and how many records each wraps."""

from __future__ import annotations

import argparse
import sys

from kiosk.cli import emit_json
from kiosk.commands import Context
from kiosk.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("keys", help="the kiosk's encryption keys")
    a = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    st = a.add_parser("status", help="current master key, records per key, signing key id")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=status_command)
    r = a.add_parser("rotate", help="new master key; re-wrap every record's key; no downtime")
    r.add_argument("--batch", type=int, default=200, help="records per transaction")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=rotate_command)


def status_command(args: argparse.Namespace, ctx: Context) -> int:
    with Store.open(ctx.data, ctx.settings) as store:
        current, per_key = store.current_key_id, store.master_key_ids()
        public = store.signing_public_key.hex()
    if args.json:
        emit_json(
            {
                "ok": True,
                "current": current,
                "records_per_key": per_key,
                "signing_public_key": public,
            }
        )
    else:
        print(f"current master key {current}")
        for k, n in sorted(per_key.items()):
            print(f"  {k}: {n} records")
        print(f"signing key (Ed25519, public) {public}")
    return 0


def rotate_command(args: argparse.Namespace, ctx: Context) -> int:
    with Store.open(ctx.data, ctx.settings) as store:
        report = store.rotate_keys(batch=max(1, args.batch))
    if args.json:
        emit_json({"ok": True, **report.to_json()})
    else:
        print(
            f"now {report.new_key_id}; re-wrapped {report.rewrapped} records; "
            f"retired {', '.join(report.retired_key_ids) or 'none'}",
            file=sys.stderr,
        )
    return 0
