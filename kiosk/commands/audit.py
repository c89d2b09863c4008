"""`kiosk audit verify|show`: check the hash chain of the audit log, or list recent entries.

`verify` works on a copy of the database (the data dir may be a read-only evidence copy)
and names what it finds: an edited or reordered entry, a truncated log, a log rolled back
to an older database, a wiped one, a forged purge anchor, a submission row deleted or
marked delivered behind the log's back.
"""

from __future__ import annotations

import argparse
import json
import sys

from kiosk import paths
from kiosk.cli import emit_json
from kiosk.commands import Context
from kiosk.store import Store

# What each problem means, for the administrator reading the verdict.
MEANING = {
    "edited": "an entry was changed after it was written",
    "broken_link": "an entry was changed and re-hashed; the next entry no longer links to it",
    "out_of_order": "entries were reordered",
    "missing_before": "entries are missing from the middle of the log",
    "truncated": "entries are missing from the end of the log (truncation)",
    "head_signature": "the signed head does not match: the log was rewritten",
    "anchor_signature": "the start of the log was cut and a purge anchor forged",
    "rolled_back": "ROLLBACK: the database is older than the head kept with the keys",
    "wiped": "WIPE: the log (or the database) was emptied or removed",
    "missing": "WIPE: the database file is missing",
    "replaced": "the entry the head vouches for was replaced",
    "other_database": "this database is not the one the keys belong to",
    "head_missing": "the head kept with the keys was removed",
    "head_unreadable": "the head kept with the keys is not this kiosk's",
    "submission_missing": "a stored, undelivered submission row was deleted",
    "submission_tampered": "a submission row was marked delivered without a delivery",
    "submission_unaudited": "a submission row appeared without being logged",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="the audit log: verify the chain, show entries")
    a = p.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    v = a.add_parser(
        "verify", help="check every entry, the signed head, rollback and the submission rows"
    )
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=verify_command)
    s = a.add_parser("show", help="the newest entries, one JSON object per line")
    s.add_argument("--last", type=int, default=50, metavar="N")
    s.add_argument("--json", action="store_true", help="one JSON object with an entries list")
    s.set_defaults(func=show_command)


def verify_command(args: argparse.Namespace, ctx: Context) -> int:
    # Not ctx.data: that creates and chmods folders, and evidence may be read-only.
    data = paths.DataDir(ctx.data_dir or paths.default_data_dir())
    with Store.open_evidence(data, ctx.settings) as store:
        report = store.verify_audit()
    if args.json:
        emit_json({**report.to_json(), "meaning": MEANING.get(report.problem)})
    elif report.ok:
        print(f"audit log ok: {report.entries} entries", file=sys.stderr)
    else:
        print(
            f"audit log BROKEN at entry {report.first_broken}: {report.problem} — "
            f"{MEANING.get(report.problem, '')}" + (f" ({report.detail})" if report.detail else ""),
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
