"""Whole visits on the assembled kiosk: real pcscd, the demo tray's virtual cards, the encrypted
store, the real procedures and the window, driven by tapping the window's own buttons.

What the session's unit tests prove with fakes, these prove with everything real: the PIN
path to a receipt, the one-try-left guard on a real chip's counter, a blocked card's staff
route, the clerk's visual check, "this is not me", a card pulled mid-way, the inactivity
timeout, and two residents back to back leaving nothing of the first anywhere in the window
or the session.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QAbstractButton
from pytestqt.qtbot import QtBot

from kiosk.devices.card.virtual.residents import demo_resident
from kiosk.flows.session import Method, Page
from kiosk.ui.i18n import Translations
from kiosk.ui.widgets import Keypad
from tests.helpers.e2e import (
    RISAI_WITH_PHOTOS,
    Driver,
    Tally,
    assembled,
    personal_needles,
)

pytestmark = pytest.mark.pcscd

TAPS_REAL = Path(__file__).resolve().parents[2] / "docs" / "taps-real.json"


@pytest.fixture
def cityhall(
    qtbot: QtBot, pcscd: object, data_dir: Path, translations: Translations
) -> Iterator[Driver]:
    with assembled(qtbot, data_dir, translations, role="cityhall") as k:
        yield k


def events(k: Driver) -> list[tuple[str, str, str]]:
    """(event, outcome, reason) of every audit entry so far."""
    return [
        (e.event, str(e.fields.get("outcome", "")), str(e.fields.get("reason", "")))
        for e in k.store.audit_entries()
    ]


def leaks(k: Driver, resident_id: str, *extra: str) -> list[str]:
    """Which of the resident's details (and `extra` strings) any widget of the window holds."""
    texts = "\n".join(k.window_texts())
    return [n for n in (*personal_needles(resident_id), *extra) if n in texts]


def assert_nothing_left(k: Driver, resident_id: str, *extra: str) -> None:
    """After a visit: no text, picture, typed digit, answer or photo of it anywhere."""
    assert leaks(k, resident_id, *extra) == []
    assert k.pictures_shown() == []
    assert all(pad.length == 0 for pad in k.kiosk.window.findChildren(Keypad))
    assert k.visit_differences() == []
    assert k.session.readback() is None and k.session.receipt is None
    assert list(k.store.data.tmp.glob("print-*")) == []  # the visit's printouts went with it


def test_pin_path_taps_for_each_procedure(
    qtbot: QtBot, pcscd: object, tmp_path: Path, translations: Translations
) -> None:
    """Card on the reader to the receipt on the PIN path, counted on the real kiosk; the
    counts agree with the UI helper's walk over fakes (docs/taps-real.json)."""
    tallies: list[Tally] = []
    for role, procedures in (("cityhall", ("risai", "support-check")), ("clinic", ("insurance",))):
        data = tmp_path / role
        data.mkdir()
        with assembled(qtbot, data, translations, role=role) as k:
            for procedure in procedures:
                tallies.append(k.pin_visit("hanako", procedure))
            assert len(k.store.references()) == len(procedures)
            offered = {
                b.objectName()
                for b in k.kiosk.window.findChildren(QAbstractButton)
                if b.objectName().startswith("service_")
            }
            # Each site offers its own procedures only (sectoral separation on screen too).
            assert ("service_insurance" in offered) == (role == "clinic")
            assert ("service_risai" in offered) == (role == "cityhall")
    print("\nprocedure      taps  screens  questions  taps-to-prove-identity")
    for t in tallies:
        print(f"{t.procedure:<14} {t.taps:>4}  {t.screens:>7}  {t.questions:>9}  "
              f"{t.taps_to_prove_identity:>22}")  # fmt: skip
    known = json.loads(TAPS_REAL.read_text(encoding="utf-8"))
    for t in tallies:
        assert t.taps_to_prove_identity == 6  # "PIN", four digits, OK
        walked = known[t.procedure]
        # The same questions cost the same taps over the real card; the real site list has
        # two active disasters, so the support check asks which one (one tap more).
        extra = 1 if t.procedure == "support-check" else 0
        assert t.questions == walked["questions"] + extra, (t, walked)
        assert t.taps == walked["taps"] + extra, (t, walked)


def test_one_try_left_is_never_spent_without_a_clerk(cityhall: Driver) -> None:
    k = cityhall
    assert k.card_tries("taro") == 1
    k.place("taro")
    k.tap("methodPin")
    assert k.page is Page.PIN_LAST_TRY  # no keypad: nothing to type the last try on
    k.tap("lastTryOther")
    k.tap("methodPin")
    assert k.page is Page.PIN_LAST_TRY
    k.tap("lastTryStaff")
    assert k.page is Page.STAFF_SIGNIN
    k.sign_in_staff("demo-supporter", "2222")  # a supporter may not allow it
    assert k.page is Page.STAFF_SIGNIN and k.session.staff is None
    k.sign_in_staff("demo-clerk", "0000")  # nor a wrong clerk PIN
    assert k.page is Page.STAFF_SIGNIN and k.session.staff is None
    assert k.card_tries("taro") == 1  # the chip was never asked
    k.sign_in_staff("demo-clerk", "1111")
    assert k.page is Page.PIN and k.session.role == "clerk"
    k.keypad(demo_resident("taro").pin, "pinKeypad")
    k.wait_page(Page.READBACK)
    assert k.card_tries("taro") == 3  # a right PIN resets the counter
    k.to_receipt("support-check")
    assert ("staff.signin", "declined", "") in events(k)
    assert ("auth.attempt", "ok", "") in events(k)
    k.tap("receiptDone")
    k.take_card()
    k.wait_page(Page.WELCOME)
    assert k.session.staff is None  # the clerk's sign-in ended with the visit


