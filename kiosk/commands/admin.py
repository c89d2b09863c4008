"""`kiosk admin stats`: how the kiosk serves people, from the audit log (no personal data)."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime

from kiosk.cli import emit_json
from kiosk.commands import Context
from kiosk.store import Store


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("admin", help="for the city's administrator")
    a = p.add_subparsers(dest="admin_command", metavar="ACTION", required=True)
    s = a.add_parser("stats", help="sessions, methods, fallbacks, hand-offs, completion, medians")
    s.add_argument("--since", type=_day, metavar="YYYY-MM-DD")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=stats_command)


def stats_command(args: argparse.Namespace, ctx: Context) -> int:
    since = None
    if args.since:
        since = datetime(args.since.year, args.since.month, args.since.day, tzinfo=UTC)
    with Store.open(ctx.data, ctx.settings) as store:
        stats = store.stats(since)
        store.audit(
            "export", session_id=store.system_session, role="admin", purpose="statistics",
            what="stats",
        )  # fmt: skip
    if args.json:
        emit_json({"ok": True, **stats})
    else:
        print(json.dumps(stats, ensure_ascii=False, indent=2, sort_keys=True))
    return 0
