"""Nothing personal rests in plaintext after whole demo sessions (issues 2, 4 and 7).

The assembled kiosk serves several demo residents through every way of proving identity (PIN,
face, the clerk's visual check, a clerk-allowed last try, "this is not me"), with damage
photos from the camera, a printed paper form and receipts. Then the data dir (database, WAL,
SHM, key, tickets, outbox drop folder), the log file and the temp dirs are read byte by byte
for each resident's name, address, birth date (several spellings), PINs, 照合番号B and card
number, the card photo's bytes, any image signature and any face-encoding-sized float array.

The outbox drop folder is configured with a back-office key (`[sink] recipient_public_key`),
so delivered documents are sealed and are scanned like everything else; the test opens one
with the back office's private key to show the scan would have found the data otherwise.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.devices.card.virtual.residents import demo_resident
from kiosk.flows.session import Page
from kiosk.logs import PERSONAL_KEYS
from kiosk.paths import DataDir
from kiosk.store.outbox import open_sealed_drop
from kiosk.ui.i18n import Translations
from tests.helpers import plaintext_scan, residue
from tests.helpers.e2e import (
    RISAI_WITH_PHOTOS,
    Driver,
    assembled,
    card_photo_pieces,
    files_in,
    personal_needles,
    private_tempdir,
    standalone,
    wait_delivered,
)

pytestmark = pytest.mark.pcscd

RESIDENTS = ("hanako", "taro", "blocked", "yoshio")
STAFF_PINS = ("1111", "2222")  # the demo clerk's and supporter's (typed in these visits)
# An image inside JSON or a log line would be base64: the openings of JPEG, PNG and JP2.
BASE64_IMAGES = ("/9j/", "iVBORw0KGgo", "AAAADGpQICAN")


def json_escaped(text: str) -> str:
    """How `text` looks in JSON written with ensure_ascii (\\uXXXX escapes)."""
    return json.dumps(text)[1:-1]


def needles() -> list[str | bytes]:
    found: list[str | bytes] = []
    for rid in RESIDENTS:
        for n in personal_needles(rid):
            # Three characters or more: shorter ones meet ciphertext by chance too often.
            if len(n) >= 3:
                found.append(n)
                if not n.isascii():
                    found.append(json_escaped(n))
        found += card_photo_pieces(rid)
    found.append(RISAI_WITH_PHOTOS["phone"])
    return found


def contents(files: list[Path]) -> Iterator[tuple[Path, bytes]]:
    """Each file's bytes; one that vanished meanwhile (another program's temp file in the
    shared temp dir) left nothing behind to scan."""
    for f in files:
        try:
            yield f, f.read_bytes()
        except OSError:
            continue


def secrets_standing_alone(files: list[Path]) -> list[tuple[Path, str]]:
    """PINs (the residents' and staff's) as a value of their own anywhere in `files`."""
    pins = {demo_resident(r).pin for r in RESIDENTS} | set(STAFF_PINS)
    hits = []
    for f, data in contents(files):
        hits += [(f, "pin") for pin in sorted(pins) if re.search(standalone(pin), data)]
    return hits


def base64_images(files: list[Path]) -> list[tuple[Path, str]]:
    return [(f, s) for f, data in contents(files) for s in BASE64_IMAGES if s.encode() in data]


@pytest.fixture
def system_tmp_before() -> Iterator[set[str]]:
    yield set(p.name for p in Path(tempfile.gettempdir()).iterdir())


def demo_sessions(k: Driver) -> None:
    """Five visits: PIN with photos and a paper form, face, a clerk-allowed last try, the
    clerk's visual check of a blocked card, and "this is not me"."""
    # 1. PIN, 罹災証明書 by 自己判定方式 with five camera photos; the paper form printed too.
    k.place("hanako")
    k.prove_with_pin(demo_resident("hanako").pin)
    k.tap("readbackYes")
    k.tap("service_risai")
    k.tap("choice_self")
    k.tap("paperForm")
    assert list(k.data.tmp.rglob("*.pdf")), "the form was written for the printer"
    k.answer_everything("risai", RISAI_WITH_PHOTOS)
    k.tap("reviewOk")
    k.tap("consentYes")
    k.wait_page(Page.RECEIPT)
    k.tap("receiptDone")
    k.take_card()
    k.wait_page(Page.WELCOME)
    assert list(k.data.tmp.rglob("*.pdf")) == []  # printouts leave with the visit
    # 2. Face: 照合番号B opens the card face, the live face is matched with its photo.
    k.place("hanako")
    k.tap("methodFace")
    k.keypad(demo_resident("hanako").pin_b, "pinBKeypad")
    k.wait_page(Page.FACE)
    k.tap("faceStart")
    k.wait_page(Page.READBACK, timeout=90_000)
    k.to_receipt("support-check")
    k.tap("receiptDone")
    k.take_card()
    # 3. The last PIN try, allowed by a clerk.
    k.place("taro")
    k.tap("methodPin")
    k.tap("lastTryStaff")
    k.sign_in_staff("demo-clerk", "1111")
    k.keypad(demo_resident("taro").pin, "pinKeypad")
    k.wait_page(Page.READBACK)
    k.to_receipt("risai")
    k.tap("receiptDone")
    k.take_card()
    # 4. A blocked card: the clerk compares the chip's photo with the person.
    k.place("blocked")
    k.tap("methodStaff")
    k.sign_in_staff("demo-clerk", "1111")
    k.keypad(demo_resident("blocked").pin_b, "pinBKeypad")
    k.wait_page(Page.STAFF_CHECK)
    k.tap("reason_pin_blocked")
    k.to_receipt("support-check")
    k.tap("receiptDone")
    k.take_card()
    # 5. "This is not me", after a supporter signed in to help.
    k.place("yoshio")
    k.tap("staffSignin")
    k.sign_in_staff("demo-supporter", "2222")
    k.prove_with_pin(demo_resident("yoshio").pin)
    k.tap("readbackNo")
    k.tap("notMeDone")
    k.take_card()
    k.wait_page(Page.WELCOME)