def test_two_wrong_pins_stop_before_the_last_try(cityhall: Driver) -> None:
    k = cityhall
    k.place("hanako")
    k.tap("methodPin")
    k.keypad("0000", "pinKeypad")
    k.wait_page(Page.PIN)
    assert k.card_tries("hanako") == 2 and k.notice()
    k.keypad("0001", "pinKeypad")
    k.wait_page(Page.PIN_LAST_TRY)
    assert k.card_tries("hanako") == 1
    k.tap("lastTryOther")
    k.tap("methodPin")
    assert k.page is Page.PIN_LAST_TRY and k.card_tries("hanako") == 1
    assert [e for e in events(k) if e[0] == "auth.attempt"] == [
        ("auth.attempt", "failed", "pin_wrong"),
        ("auth.attempt", "failed", "pin_wrong"),
    ]
    k.take_card_for_good()  # a lifted card holds the visit until its grace
    k.wait_page(Page.WELCOME)


def test_blocked_card_is_told_and_a_clerk_checks_the_photo(cityhall: Driver) -> None:
    k = cityhall
    r = demo_resident("blocked")
    k.place("blocked")
    k.tap("methodPin")
    assert k.page is Page.CHOOSE_METHOD and k.notice()  # told, and the other ways stay
    assert k.card_tries("blocked") == 0
    k.tap("methodStaff")
    assert k.page is Page.STAFF_SIGNIN
    k.sign_in_staff("demo-clerk", "1111")
    assert k.page is Page.PIN_B and k.session.pin_b_for is Method.STAFF
    k.keypad(r.pin_b, "pinBKeypad")
    k.wait_page(Page.STAFF_CHECK)
    assert k.pictures_shown() == ["cardPhoto"]  # the chip's photo, for the clerk to compare
    k.tap("reason_pin_blocked")
    assert k.page is Page.READBACK
    assert k.pictures_shown() == [] and k.session.visit.photo is None  # dropped at once
    assert r.name in "\n".join(k.window_texts())  # the read-back shows who the card is
    k.tap("readbackYes")
    assert k.page is Page.SERVICES
    assert ("staff.check", "ok", "pin_blocked") in events(k)
    k.take_card_for_good()  # a lifted card holds the visit until its grace
    k.wait_page(Page.WELCOME)
    assert_nothing_left(k, "blocked")


def test_staff_visual_check_path_to_a_receipt(cityhall: Driver) -> None:
    k = cityhall
    k.place("hanako")
    k.tap("methodStaff")
    k.sign_in_staff("demo-supporter", "2222")  # a supporter cannot do the visual check
    assert k.page is Page.STAFF_SIGNIN
    k.sign_in_staff("demo-clerk", "1111")
    k.keypad(demo_resident("hanako").pin_b, "pinBKeypad")
    k.wait_page(Page.STAFF_CHECK)
    k.tap("reason_accessibility")
    k.to_receipt("risai")
    assert k.session.visit.method is Method.STAFF
    checks = [e for e in k.store.audit_entries() if e.event == "staff.check"]
    assert len(checks) == 1 and checks[0].fields["staff_id"] == "demo-clerk"
    # The choice rang for a clerk, in the real store's audit chain.
    called = [e.fields for e in k.store.audit_entries() if e.event == "staff.called"]
    assert called == [{"reason": "visual_check"}]
    assert k.card_tries("hanako") == 3  # the PIN was never involved
    k.tap("receiptDone")
    k.take_card()
    k.wait_page(Page.WELCOME)
    assert_nothing_left(k, "hanako")


def test_this_is_not_me_goes_to_staff_and_uses_nothing(cityhall: Driver) -> None:
    k = cityhall
    k.place("hanako")
    k.prove_with_pin(demo_resident("hanako").pin)
    k.tap("readbackNo")
    assert k.page is Page.NOT_ME
    assert k.session.visit.holder is None and k.session.ticket
    assert leaks(k, "hanako") == []  # another person's data is off the screen at once
    assert k.store.references() == []
    assert ("not_me", "", "not_me") in events(k)
    k.tap("notMeDone")
    k.wait_page(Page.TAKE_CARD)
    k.take_card()
    k.wait_page(Page.WELCOME)
    assert_nothing_left(k, "hanako")


