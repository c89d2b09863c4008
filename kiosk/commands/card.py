"""`kiosk card`: run a virtual demo card, or read a card on a reader (for staff and tests).

`emulate` prints the demo resident's PIN and 照合番号B to stderr: they are demo secrets.
`read` takes the credential on stdin (never on the command line, where `ps` shows it) and
prints one JSON object; the My Number is never read.
"""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
import threading
from datetime import date
from typing import Any

from kiosk.cli import emit_json
from kiosk.commands import Context
from kiosk.errors import KnownError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("card", help="My Number card: read a card, or emulate a demo card")
    cmds = p.add_subparsers(dest="card_command", metavar="ACTION", required=True)

    e = cmds.add_parser("emulate", help="put a demo resident's virtual card in a vpcd reader")
    e.add_argument("--resident", help="demo resident id (see --list)")
    e.add_argument("--port", type=int, help="vpcd port (default: [card] vpcd_port, 35963)")
    e.add_argument("--list", action="store_true", help="list the demo residents and exit")
    e.add_argument("--profile", default="tlv-extended",
                   help="card layout: tlv-extended or value-short (see docs/card.md)")  # fmt: skip
    e.add_argument("--seconds", type=float, help=argparse.SUPPRESS)  # tests: stop after this
    e.set_defaults(func=emulate)

    r = cmds.add_parser("read", help="read the card: basic info, card face, integrity")
    r.add_argument("--reader", help="reader name (default: [card] reader, else the first card)")
    how = r.add_mutually_exclusive_group(required=True)
    how.add_argument("--pin-stdin", action="store_true", help="the 4-digit PIN on stdin")
    how.add_argument("--pin-b-stdin", action="store_true", help="照合番号B (14 digits) on stdin")
    r.add_argument("--staff-override", action="store_true",
                   help="a member of staff allows spending the last try")  # fmt: skip
    r.add_argument("--demo", action="store_true",
                   help="trust the test CA (when [card] trust_table is empty)")  # fmt: skip
    r.add_argument("--json", action="store_true", help="one JSON object on stdout")
    r.set_defaults(func=read)

    t = cmds.add_parser("tries", help="tries left on each credential (spends none)")
    t.add_argument("--reader", help="reader name (default: [card] reader, else the first card)")
    t.add_argument("--json", action="store_true", help="one JSON object on stdout")
    t.set_defaults(func=tries)


def emulate(args: argparse.Namespace, ctx: Context) -> int:
    from kiosk.devices.card.pcscd import PcscDaemon
    from kiosk.devices.card.virtual import VirtualCardSlot, demo_resident, list_demo_residents
    from kiosk.devices.card.virtual.profile import profile_named

    if args.list:
        for r in list_demo_residents():
            print(f"{r.id}\t{r.label}\t{r.case}")
        return 0
    if not args.resident:
        print("kiosk card emulate: --resident ID is required (see --list)", file=sys.stderr)
        return 2
    resident = demo_resident(args.resident)
    try:
        profile = profile_named(args.profile)
    except ValueError as e:
        print(f"kiosk card emulate: {e}", file=sys.stderr)
        return 2
    port = args.port or ctx.settings.card.vpcd_port
    daemon = PcscDaemon.ensure(autostart=ctx.settings.card.pcscd_autostart)
    slot = VirtualCardSlot(port, profile=profile)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        slot.insert(resident.id)
        print(f"demo card: {resident.label} ({resident.case}), profile {profile.name}",
              file=sys.stderr)  # fmt: skip
        if resident.kind == "mynumber":
            print(f"demo PIN: {resident.pin}  照合番号B: {resident.pin_b}  "
                  f"JPKI PIN: {resident.jpki_pin}", file=sys.stderr)  # fmt: skip
        present = slot.wait_present()
        state = "in" if present else "waiting for pcscd on"
        print(f"card {state} reader {slot.reader_name!r}; Ctrl-C removes it", file=sys.stderr)
        stop.wait(args.seconds)
    finally:
        slot.close()
        daemon.stop()
    return 0


def read(args: argparse.Namespace, ctx: Context) -> int:
    from kiosk.devices.card import trust as trust_mod
    from kiosk.devices.card.mynumber import MyNumberCard
    from kiosk.devices.card.pcscd import PcscDaemon
    from kiosk.devices.card.reader import open_my_number_card

    settings = ctx.settings.card
    if sys.stdin.isatty():  # typed by a person: do not echo it
        secret = getpass.getpass("PIN: " if args.pin_stdin else "照合番号B: ", stream=sys.stderr)
    else:
        secret = sys.stdin.readline().strip()
    demo = args.demo or ctx.settings.site.demo == "on"
    trust = trust_mod.resolve(settings.trust_table, demo=demo)
    PcscDaemon.ensure(autostart=False)  # a read never starts the daemon: say how to start it
    with open_my_number_card(args.reader or settings.reader) as transport:
        card = MyNumberCard(transport, trust)
        if args.pin_stdin:
            reading = card.read(pin=secret, staff_override=args.staff_override)
        else:
            reading = card.read(pin_b=secret, staff_override=args.staff_override)
        apdus = transport.apdu_count
    problem = _problem(reading)
    out = {**_reading_json(reading, apdus), "ok": problem is None}
    if problem is not None:
        out["error"] = problem.message_id
    if args.json:
        emit_json(out)
    else:
        for k, v in out.items():
            print(f"{k}: {v}")
    if problem is not None:
        print(f"kiosk: {problem.detail}: send the resident to staff", file=sys.stderr)
    return 0 if problem is None else 1


def tries(args: argparse.Namespace, ctx: Context) -> int:
    """For staff at the counter: how many tries each credential has, without spending one."""
    from kiosk.devices.card.mynumber import Credential, MyNumberCard
    from kiosk.devices.card.pcscd import PcscDaemon
    from kiosk.devices.card.reader import open_my_number_card
    from kiosk.devices.card.trust import TrustTable

    PcscDaemon.ensure(autostart=False)
    with open_my_number_card(args.reader or ctx.settings.card.reader) as transport:
        card = MyNumberCard(transport, TrustTable())
        left = {c.name.lower(): card.tries(c).left for c in Credential}
    if args.json:
        emit_json({"ok": True, "tries": left})
    else:
        for name, n in left.items():
            print(f"{name}: {'no limit' if n is None else n}")
    return 0


def _problem(reading: Any) -> KnownError | None:
    try:
        reading.require_genuine(date.today())
    except KnownError as e:
        return e
    if reading.integrity.value != "ok":  # require_genuine covers these; belt and braces
        return KnownError("card.tampered", "integrity not ok")
    return None


def _value(form: Any) -> str | None:
    return None if form is None else str(form.value)


def _reading_json(reading: Any, apdus: int) -> dict[str, Any]:
    basic, face = reading.basic, reading.face
    return {
        "name": basic.name,
        "address": basic.address,
        "birth_date": basic.birth_date.isoformat(),
        "sex": basic.sex.value,
        "card_expiry": face.expiry.isoformat() if face else None,
        "photo_format": face.photo_format if face else None,
        "photo_bytes": len(face.photo) if face else None,
        "integrity": reading.integrity.value,
        "internal_auth": reading.internal_auth.value,
        # unconfirmed scopes (DOMAIN.md §1): what the first real card shows settles them
        "cvc_signed_over": _value(reading.cvc_signed_over),
        "auth_key_signed_over": _value(reading.auth_key_signed_over),
        "apdus": apdus,
    }