def test_whole_sessions_leave_nothing_personal_at_rest(
    qtbot: QtBot,
    pcscd: object,
    tmp_path: Path,
    translations: Translations,
    system_tmp_before: set[str],
) -> None:
    system_tmp = Path(tempfile.gettempdir())
    data = DataDir(tmp_path / "data")
    (tmp_path / "data").mkdir()
    search = needles()
    with private_tempdir(tmp_path / "process-tmp") as process_tmp:
        with assembled(qtbot, data.root, translations, role="cityhall") as k:
            demo_sessions(k)
            assert wait_delivered(k) == 4
            methods = {
                (e.fields.get("method"), e.fields.get("outcome"))
                for e in k.store.audit_entries()
                if e.event in ("auth.attempt", "staff.check")
            }
            assert {("pin", "ok"), ("face", "ok"), (None, "ok")} <= methods  # each way was used
            # While the kiosk runs: the database with its WAL and SHM, as they are now.
            live = plaintext_scan.scanned_files([data.database])
            assert {p.name for p in live} >= {"kiosk.db", "kiosk.db-wal", "kiosk.db-shm"}
            assert plaintext_scan.scan([data.root, process_tmp], search) == []
            recipient = k.recipient
        # The kiosk is closed: everything it left, the log included.
        rest = [data.root, process_tmp]
        new_in_system_tmp = [
            system_tmp / n
            for n in set(p.name for p in system_tmp.iterdir()) - system_tmp_before
            if not n.startswith("pytest-of-")  # pytest's own basetemp (tmp_path lives there)
        ]
        files = files_in([*rest, *new_in_system_tmp])

    # The scan is fed real data: the log was written, documents were delivered, and a sealed
    # document opened with the back office's key holds the resident's name.
    log_text = data.log_file.read_text(encoding="utf-8")
    assert '"session.submitted"' in log_text
    drops = sorted(d for d in data.outbox_dir.glob("*.json") if d.name != "audit-head.json")
    assert len(drops) == 4
    opened = b"\n".join(open_sealed_drop(recipient, d.read_bytes()) for d in drops)
    hanako = demo_resident("hanako").name
    assert hanako.encode() in opened or json_escaped(hanako).encode() in opened
    assert b"/9j/" in opened  # the damage photos travel inside, base64 JPEG

    assert plaintext_scan.scan(rest + new_in_system_tmp, search) == []
    assert secrets_standing_alone(files) == []
    assert base64_images(files) == []
    assert residue.scan(rest + new_in_system_tmp) == []
    # The log: JSON lines with ids and non-personal fields; nothing needed redacting.
    for line in log_text.splitlines():
        entry = json.loads(line)
        assert not PERSONAL_KEYS & {k.lower() for k in entry}, entry["event"]
    assert "[redacted]" not in log_text


def test_without_a_back_office_key_only_the_drop_folder_holds_plaintext(
    qtbot: QtBot, pcscd: object, tmp_path: Path, translations: Translations
) -> None:
    """The same scan finds the resident in an unsealed drop folder (so it can see what it looks
    for), and nowhere else: the folder is the hand-over to the back office, which is why a
    site should set `[sink] recipient_public_key`."""
    data = DataDir(tmp_path / "data")
    (tmp_path / "data").mkdir()
    with (
        private_tempdir(tmp_path / "process-tmp") as process_tmp,
        assembled(qtbot, data.root, translations, sealed=False) as k,
    ):
        k.pin_visit("hanako", "risai", RISAI_WITH_PHOTOS)
        assert wait_delivered(k) == 1
    search = needles()
    in_drop = plaintext_scan.scan([data.outbox_dir], search)
    r = demo_resident("hanako")
    labels = {f.needle for f in in_drop}
    for seen in (r.name, r.address, r.birth_date.isoformat(), RISAI_WITH_PHOTOS["phone"]):
        assert repr(seen)[:12] in labels, seen
    assert base64_images(files_in([data.outbox_dir]))  # the photos, base64 in the document
    elsewhere = [p for p in data.root.iterdir() if p != data.outbox_dir] + [process_tmp]
    assert plaintext_scan.scan(elsewhere, search) == []
    assert residue.scan(elsewhere) == []
    assert base64_images(files_in(elsewhere)) == []