@pytest.mark.parametrize("where", [Page.QUESTION, Page.CONSENT])
def test_card_pulled_midway_drops_the_visit(cityhall: Driver, where: Page) -> None:
    k = cityhall
    k.place("hanako")
    k.prove_with_pin(demo_resident("hanako").pin)
    k.tap("readbackYes")
    k.tap("service_risai")
    if where is Page.QUESTION:
        for _ in range(3):
            k.tap(f"choice_{k.session.question().choices[0].value}")  # type: ignore[union-attr]
    else:
        k.answer_everything("risai")
        k.tap("reviewOk")
    assert k.page is where and k.session.visit.answers
    k.take_card_for_good()  # a lifted card holds the visit until its grace
    k.wait_page(Page.WELCOME)
    assert k.notice()  # told why the screen went back
    assert k.store.references() == []  # nothing half-sent
    assert ("session.ended", "", "other") in [(e[0], "", e[2]) for e in events(k)]
    assert_nothing_left(k, "hanako")


def test_inactivity_warns_then_wipes(cityhall: Driver) -> None:
    k = cityhall
    window = k.kiosk.window
    k.place("hanako")
    k.prove_with_pin(demo_resident("hanako").pin)
    k.tap("readbackYes")
    k.tap("service_risai")
    k.tap("choice_self")
    k.clock.advance(k.session.inactivity_s - 1)
    k.session.tick()
    assert not window.timeout_overlay.isVisible()
    k.clock.advance(1)
    k.session.tick()
    assert window.timeout_overlay.isVisible() and k.session.warning_s >= 20
    assert str(k.session.warning_s) in window.timeout_label.text()
    k.tap("keepGoing")  # the big "続ける": the visit goes on as it was
    assert not window.timeout_overlay.isVisible()
    assert k.page is Page.QUESTION and k.session.visit.answers == {"applying_for": "self"}
    # While a call to staff waits, no timeout.
    k.tap("callStaff")
    k.clock.advance(10 * k.session.inactivity_s)
    k.session.tick()
    assert not window.timeout_overlay.isVisible() and k.page is Page.QUESTION
    k.tap("callStaffSignin")  # only staff end a call: the clerk who came signs in
    k.sign_in_staff("demo-clerk", "1111")
    k.tap("staffSignOut")
    k.clock.advance(k.session.inactivity_s)
    k.session.tick()
    assert window.timeout_overlay.isVisible()
    k.clock.advance(k.session.warning_s - 1)
    k.session.tick()
    assert k.page is Page.QUESTION  # one second left
    k.clock.advance(1)
    k.session.tick()
    assert k.page is Page.TAKE_CARD and not window.timeout_overlay.isVisible()
    assert ("session.ended", "", "timeout") in [(e[0], "", e[2]) for e in events(k)]
    assert_nothing_left(k, "hanako")
    k.take_card()
    k.wait_page(Page.WELCOME)


def test_two_residents_back_to_back_share_nothing(cityhall: Driver) -> None:
    k = cityhall
    k.pin_visit("hanako", "risai", RISAI_WITH_PHOTOS)  # with five photos from the camera
    first = k.store.references()
    assert len(first) == 1
    phone = RISAI_WITH_PHOTOS["phone"]
    assert_nothing_left(k, "hanako", first[0], phone)

    k.place("yoshio")
    k.prove_with_pin(demo_resident("yoshio").pin)
    # The walk sees names when they are there (or it proves nothing): yoshio's, not hanako's.
    assert leaks(k, "yoshio")
    assert leaks(k, "hanako", first[0], phone) == []
    k.to_receipt("support-check")
    assert leaks(k, "hanako", first[0], phone) == []
    assert k.session.receipt is not None and k.session.receipt.reference not in first
    k.tap("receiptDone")
    k.take_card()
    k.wait_page(Page.WELCOME)
    assert_nothing_left(k, "yoshio")
    assert_nothing_left(k, "hanako", first[0], phone)
    # Two sessions in the audit log, each with its own random id.
    started = [e.session_id for e in k.store.audit_entries() if e.event == "session.started"]
    assert len(started) == len(set(started)) == 2


def test_the_voice_forgets_the_resident_with_the_visit(cityhall: Driver) -> None:
    """The read-back is spoken (name and birth date); after the visit neither the window's
    record of what was said nor the speaker's audio cache may still hold it."""
    k = cityhall
    k.pin_visit("hanako", "risai")
    assert k.speaker.wait_idle(10)
    r = demo_resident("hanako")
    spoken_ever = "\n".join(k.synth.texts)
    assert r.name in spoken_ever or r.name.replace("\u3000", " ") in spoken_ever
    said = "\n".join(text for _, text in k.kiosk.window.spoken)
    cached = "\n".join(text for _, text in k.speaker._cache)
    needles = personal_needles("hanako")
    kept = {
        "window.spoken": [n for n in needles if n in said],
        "speaker cache": [n for n in needles if n in cached],
    }
    assert kept == {"window.spoken": [], "speaker cache": []}
