"""`kiosk purge`: delete what the retention settings allow (the kiosk also does it daily)."""

from __future__ import annotations

import argparse

from kiosk.cli import emit_json
from kiosk.commands import Context
from kiosk.store import Store


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("purge", help="delete delivered submissions and old audit entries")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=purge_command)


def purge_command(args: argparse.Namespace, ctx: Context) -> int:
    with Store.open(ctx.data, ctx.settings) as store:
        report = store.purge(reason="manual")
    if args.json:
        emit_json({"ok": True, **report.to_json()})
    else:
        print(
            f"removed {report.submissions} delivered submissions, "
            f"{report.audit_entries} audit entries, {report.tmp_files} temporary files"
        )
    return 0
