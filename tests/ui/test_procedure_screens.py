"""Procedure screens: photo questions, answers asked again, receipt lines, the paper route."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from kiosk.flows.ports import Question, ReceiptLine
from kiosk.flows.session import Page
from kiosk.ui.i18n import Translations
from kiosk.ui.widgets import Keypad
from tests.helpers.kiosk_ui import Kiosk
from tests.helpers.session import HANAKO


def to_services(k: Kiosk) -> None:
    k.place(HANAKO)
    k.tap("methodPin")
    k.keypad(HANAKO.pin, "pinKeypad")
    k.tap("readbackYes")


def test_photo_question_shows_a_thumbnail_and_can_be_retaken(
    qtbot: QtBot, translations: Translations
) -> None:
    k = Kiosk(qtbot, translations.use)
    k.world.procedures.questions["higai"] = [
        Question("item.1.photo", "services.question.item-photo", kind="photo")
    ]
    to_services(k)
    k.tap("service_higai")
    page = k.window.pages[Page.QUESTION]
    assert k.button("photoTake").isVisible() and not k.button("photoUse").isVisible()
    assert page.camera.isVisible() and page.camera.has_frame()  # the live view
    assert k.button("paperForm").isVisible()  # the paper route is on every question
    k.tap("photoTake")
    assert page.thumbnail.isVisible() and page.thumbnail.pixmap() is not None
    assert k.button("photoTake").text() == "撮り直す"
    k.tap("photoTake")
    k.tap("photoUse")
    assert k.page is Page.REVIEW
    assert "写真あり" in k.window.pages[Page.REVIEW].values()  # type: ignore[attr-defined]
    assert not page.camera.has_frame()  # left behind: nothing of the picture kept


def test_answer_asked_again_shows_why(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    k.world.procedures.reject["household"] = ("0", "ui.answer.number_digits")
    to_services(k)
    k.tap("service_support-check")
    pad = k.window.pages[Page.QUESTION].findChild(Keypad, "answerKeypad")
    assert pad is not None and not k.button("paperForm").isVisible()
    k.keypad("0", "answerKeypad")
    assert k.page is Page.QUESTION and k.window.notice.isVisible()
    k.keypad("3", "answerKeypad")
    assert k.session.question() is not None and k.session.question().id == "injured"  # type: ignore[union-attr]


def test_receipt_lines_are_shown_and_spoken(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    k.world.procedures.lines = (
        ReceiptLine("ui.receipt.next_steps", kind="heading"),
        ReceiptLine("ui.review.name", value="保険者 01234567", kind="field"),
    )
    to_services(k)
    k.tap("service_higai")
    k.tap("choice_flooded")
    k.tap("reviewOk")
    k.tap("consentYes")
    receipt = k.window.pages[Page.RECEIPT]
    texts = [lab.text() for lab in receipt.line_labels]  # type: ignore[attr-defined]
    assert "保険者 01234567" in texts and "お名前" in texts
    assert "お名前" in k.speech.said[-1][1]
    k.tap("receiptDone")
    assert receipt.line_labels == []  # type: ignore[attr-defined]


def test_paper_form_button(qtbot: QtBot, translations: Translations) -> None:
    k = Kiosk(qtbot, translations.use)
    to_services(k)
    k.tap("service_risai")
    k.tap("paperForm")
    assert k.world.desk.forms == [("risai", True, {})]
    assert "紙の申込書" in k.window.notice.text() and k.page is Page.QUESTION


def test_paper_form_from_the_review_without_a_card(
    qtbot: QtBot, translations: Translations
) -> None:
    k = Kiosk(qtbot, translations.use)
    k.tap("noCard")
    k.tap("staff_clerk1")
    k.keypad("9999", "staffKeypad")
    k.tap("reason_resident_choice")
    k.tap("service_higai")
    k.tap("choice_flooded")
    assert k.page is Page.REVIEW
    k.tap("reviewPaper")
    assert k.world.desk.forms == [("higai", False, {"what": "flooded"})]  # blank: no card
