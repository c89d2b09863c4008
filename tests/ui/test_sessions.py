"""Whole visits through the window with small fake devices: every path, taps counted."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from kiosk.flows.ports import FaceVerdict
from kiosk.flows.session import Page
from kiosk.ui.i18n import Translations
from kiosk.ui.main_window import SwitchKeys
from kiosk.ui.pages.identity import PHOTO_HEIGHT
from kiosk.ui.widgets import BigButton, Keypad
from tests.helpers.kiosk_ui import Kiosk
from tests.helpers.session import HANAKO, QUESTIONS, TARO, World

# A tap on a choice for each fake question, in order.
ANSWERS = {
    "risai": ["choice_yes", "choice_roof", "choice_site"],
    "higai": ["choice_flooded"],
    "support-check": [("2", "answerKeypad"), "choice_no"],
    "insurance": ["choice_yes"],
}


def answer_all(k: Kiosk, procedure: str) -> None:
    for a in ANSWERS[procedure]:
        assert k.page is Page.QUESTION
        if isinstance(a, tuple):
            k.keypad(*a)
        else:
            k.tap(a)


def pin_in(k: Kiosk, pin: str = "1234") -> None:
    k.tap("methodPin")
    k.keypad(pin, "pinKeypad")


def test_pin_visit_to_receipt_then_take_card(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    assert k.page is Page.CHOOSE_METHOD
    pin_in(k)
    assert k.page is Page.READBACK
    question = k.window.findChild(type(k.window.notice), "readbackQuestion").text()
    assert question == "山田\u3000花子 様、昭和15年4月1日生まれ。あなたですか？"
    assert k.window.step_label.text() == "ステップ 3 / 6"
    k.tap("readbackYes")
    k.tap("service_risai")
    answer_all(k, "risai")
    assert k.page is Page.REVIEW
    k.tap("reviewOk")
    k.tap("consentYes")
    assert k.page is Page.RECEIPT
    assert "ABCD-EFGH-0001" in k.window.pages[Page.RECEIPT].reference.text()
    k.tap("receiptDone")
    assert k.page is Page.TAKE_CARD
    assert any("カードをお取りください" in text for _, text in k.speech.said)
    k.take()
    assert k.page is Page.WELCOME


def test_pin_is_masked_and_never_spoken(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    k.tap("methodPin")
    pad = k.window.pages[Page.PIN].findChild(Keypad, "pinKeypad")
    for d in "12":
        qtbot.mouseClick(pad.keys[d], Qt.MouseButton.LeftButton)
    assert pad.display.text() == "●●○○" and "1" not in pad.display.accessibleName()
    for d in "34":
        qtbot.mouseClick(pad.keys[d], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pad.ok, Qt.MouseButton.LeftButton)
    assert k.page is Page.READBACK and pad.length == 0
    assert not any("1234" in text or "1 2 3 4" in text for _, text in k.speech.said)


def test_face_visit_and_fallback_to_staff_check(qtbot: QtBot, translations: Translations) -> None:
    world = World()
    world.face.answers = [FaceVerdict(False, "face_no_match")] * 3
    k = Kiosk(qtbot, translations.use, world)
    k.place(HANAKO)
    k.tap("methodFace")
    k.keypad(HANAKO.pin_b, "pinBKeypad")
    assert k.page is Page.FACE
    assert k.window.pages[Page.FACE].camera.has_frame()  # the live view shows the guide
    for _ in range(3):
        k.tap("faceStart")
    assert k.page is Page.CHOOSE_METHOD
    assert "顔での確認ができませんでした" in k.window.notice.text()
    assert not k.window.pages[Page.FACE].camera.has_frame()  # no face image kept
    k.tap("methodStaff")
    k.tap("staff_clerk1")
    k.keypad("9999", "staffKeypad")
    k.keypad(HANAKO.pin_b, "pinBKeypad")
    assert k.page is Page.STAFF_CHECK
    k.tap("reason_face_unavailable")
    assert k.page is Page.READBACK
    assert [x.fields for x in world.audit.lines if x.event == "staff.check"] == [
        {"staff_id": "clerk1", "outcome": "ok", "reason": "face_unavailable"}
    ]


def test_last_try_guard_on_screen(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    card = k.place(HANAKO)
    pin_in(k, "0000")
    assert "あと 2 回" in k.window.notice.text()
    k.keypad("0001", "pinKeypad")
    assert k.page is Page.PIN_LAST_TRY and card.tries == 1
    k.tap("lastTryStaff")
    k.tap("staff_clerk1")
    k.keypad("9999", "staffKeypad")
    assert k.page is Page.PIN
    k.keypad("1234", "pinKeypad")
    assert k.page is Page.READBACK


def test_not_me_path(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    pin_in(k)
    k.tap("readbackNo")
    assert k.page is Page.NOT_ME
    assert "101" in k.window.pages[Page.NOT_ME].ticket.text()
    assert "花子" not in k.all_text()
    k.tap("notMeDone")
    assert k.page is Page.TAKE_CARD


def test_card_pulled_mid_way(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    pin_in(k)
    k.tap("readbackYes")
    k.tap("service_risai")
    k.tap("choice_yes")
    k.take()
    # Held, not wiped: 「カードを戻すと続きから」 with a countdown, おわる and the call button.
    assert k.page is Page.QUESTION and k.window.card_away_overlay.isVisible()
    assert "カードを戻すと続きから" in k.all_text() and "180 秒" in k.all_text()
    k.place(HANAKO)  # the same card back: prove again, then straight back to the question
    assert not k.window.card_away_overlay.isVisible() and k.page is Page.CHOOSE_METHOD
    pin_in(k)
    assert k.page is Page.QUESTION and k.session.visit.answers == {"dwelling": "yes"}
    k.take()
    k.world.clock.advance(k.session.card_grace_s)
    k.session.tick()  # the grace runs out: now the visit goes
    assert k.page is Page.WELCOME and not k.window.card_away_overlay.isVisible()
    assert "花子" not in k.all_text() and "千代田" not in k.all_text()


def test_finish_on_the_lifted_card_notice(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    pin_in(k)
    k.take()
    k.tap("cardAwayEnd")
    assert k.page is Page.WELCOME and not k.window.card_away_overlay.isVisible()
    assert "花子" not in k.all_text()


def test_timeout_warning_then_wipe(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    pin_in(k)
    k.world.clock.advance(k.session.inactivity_s)
    k.session.tick()
    assert k.window.timeout_overlay.isVisible()
    assert "30 秒" in k.window.timeout_label.text()
    k.tap("keepGoing")
    assert not k.window.timeout_overlay.isVisible() and k.page is Page.READBACK
    k.world.clock.advance(k.session.inactivity_s)
    k.session.tick()
    k.world.clock.advance(k.session.warning_s)
    k.session.tick()
    assert k.page is Page.TAKE_CARD and not k.window.timeout_overlay.isVisible()
    assert "花子" not in k.all_text()


def test_call_staff_from_any_page(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    k.tap("callStaff")  # even on the first screen
    assert k.window.call_overlay.isVisible() and k.world.staff_call.calls == ["call"]
    assert any("職員がまいります" in text for _, text in k.speech.said)
    assert not hasattr(k.window, "call_answered_button")  # she cannot cancel her own call
    k.tap("callStaffSignin")  # the member of staff who came signs in, which ends the call
    assert k.page is Page.STAFF_SIGNIN and not k.window.call_overlay.isVisible()
    k.tap("staff_clerk1")
    k.keypad("9999", "staffKeypad")
    assert not k.window.call_overlay.isVisible() and k.world.staff_call.calls == ["call", "cancel"]
    k.tap("staffSignOut")
    k.place(HANAKO)
    pin_in(k)
    for page in (Page.READBACK,):
        assert k.page is page and k.button("callStaff").isVisible()


def test_language_switch_mid_visit_keeps_everything(
    qtbot: QtBot, translations: Translations
) -> None:
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    pin_in(k)
    k.tap("languageButton")
    k.tap("lang_en")
    assert k.page is Page.READBACK and translations.language == "en"
    q = k.window.pages[Page.READBACK].question.text()
    assert q == "山田\u3000花子, born 1940-04-01 (昭和15年4月1日). Is this you?"
    assert k.button("readbackYes").text() == "Yes, that is me"
    assert k.speech.said[-1][0] == "en"
    k.tap("languageButton")
    k.tap("lang_ja-easy")
    easy = k.window.pages[Page.READBACK].question
    assert "生まれ" in easy.text() and easy.hasHeightForWidth()  # drawn with furigana above
    assert "うまれ" in k.speech.said[-1][1]  # and the voice reads the reading
    assert "しょうわ15ねん" in k.speech.said[-1][1]  # the era date too
    assert "昭和15年4月1日" in easy.text()
    k.tap("readbackYes")
    k.tap("servicesFinish")
    k.take()
    assert translations.language == "ja"  # the next resident starts in Japanese


def test_two_residents_back_to_back_see_nothing_of_each_other(
    qtbot: QtBot, translations: Translations
) -> None:
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    pin_in(k)
    k.tap("largeText")
    k.tap("readbackYes")
    k.tap("service_risai")
    answer_all(k, "risai")
    k.tap("reviewOk")
    k.tap("consentYes")
    k.tap("receiptDone")
    k.take()

    k.place(TARO)
    text = k.all_text()
    for leftover in ("花子", "千代田", "ABCD-EFGH-0001", "昭和15"):
        assert leftover not in text, leftover
    assert not k.button("largeText").isChecked()
    pin_in(k, TARO.pin)
    assert "佐藤" in k.window.pages[Page.READBACK].question.text()
    k.tap("readbackYes")
    k.tap("service_risai")
    answer_all(k, "risai")
    review = k.window.pages[Page.REVIEW]
    assert HANAKO.holder.address not in " ".join(review.values())  # type: ignore[attr-defined]
    assert TARO.holder.address in " ".join(review.values())  # type: ignore[attr-defined]


def test_without_a_card(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    k.tap("noCard")
    assert k.page is Page.STAFF_SIGNIN
    k.tap("staff_clerk1")
    k.keypad("9999", "staffKeypad")
    assert k.page is Page.STAFF_CHECK
    k.tap("reason_resident_choice")
    k.tap("service_higai")
    answer_all(k, "higai")
    k.tap("reviewOk")
    k.tap("consentYes")
    assert k.page is Page.RECEIPT
    k.tap("receiptDone")
    assert k.page is Page.WELCOME


def test_supporter_steps_away_before_medical_questions(
    qtbot: QtBot, translations: Translations
) -> None:
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    pin_in(k)
    k.tap("readbackYes")
    k.tap("staffSignin")
    k.tap("staff_helper1")
    k.keypad("1111", "staffKeypad")
    assert k.page is Page.SERVICES and k.button("mute").isVisible()
    k.tap("service_insurance")
    assert k.page is Page.STEP_AWAY
    k.tap("residentAlone")
    assert k.page is Page.QUESTION and not k.button("mute").isVisible()


def test_keyboard_tab_and_enter(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    k.activate()
    k.place(HANAKO)
    face = k.button("methodFace")
    assert face.hasFocus()  # the page's first control takes focus
    qtbot.keyClick(face, Qt.Key.Key_Tab)
    pin = k.button("methodPin")
    assert pin.hasFocus()
    qtbot.keyClick(pin, Qt.Key.Key_Return)
    assert k.page is Page.PIN
    pad = k.window.pages[Page.PIN].findChild(Keypad, "pinKeypad")
    for d in "1234":
        qtbot.keyClick(pad, d)
    qtbot.keyClick(pad, Qt.Key.Key_Return)
    assert k.page is Page.READBACK


def test_two_switch_scanning(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use, switch_keys=SwitchKeys())
    k.activate()
    k.place(HANAKO)
    assert k.button("methodFace").hasFocus()
    qtbot.keyClick(k.button("methodFace"), Qt.Key.Key_Space)  # switch 1: next
    assert k.button("methodPin").hasFocus()
    qtbot.keyClick(k.button("methodPin"), Qt.Key.Key_Return)  # switch 2: press
    assert k.page is Page.PIN


def test_voice_replay_and_staff_mute(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    assert k.speech.said[-1] == (
        "ja",
        "カードを置いてください\nマイナンバーカードを、下の読み取り機の上に置いてください。"
        "\nカードを持っていない方はこちら",
    )
    n = len(k.speech.said)
    k.tap("replayVoice")
    assert len(k.speech.said) == n + 1
    assert not k.button("mute").isVisible()  # residents cannot silence the guidance
    k.tap("staffSignin")
    k.tap("staff_clerk1")
    k.keypad("9999", "staffKeypad")
    k.tap("mute")
    n = len(k.speech.said)
    k.tap("replayVoice")
    assert len(k.speech.said) == n  # muted


def test_large_text_toggle_scales_fonts(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    heading = k.window.pages[Page.WELCOME].heading
    before = heading.fontInfo().pixelSize()
    k.tap("largeText")
    assert heading.fontInfo().pixelSize() == pytest.approx(before * 1.5, abs=1)
    for b in k.window.findChildren(type(k.button("callStaff"))):
        if b.isVisible():
            assert b.height() >= 44, b.objectName()


def test_buttons_are_big_enough(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    for name in ("methodFace", "methodPin", "methodStaff", "callStaff", "languageButton"):
        assert k.button(name).height() >= 72, name


def test_furigana_for_plain_japanese(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    k.tap("languageButton")
    k.tap("lang_ja-easy")
    hint = k.window.pages[Page.WELCOME].hint
    assert hint.text().startswith("マイナンバーカードを　下の") or "下" in hint.text()
    assert "{" not in hint.text() and hint.hasHeightForWidth()
    assert "した" in k.speech.said[-1][1]  # the voice reads the reading


TAPS_FILE = Path(__file__).resolve().parents[2] / "docs" / "taps.json"


def prove(k: Kiosk, method: str) -> None:
    """From the method choice to the read-back, the way a resident (or clerk) taps."""
    if method == "pin":
        pin_in(k)
    elif method == "face":
        k.tap("methodFace")
        k.keypad(HANAKO.pin_b, "pinBKeypad")
        k.tap("faceStart")
    elif method == "face+front":  # the camera reads 照合番号B off the card front
        k.tap("methodFace")
        k.tap("pinBReadFront")
        k.tap("pinBReadRight")  # what was read is confirmed before it goes to the card
        k.tap("faceStart")
    else:  # a clerk's visual check: the clerk's taps count too
        k.tap("methodStaff")
        k.tap("staff_clerk1")
        k.keypad("9999", "staffKeypad")
        k.keypad(HANAKO.pin_b, "pinBKeypad")
        k.tap("reason_accessibility")


def test_taps_and_screens_from_card_to_receipt(qtbot: QtBot, translations: Translations) -> None:
    """Count what is done for each procedure, card on reader to receipt (docs/taps.json)."""
    counts: dict[str, dict[str, int]] = {}
    runs = [(p, "pin") for p in ANSWERS]
    runs += [("risai", "face"), ("risai", "face+front"), ("risai", "staff")]
    for procedure, method in runs:
        k = Kiosk(qtbot, translations.use, World(card_front=method == "face+front"))
        k.place(HANAKO)
        screens_on_insert = len(k.screens)  # reading, then the method choice
        k.taps = 0
        prove(k, method)
        assert k.page is Page.READBACK
        proof_taps = k.taps
        k.tap("readbackYes")
        k.tap(f"service_{procedure}")
        answer_all(k, procedure)
        k.tap("reviewOk")
        k.tap("consentYes")
        assert k.page is Page.RECEIPT
        counts[f"{procedure}/{method}"] = {
            "taps": k.taps,
            "taps_to_prove_identity": proof_taps,
            "screens": len(k.screens),
            "questions": len(QUESTIONS[procedure]),
        }
        assert screens_on_insert == 2
        answer_taps = sum(len(a[0]) + 1 if isinstance(a, tuple) else 1 for a in ANSWERS[procedure])
        assert k.taps == proof_taps + 4 + answer_taps  # yes, service, review, consent
        k.window.close()
    assert counts["risai/pin"]["taps_to_prove_identity"] == 6  # method, 4 digits, OK
    TAPS_FILE.parent.mkdir(exist_ok=True)
    TAPS_FILE.write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def test_take_card_is_repeated_until_the_card_is_removed(
    qtbot: QtBot, translations: Translations
) -> None:
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    k.world.clock.advance(k.session.inactivity_s)
    k.session.tick()  # the warning
    k.world.clock.advance(k.session.warning_s)
    k.session.tick()  # the wipe: the card is still on the reader
    assert k.page is Page.TAKE_CARD
    timer = k.window._take_card_timer
    assert timer.isActive()
    said = len(k.speech.said)
    timer.timeout.emit()  # the repeat, without waiting for it
    timer.timeout.emit()
    assert [t for _, t in k.speech.said[said:]] == [k.speech.said[said][1]] * 2
    assert "カードをお取りください" in k.speech.said[-1][1]
    k.take()
    assert not timer.isActive() and k.page is Page.WELCOME


def test_voice_reads_the_choices_but_never_the_keypad(
    qtbot: QtBot, translations: Translations
) -> None:
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    spoken = k.speech.said[-1][1]
    for choice in ("顔で確認する（カメラ）", "暗証番号（数字4けた）で確認する", "職員が確認する"):
        assert choice in spoken
    k.tap("methodPin")
    spoken = k.speech.said[-1][1]
    assert "決定" not in spoken and "1字消す" not in spoken and "ほかの方法にする" in spoken
    assert not any(ch.isdigit() and ch != "4" for ch in spoken)  # only "4けた" is a digit


def test_visual_check_shows_the_jpeg2000_card_photo(
    qtbot: QtBot, translations: Translations
) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (90, 120), 140).save(buf, "JPEG2000")
    resident = dataclasses.replace(HANAKO, photo=buf.getvalue())
    k = Kiosk(qtbot, translations.use)
    k.place(resident)
    k.tap("methodStaff")
    k.tap("staff_clerk1")
    k.keypad("9999", "staffKeypad")
    k.keypad(HANAKO.pin_b, "pinBKeypad")
    check = k.window.pages[Page.STAFF_CHECK]
    photo = check.photo  # type: ignore[attr-defined]
    assert photo.isVisible() and photo.pixmap().height() == PHOTO_HEIGHT >= 400  # near life size
    k.tap("reason_accessibility")
    assert photo.pixmap().isNull()  # gone with the page


def test_focus_returns_to_the_page_after_an_overlay(
    qtbot: QtBot, translations: Translations
) -> None:
    k = Kiosk(qtbot, translations.use)
    k.activate()
    k.place(HANAKO)
    k.world.clock.advance(k.session.inactivity_s)
    k.session.tick()
    assert k.button("keepGoing").hasFocus()
    qtbot.keyClick(k.button("keepGoing"), Qt.Key.Key_Return)
    assert not k.window.timeout_overlay.isVisible()
    assert k.button("methodFace").hasFocus()


def test_scanning_stays_inside_the_language_panel(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use, switch_keys=SwitchKeys())
    k.activate()
    k.tap("languageButton")
    seen = set()
    for _ in range(12):
        qtbot.keyClick(k.window, Qt.Key.Key_Space)
        w = k.window.focusWidget()
        assert w is not None and k.window.language_overlay.isAncestorOf(w)
        seen.add(w.objectName())
    assert {"lang_en", "languageClose"} <= seen
    while k.window.focusWidget().objectName() != "lang_en":  # type: ignore[union-attr]
        qtbot.keyClick(k.window, Qt.Key.Key_Space)
    qtbot.keyClick(k.window, Qt.Key.Key_Return)
    assert translations.language == "en" and not k.window.language_overlay.isVisible()


def test_help_paths_ring_on_the_real_window(qtbot: QtBot, translations: Translations) -> None:
    """「職員が確認する」 rings: the bell, the audit, 「職員がまいります」 in the bottom bar, no
    time-out while staff come, and only a staff sign-in ends it."""
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    k.tap("methodStaff")
    assert k.page is Page.STAFF_SIGNIN and k.world.staff_call.calls == ["call"]
    called = [x.fields for x in k.world.audit.lines if x.event == "staff.called"]
    assert called == [{"reason": "visual_check"}]
    assert k.window.call_coming.isVisible() and "職員がまいります" in k.window.call_coming.text()
    assert not k.window.call_overlay.isVisible()  # the clerk's keypad stays in reach
    for _ in range(10):
        k.world.clock.advance(k.session.inactivity_s)
        k.session.tick()
    assert k.page is Page.STAFF_SIGNIN and not k.window.timeout_overlay.isVisible()
    k.tap("signinCancel")
    assert k.page is Page.CHOOSE_METHOD and k.session.staff_call_active  # still coming
    k.tap("callStaff")  # she presses the red button too: now it covers, still one call
    assert k.window.call_overlay.isVisible() and k.world.staff_call.calls == ["call"]
    assert [b.objectName() for b in k.window.call_overlay.findChildren(BigButton)] == [
        "callStaffSignin"
    ]
    k.tap("callStaffSignin")
    k.tap("staff_clerk1")
    k.keypad("9999", "staffKeypad")
    assert k.page is Page.CHOOSE_METHOD and not k.window.call_coming.isVisible()
    assert k.world.staff_call.calls == ["call", "cancel"]
    k.world.clock.advance(k.session.inactivity_s)
    k.session.tick()
    assert k.window.timeout_overlay.isVisible()  # the time-out runs again once staff are here


def test_the_timeout_warning_carries_the_call_button(
    qtbot: QtBot, translations: Translations
) -> None:
    k = Kiosk(qtbot, translations.use)
    k.place(HANAKO)
    pin_in(k)
    k.world.clock.advance(k.session.inactivity_s)
    k.session.tick()
    assert k.window.timeout_overlay.isVisible()
    k.tap("timeoutCallStaff")
    assert not k.window.timeout_overlay.isVisible() and k.window.call_overlay.isVisible()
    k.world.clock.advance(10 * k.session.inactivity_s)
    k.session.tick()
    assert k.page is Page.READBACK and "花子" in k.all_text()
    assert [x.fields for x in k.world.audit.lines if x.event == "staff.called"] == [
        {"reason": "staff_requested"}
    ]
