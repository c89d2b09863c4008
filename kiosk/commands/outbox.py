"""`kiosk outbox status|sync`: what waits to be delivered, and deliver it now."""

from __future__ import annotations

import argparse
import sys

from kiosk.cli import emit_json
from kiosk.commands import Context
from kiosk.errors import ConfigError
from kiosk.store import Store, sink_from_settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("outbox", help="submissions waiting for the back office")
    a = p.add_subparsers(dest="outbox_command", metavar="ACTION", required=True)
    st = a.add_parser("status", help="pending, held and delivered counts")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=status_command)
    sy = a.add_parser("sync", help="deliver what is due through the configured sink")
    sy.add_argument("--force", action="store_true", help="also those still backing off")
    sy.add_argument("--retry-held", action="store_true", help="retry those the sink refused")
    sy.add_argument("--json", action="store_true")
    sy.set_defaults(func=sync_command)


def status_command(args: argparse.Namespace, ctx: Context) -> int:
    with Store.open(ctx.data, ctx.settings) as store:
        status = store.outbox_status()
    if args.json:
        emit_json({"ok": True, **status.to_json()})
        return 0
    print(f"pending {status.pending}, held {status.held}, delivered {status.delivered}")
    for item in status.items:
        print(f"  {item.reference} {item.kind} {item.status} tries={item.attempts} "
              f"next={item.next_attempt_at} {item.last_error or ''}".rstrip())  # fmt: skip
    return 0


def sync_command(args: argparse.Namespace, ctx: Context) -> int:
    try:
        sink = sink_from_settings(ctx.settings.sink, ctx.data)
    except (ValueError, OSError) as e:
        raise ConfigError(f"{ctx.settings.source}: [sink] {e}") from None
    with Store.open(ctx.data, ctx.settings) as store:
        report = store.sync(sink, retry_held=args.retry_held, force=args.force)
    ok = report.retry_later == 0 and report.held == 0
    if args.json:
        emit_json({"ok": ok, "sink": sink.kind, **report.to_json()})
    else:
        print(
            f"delivered {report.delivered}, retry later {report.retry_later}, "
            f"held {report.held}, remaining {report.remaining}"
        )
        for err in report.errors:
            print(f"  {err}", file=sys.stderr)
    return 0 if ok else 1
