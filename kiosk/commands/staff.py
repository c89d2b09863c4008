"""`kiosk staff card-id --reader NAME`: the `card_sha256` of the staff card on a reader, for
the `[staff] members` entry of its owner (the raw UID is not printed or kept)."""

from __future__ import annotations

import argparse
import sys

from kiosk.cli import emit_json
from kiosk.commands import Context


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("staff", help="set up staff sign-in")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    card = actions.add_parser("card-id", help="card_sha256 of the staff card on a reader")
    card.add_argument("--reader", required=True, help="the PC/SC reader holding the staff card")
    card.add_argument("--json", action="store_true")
    card.set_defaults(func=card_id)


def card_id(args: argparse.Namespace, _ctx: Context) -> int:
    from kiosk.devices.card.pcscd import PcscDaemon
    from kiosk.devices.card.reader import card_uid
    from kiosk.flows.staff import card_hash

    PcscDaemon.ensure(autostart=False)  # like `kiosk card read`: say how to start it
    digest = card_hash(card_uid(args.reader))  # CardError, a KnownError: the cli says why
    if args.json:
        emit_json({"ok": True, "card_sha256": digest})
    else:
        print(digest)
        print(
            f'add card_sha256 = "{digest}" to the member in [staff] members,'
            f' and card_reader = "{args.reader}" to [staff]',
            file=sys.stderr,
        )
    return 0
