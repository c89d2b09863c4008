"""Every card fault of the issue, against the real pcscd with the virtual card.

Each gets a typed error with its message id, and nothing is lost: no credential try is spent
by a fault, and the same card reads correctly once the fault is gone.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk import cli
from kiosk.devices.card.apdu import Command
from kiosk.devices.card.errors import CardRemoved, ReaderGone
from kiosk.devices.card.mynumber import Credential, InternalAuth, MyNumberCard
from kiosk.devices.card.reader import open_my_number_card
from kiosk.devices.card.transport import AID_FACE, AID_TEXT
from kiosk.devices.card.trust import TrustTable
from kiosk.devices.card.virtual import VirtualCardSlot, VirtualMyNumberCard, demo_resident
from kiosk.devices.card.virtual.image import _fake_number
from tests.conftest import REPO
from tests.helpers.card import ALL_PROFILES, PROFILE_IDS, ApduTrace, assert_my_number_untouched

pytestmark = pytest.mark.pcscd

ISSUE_FIELDS = {"name", "address", "birth_date", "sex", "card_expiry", "photo_format",
                "photo_bytes", "integrity", "internal_auth", "cvc_signed_over",
                "auth_key_signed_over", "apdus"}  # fmt: skip


@pytest.fixture(params=ALL_PROFILES, ids=PROFILE_IDS)
def card_slot(card_slot: VirtualCardSlot, request: pytest.FixtureRequest) -> VirtualCardSlot:
    """The pcscd slot, making cards in each profile in turn: every test runs on both."""
    card_slot.use_profile(request.param)
    return card_slot


def kiosk_read(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    slot: VirtualCardSlot,
    secret: str,
    *extra: str,
    demo: bool = True,
) -> tuple[int, dict[str, object]]:
    """`kiosk card read` in this process, as a clerk would run it; (exit code, its JSON).

    `demo` trusts the test CA; without it no issuer is trusted (a site with an empty table)."""
    how = "--pin-b-stdin" if len(secret) == 14 else "--pin-stdin"
    monkeypatch.setattr(sys, "stdin", io.StringIO(secret + "\n"))
    argv = ["--data-dir", str(data_dir), "card", "read", "--reader", slot.reader_name, how,
            *(["--demo"] if demo else []), "--json", *extra]  # fmt: skip
    code = cli.main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


def insert(slot: VirtualCardSlot, resident_id: str) -> None:
    slot.insert(resident_id)
    assert slot.wait_present(), "pcscd did not see the virtual card"


Reader = Callable[..., tuple[int, dict[str, object]]]


@pytest.fixture
def read_card(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    card_slot: VirtualCardSlot,
) -> Reader:
    def run(secret: str, *extra: str, demo: bool = True) -> tuple[int, dict[str, object]]:
        return kiosk_read(monkeypatch, capsys, data_dir, card_slot, secret, *extra, demo=demo)

    return run


def test_valid_card_reads_with_exactly_the_issue_fields(
    card_slot: VirtualCardSlot, read_card: Reader
) -> None:
    trace = ApduTrace()
    card_slot.on_apdu = trace
    insert(card_slot, "hanako")
    code, out = read_card(demo_resident("hanako").pin_b)
    assert code == 0
    assert set(out) == ISSUE_FIELDS | {"ok"}
    assert out["name"] == "山田　花子" and out["birth_date"] == "1941-03-05"
    assert out["card_expiry"] == "2033-03-05" and out["photo_format"] == "jp2"
    assert out["integrity"] == "ok" and out["internal_auth"] == "ok"
    assert out["cvc_signed_over"] == card_slot.profile.signed_over
    assert out["auth_key_signed_over"] is None  # EF 0007 is the PIN path's
    assert isinstance(out["apdus"], int) and 10 < out["apdus"] < 50
    number = _fake_number(demo_resident("hanako")).decode()  # what EF 0001 of this card holds
    assert number not in json.dumps(out)
    assert_my_number_untouched([Command.decode(c) for c, _ in trace.exchanges])


def test_pin_path_reads_and_authenticates_the_card(
    card_slot: VirtualCardSlot, read_card: Reader
) -> None:
    trace = ApduTrace()
    card_slot.on_apdu = trace
    insert(card_slot, "hanako")
    code, out = read_card("1234")
    assert code == 0 and set(out) == ISSUE_FIELDS | {"ok"}
    assert out["name"] == "山田　花子" and out["birth_date"] == "1941-03-05"
    assert out["integrity"] == "ok" and out["internal_auth"] == "ok"
    assert out["photo_format"] is None  # the PIN does not open the card face
    assert out["cvc_signed_over"] == out["auth_key_signed_over"] == card_slot.profile.signed_over
    commands = [Command.decode(c) for c, _ in trace.exchanges]
    assert_my_number_untouched(commands)
    assert [c.ins for c in commands][-2:] == [0x84, 0x2A]  # challenged in the text AP


@pytest.mark.parametrize("secret", ["1234", "16030520332285"], ids=["pin", "pin-b"])
def test_without_its_issuer_the_card_is_untrusted(
    card_slot: VirtualCardSlot, read_card: Reader, secret: str
) -> None:
    insert(card_slot, "hanako")
    code, out = read_card(secret, demo=False)
    assert code == 1 and out["error"] == "card.untrusted_issuer"
    assert out["integrity"] == "untrusted-issuer" and out["internal_auth"] == "not-checked"
    assert out["name"] == "山田　花子"  # read, shown to staff, not trusted


def test_name_outside_common_sets(card_slot: VirtualCardSlot, read_card: Reader) -> None:
    insert(card_slot, "yoshio")
    code, out = read_card("5555")
    assert code == 0 and out["name"] == "髙橋　𠮷男" and out["internal_auth"] == "ok"


def test_blocked_pin(card_slot: VirtualCardSlot, read_card: Reader) -> None:
    insert(card_slot, "blocked")
    code, out = read_card("0000", "--staff-override")
    assert code == 1 and out == {"ok": False, "error": "card.blocked", "detail": out["detail"]}


def test_one_try_left_needs_staff(card_slot: VirtualCardSlot, read_card: Reader) -> None:
    insert(card_slot, "taro")
    code, out = read_card("4321")
    assert code == 1 and out["error"] == "card.one_try_left"
    chip = card_slot.card("taro")
    assert isinstance(chip, VirtualMyNumberCard) and chip.tries(AID_TEXT, 0x11) == 1  # unspent
    code, out = read_card("4321", "--staff-override")
    assert code == 0 and out["name"] == "佐藤　太郎"


def test_expired_card(card_slot: VirtualCardSlot, read_card: Reader) -> None:
    insert(card_slot, "expired")
    code, out = read_card(demo_resident("expired").pin_b)
    assert code == 1 and out["error"] == "card.expired" and out["card_expiry"] == "2025-04-02"


@pytest.mark.parametrize("path", ["pin", "pin_b"])
def test_tampered_card(card_slot: VirtualCardSlot, read_card: Reader, path: str) -> None:
    insert(card_slot, "tampered")
    code, out = read_card(getattr(demo_resident("tampered"), path))
    assert code == 1 and out["error"] == "card.tampered" and out["integrity"] == "failed"


@pytest.mark.parametrize("path", ["pin", "pin_b"])
def test_cloned_card(card_slot: VirtualCardSlot, read_card: Reader, path: str) -> None:
    insert(card_slot, "cloned")
    code, out = read_card(getattr(demo_resident("cloned"), path))
    assert code == 1 and out["error"] == "card.internal_auth_failed"
    assert out["internal_auth"] == "failed" and out["integrity"] == "ok"


def test_issuer_not_in_trust_table(card_slot: VirtualCardSlot, read_card: Reader) -> None:
    insert(card_slot, "foreign")
    code, out = read_card(demo_resident("foreign").pin_b)
    assert code == 1 and out["error"] == "card.untrusted_issuer"
    assert out["integrity"] == "untrusted-issuer"


def test_not_a_my_number_card(card_slot: VirtualCardSlot, read_card: Reader) -> None:
    insert(card_slot, "transit")
    code, out = read_card("1234")
    assert code == 1 and out["error"] == "card.not_my_number"


def test_no_card(card_slot: VirtualCardSlot, read_card: Reader) -> None:
    code, out = read_card("1234")
    assert code == 1 and out["error"] == "card.no_card"


def test_reader_not_connected(card_slot: VirtualCardSlot) -> None:
    with pytest.raises(ReaderGone) as e:
        open_my_number_card("SCM Microsystems SCR 3310 [CCID Interface] 00 00")
    assert e.value.message_id == "card.reader_gone"


def test_card_removed_mid_read_loses_nothing(card_slot: VirtualCardSlot) -> None:
    resident = demo_resident("hanako")
    seen: list[bytes] = []

    def pull_out_during_the_face_read(command: bytes, response: bytes) -> None:
        seen.append(command)
        if command[1] == 0xB0 and AID_FACE in b"".join(seen[-6:]):
            card_slot.on_apdu = None
            card_slot.remove()  # the resident lifts the card while the photo is read

    card_slot.on_apdu = pull_out_during_the_face_read
    insert(card_slot, "hanako")
    trust = TrustTable.demo()
    with open_my_number_card(card_slot.reader_name) as transport, pytest.raises(CardRemoved) as e:
        MyNumberCard(transport, trust).read(pin_b=resident.pin_b)
    assert e.value.message_id == "card.removed"
    assert card_slot.wait_absent()
    insert(card_slot, "hanako")  # placed again: the same chip, nothing spent
    with open_my_number_card(card_slot.reader_name) as transport:
        card = MyNumberCard(transport, trust)
        assert card.tries(Credential.FACE_PIN_B).left == 10
        assert card.read(pin_b=resident.pin_b).internal_auth is InternalAuth.OK


def test_pcscd_not_running_says_how_to_start_it(tmp_path: Path) -> None:
    """A client pointed at a socket where no daemon listens: what a site without pcscd sees."""
    env = {
        **os.environ,
        "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm"),
        "PYTHONPATH": str(REPO),
    }
    r = subprocess.run(
        [sys.executable, "-m", "kiosk", "--data-dir", str(tmp_path / "d"), "card", "read",
         "--pin-stdin", "--json"],
        input="1234\n", capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["error"] == "card.pcscd_down"
    assert "systemctl enable --now pcscd.socket" in out["detail"]


def test_staff_see_tries_without_spending_any(
    card_slot: VirtualCardSlot,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
) -> None:
    insert(card_slot, "taro")
    argv = ["--data-dir", str(data_dir), "card", "tries", "--reader", card_slot.reader_name]
    for _ in range(2):  # asking twice changes nothing
        assert cli.main([*argv, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out["tries"] == {"text_pin": 1, "text_pin_b": 10, "face_pin_b": 10,
                                "jpki_auth_pin": 1, "jpki_sign_password": 5}  # fmt: skip
