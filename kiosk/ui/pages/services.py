"""The services of this site and one procedure: questions, review, consent, receipt."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from kiosk.flows.procedures import registry
from kiosk.flows.session import Page, SessionMachine
from kiosk.ui.pages.base import KioskPage, PageContext
from kiosk.ui.widgets import BigButton, CameraView, ColumnFlow, Keypad, TrLabel


class ServicesPage(KioskPage):
    page = Page.SERVICES

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.services.title")
        self.services: dict[str, BigButton] = {}
        for proc in session.offered_procedures:
            self.services[proc] = self.button(
                registry.procedure(proc).label_id,
                partial(session.choose_procedure, proc),
                kind="primary",
                name=f"service_{proc}",
            )
        self.layout_.addStretch(1)
        self.done = self.button("ui.services.finish", session.finish, name="servicesFinish")

    def first_focus(self) -> QWidget | None:
        return next(iter(self.services.values()), self.done)


class QuestionPage(KioskPage):
    """One question at a time, answered by a tap, by digits on the keypad (a number), or by
    the kiosk camera (a photo: take, see the thumbnail, use it or retake)."""

    page = Page.QUESTION

    def __init__(self, session: SessionMachine, ctx: PageContext | None = None) -> None:
        super().__init__(session)
        self._frames = ctx.frames if ctx is not None else None
        self.number = self.label(role="muted", spoken=False)
        self.help = self.label(role="muted")
        # As many equal columns as the longest choice allows: a long list of short parts
        # (roof, walls ...) fits without scrolling, long sentences in large text still fit.
        self.choices_grid = ColumnFlow(max_columns=4)
        self.layout_.addLayout(self.choices_grid)
        self.choices: dict[str, BigButton] = {}
        self.keypad = Keypad(16, min_len=1, masked=False)
        self.keypad.setObjectName("answerKeypad")
        self.keypad.submitted.connect(session.answer)
        self.layout_.addWidget(self.keypad, 1)
        photo_row = QHBoxLayout()
        self.camera = CameraView(guide="frame")  # a damaged thing, not a face
        self.camera.setObjectName("photoCamera")
        self.camera.setMinimumSize(426, 320)  # with the thumbnail and buttons, fits 1080 px
        self.thumbnail = QLabel()
        self.thumbnail.setObjectName("photoThumbnail")
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        photo_row.addWidget(self.camera, 2)
        photo_row.addWidget(self.thumbnail, 1)
        self.layout_.addLayout(photo_row)
        row = self.row()
        self.take = self.button(
            "ui.photo.take", session.take_photo, kind="primary", name="photoTake", row=row
        )
        self.use = self.button(
            "ui.photo.use", session.use_photo, kind="primary", name="photoUse", row=row
        )
        self.layout_.addStretch(1)
        row = self.row()
        self.back = self.button("ui.common.back", session.back, name="questionBack", row=row)
        self.paper = self.button("ui.paper.button", session.paper_form, name="paperForm", row=row)
        self._timer = QTimer(self)
        self._timer.setInterval(66)
        self._timer.timeout.connect(self._pull_frame)

    def refresh(self) -> None:
        q = self.session.question()
        self._drop_choices()
        self.keypad.clear()
        self._timer.stop()
        if q is None:
            return
        self.heading.set_message(q.message_id)
        self.number.set_message("ui.question.number", n=self.session.question_number())
        if q.help_id:
            self.help.set_message(q.help_id)
        else:
            self.help.set_plain("")
        self.keypad.setVisible(q.kind == "number")
        if q.kind == "number":
            self.keypad.set_max_length(q.max_digits)
        self._show_photo(q.kind == "photo")
        self.paper.setVisible(self.session.paper_form_offered())
        for c in q.choices:
            b = BigButton(c.message_id, kind="primary")
            b.setProperty("answer", True)  # 16 px shorter (still ≥ 72): long lists fit 1080
            b.setObjectName(f"choice_{c.value}")
            b.clicked.connect(lambda _=False, v=c.value: self.session.answer(v))
            self.choices_grid.addWidget(b)
            b.show()  # a layout shows new children only on the next event-loop turn
            self.choices[c.value] = b

    def _show_photo(self, on: bool) -> None:
        camera = on and self.session.can_take_photos()
        self.camera.setVisible(camera)
        self.take.setVisible(camera)
        data = self.session.question_photo() if on else None
        image = QImage.fromData(data) if data else QImage()
        if image.isNull():
            self.thumbnail.clear()
            self.thumbnail.hide()
        else:
            self.thumbnail.setPixmap(QPixmap.fromImage(image).scaledToHeight(200))
            self.thumbnail.show()
        self.use.setVisible(on and data is not None)
        self.take.set_message("ui.photo.retake" if data is not None else "ui.photo.take")
        if on and not camera:
            self.help.set_message("ui.photo.no_camera")
        if camera:
            self._pull_frame()
            self._timer.start()

    def _pull_frame(self) -> None:
        frame = self._frames.latest_frame() if self._frames else None
        if frame is not None:
            self.camera.set_frame(frame)

    def _drop_choices(self) -> None:
        for b in self.choices.values():
            self.choices_grid.removeWidget(b)
            b.hide()
            b.setObjectName("")  # so no search finds the old answer before it is deleted
            b.deleteLater()
        self.choices = {}

    def clear(self) -> None:
        self._timer.stop()
        self._drop_choices()
        self.keypad.clear()
        self.camera.clear()
        self.thumbnail.clear()
        self.heading.set_plain("")
        self.help.set_plain("")

    def first_focus(self) -> QWidget | None:
        if self.use.isVisibleTo(self):
            return self.use
        if self.take.isVisibleTo(self):
            return self.take
        return next(iter(self.choices.values()), self.keypad.keys["1"])


class StepAwayPage(KioskPage):
    """A digital supporter steps back before medical questions and before consent."""

    page = Page.STEP_AWAY

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.step_away.title")
        self.label("ui.step_away.body")
        self.layout_.addStretch(1)
        self.done = self.button(
            "ui.step_away.done", session.resident_alone, kind="primary", name="residentAlone"
        )

    def first_focus(self) -> QWidget | None:
        return self.done


class ReviewPage(KioskPage):
    page = Page.REVIEW

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.review.title")
        # A long review scrolls by itself, so "this is correct" is always in sight.
        self.form = QFormLayout()
        self.form.setVerticalSpacing(16)
        self.scrolling(self.form)
        row = self.row()
        self.back = self.button("ui.review.back", session.back, name="reviewBack", row=row)
        self.paper = self.button("ui.paper.button", session.paper_form, name="reviewPaper", row=row)
        self.ok = self.button(
            "ui.review.ok", session.review_ok, kind="primary", name="reviewOk", row=row
        )

    def refresh(self) -> None:
        self.clear()
        self.paper.setVisible(self.session.paper_form_offered())
        for item in self.session.review_items():
            label = TrLabel(item.label_id, role="muted")
            value = TrLabel(item.value_id) if item.value_id else TrLabel()
            if not item.value_id:
                value.set_plain(item.value)
            value.setObjectName("reviewValue")
            self.form.addRow(label, value)

    def values(self) -> list[str]:
        return [w.text() for w in self.findChildren(TrLabel, "reviewValue")]

    def clear(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)

    def first_focus(self) -> QWidget | None:
        return self.ok


class ConsentPage(KioskPage):
    page = Page.CONSENT

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.consent.title")
        self.body = self.label()
        self.layout_.addStretch(1)
        row = self.row()
        self.no = self.button(
            "ui.consent.no", lambda: session.give_consent(False), name="consentNo", row=row
        )
        self.yes = self.button(
            "ui.consent.yes",
            lambda: session.give_consent(True),
            kind="primary",
            name="consentYes",
            row=row,
        )

    def refresh(self) -> None:
        proc = self.session.procedure or ""
        self.body.set_message("ui.consent.body", procedure=_service_name(proc))

    def on_language_changed(self) -> None:
        self.refresh()

    def first_focus(self) -> QWidget | None:
        return self.yes


class ReceiptPage(KioskPage):
    """The reference, what happens next, and the procedure's own lines (results, rules that
    applied, documents to bring), grouped by kind: never only by colour."""

    page = Page.RECEIPT
    personal_voice = True  # the receipt's lines may carry the resident's figures

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.receipt.title")
        self.reference = self.label(role="heading")
        self.reference.setObjectName("receiptReference")
        self.next_steps = self.label()
        self.lines_box = QVBoxLayout()
        self.lines_box.setSpacing(8)
        self.lines_box.addStretch(1)
        self.scrolling(self.lines_box)
        self.line_labels: list[TrLabel] = []
        row = self.row()
        self.another = self.button(
            "ui.receipt.another", session.another_procedure, name="receiptAnother", row=row
        )
        self.done = self.button(
            "ui.receipt.finish", session.finish, kind="primary", name="receiptDone", row=row
        )

    def refresh(self) -> None:
        self.clear()
        r = self.session.receipt
        if r is None:
            return
        self.reference.set_message("ui.receipt.reference", reference=r.reference)
        self.next_steps.set_message(r.next_steps_id)
        for mid in r.next_steps:
            if mid != r.next_steps_id:
                self._add(TrLabel(mid))
        for line in r.lines:
            role = {"heading": "heading", "rule": "muted", "note": "muted"}.get(line.kind, "body")
            label = TrLabel(role=role)
            label.set_message(line.message_id, **dict(line.params))
            if line.kind in ("document", "deadline"):
                label.setIndent(24)
            self._add(label)
            if line.value:
                value = TrLabel()
                value.set_plain(line.value)
                value.setIndent(48)
                self._add(value)

    def _add(self, label: TrLabel) -> None:
        label.setObjectName("receiptLine")
        self.lines_box.insertWidget(self.lines_box.count() - 1, label)  # above the stretch
        self.line_labels.append(label)
        self.spoken.append(label)

    def clear(self) -> None:
        self.reference.set_plain("")
        self.next_steps.set_plain("")
        for label in self.line_labels:
            self.spoken.remove(label)
            self.lines_box.removeWidget(label)
            label.hide()
            label.setObjectName("")
            label.deleteLater()
        self.line_labels = []

    def first_focus(self) -> QWidget | None:
        return self.done


def _service_name(procedure: str) -> str:
    from kiosk.ui.text import base_text
    from kiosk.ui.widgets import t

    return base_text(t(registry.procedure(procedure).label_id)) if procedure else ""
