"""Setting up staff sign-in.

- `kiosk staff hash-pin`: the argon2id `pin_hash` of a PIN (asked twice, never echoed or
  kept), for the member's `[staff] members` entry.
- `kiosk staff card-id --reader NAME`: the `card_sha256` of the staff card on a reader, for
  the `[staff] members` entry of its owner (the raw UID is not printed or kept).
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys

from kiosk.cli import emit_json
from kiosk.commands import Context
from kiosk.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("staff", help="set up staff sign-in")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    card = actions.add_parser("card-id", help="card_sha256 of the staff card on a reader")
    card.add_argument("--reader", required=True, help="the PC/SC reader holding the staff card")
    card.add_argument("--json", action="store_true")
    card.set_defaults(func=card_id)
    pin = actions.add_parser("hash-pin", help="pin_hash (argon2id) of a staff PIN")
    pin.add_argument("--stdin", action="store_true", help="read the PIN from stdin (scripts)")
    pin.add_argument("--json", action="store_true")
    pin.set_defaults(func=hash_pin_command)


def hash_pin_command(args: argparse.Namespace, _ctx: Context) -> int:
    from kiosk.flows.staff import hash_pin

    if args.stdin:
        pin = sys.stdin.readline().rstrip("\n")
    else:
        pin = getpass.getpass("staff PIN (4-8 digits): ")
        if getpass.getpass("again: ") != pin:
            raise ConfigError("the two PINs differ")
    if not re.fullmatch(r"[0-9]{4,8}", pin):
        raise ConfigError("a staff PIN is 4 to 8 digits (the sign-in keypad has digits only)")
    digest = hash_pin(pin)
    if args.json:
        emit_json({"ok": True, "pin_hash": digest})
    else:
        print(digest)
        print(f'add pin_hash = "{digest}" to the member in [staff] members', file=sys.stderr)
    return 0


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
