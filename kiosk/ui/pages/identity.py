"""Proving who the resident is: the choice, PIN, 照合番号B, face, staff sign-in and check,
and the read-back "is this you?"."""

from __future__ import annotations

import io
import itertools

from PIL import Image
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractButton,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from kiosk.flows.session import CHECK_REASONS, Method, Page, SessionMachine, SignInFor
from kiosk.ui.pages.base import KioskPage, PageContext
from kiosk.ui.widgets import BigButton, CameraView, ColumnFlow, Keypad, TrLabel, t
from kiosk.wareki import to_wareki


class ChooseMethodPage(KioskPage):
    """Face, PIN, or a member of staff: three equal ways (WCAG 3.3.8: no memory test forced)."""

    page = Page.CHOOSE_METHOD

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.method.title")
        self.label("ui.method.hint")
        self.face = self.button(
            "ui.method.face",
            lambda: session.choose_method(Method.FACE),
            kind="primary",
            name="methodFace",
        )
        self.pin = self.button(
            "ui.method.pin",
            lambda: session.choose_method(Method.PIN),
            kind="primary",
            name="methodPin",
        )
        self.staff = self.button(
            "ui.method.staff",
            lambda: session.choose_method(Method.STAFF),
            kind="primary",
            name="methodStaff",
        )
        self.layout_.addStretch(1)

    def first_focus(self) -> QWidget | None:
        return self.face


class PinPage(KioskPage):
    page = Page.PIN

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.pin.title")
        self.label("ui.pin.shield")
        self.tries = self.label(role="muted", spoken=False)
        self.tries.setObjectName("pinTries")
        self.keypad = Keypad(4)
        self.keypad.setObjectName("pinKeypad")
        self.keypad.submitted.connect(session.enter_pin)
        self.layout_.addWidget(self.keypad, 1)
        self.other = self.button("ui.common.other_method", session.other_method, name="pinOther")

    def refresh(self) -> None:
        self.keypad.clear()
        tries = self.session.pin_tries_left()
        if tries is None:
            self.tries.set_plain("")
        else:
            self.tries.set_message("ui.pin.tries", tries=tries)

    def clear(self) -> None:
        self.keypad.clear()
        self.tries.set_plain("")

    def first_focus(self) -> QWidget | None:
        return self.keypad.keys["1"]


class PinLastTryPage(KioskPage):
    """The guard: the last try of a 4-digit PIN is spent only with a clerk beside the resident."""

    page = Page.PIN_LAST_TRY

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.pin.last_try.title")
        self.label("ui.pin.last_try.body")
        self.layout_.addStretch(1)
        self.with_staff = self.button(
            "ui.pin.last_try.staff", session.allow_last_try, kind="primary", name="lastTryStaff"
        )
        self.other = self.button(
            "ui.common.other_method", session.other_method, name="lastTryOther"
        )

    def first_focus(self) -> QWidget | None:
        return self.with_staff


class PinBPage(KioskPage):
    """照合番号B: birth date (era year) 6 + expiry year 4 + security code 4, from the card front."""

    page = Page.PIN_B

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.pin_b.title")
        self.hint = self.label("ui.pin_b.hint")
        # What the camera read, to be confirmed: shown, never spoken (the security code is
        # half of a credential); the voice says only the question.
        self.read = self.label(spoken=False)
        self.read.setObjectName("pinBRead")
        confirm = self.row()
        self.read_right = self.button(
            "ui.pin_b.read_right",
            lambda: session.confirm_front_read(True),
            kind="primary",
            name="pinBReadRight",
            row=confirm,
        )
        self.read_wrong = self.button(
            "ui.pin_b.read_wrong",
            lambda: session.confirm_front_read(False),
            name="pinBReadWrong",
            row=confirm,
        )
        # Side by side above the keypad (one column in large text): the no-typing way first,
        # and a 1080p screen keeps the whole keypad in sight.
        ways = ColumnFlow(max_columns=2)
        self.layout_.addLayout(ways)
        self.read_front = self.button(
            "ui.pin_b.read_front",
            session.read_card_front,
            kind="primary",
            name="pinBReadFront",
            row=ways,
        )
        self.other = self.button(
            "ui.common.other_method",
            session.other_method,
            name="pinBOther",
            row=ways,
        )
        self.keypad = Keypad(14, groups=(6, 4, 4))
        self.keypad.setObjectName("pinBKeypad")
        self.keypad.submitted.connect(session.enter_pin_b)
        self.layout_.addWidget(self.keypad, 1)

    def refresh(self) -> None:
        self.keypad.clear()
        staff = self.session.pin_b_for is Method.STAFF
        confirming = self.session.front_read() is not None
        title = "ui.pin_b.title_staff" if staff else "ui.pin_b.title"
        self.heading.set_message("ui.pin_b.title_confirm" if confirming else title)
        self.hint.set_message("ocr.confirm" if confirming else "ui.pin_b.hint")
        for w in (self.read, self.read_right, self.read_wrong):
            w.setVisible(confirming)
        self.keypad.setVisible(not confirming)
        self.read_front.setVisible(not confirming and self.session.can_read_card_front())
        self._show_read()

    def _show_read(self) -> None:
        read = self.session.front_read()
        if read is None:
            self.read.set_plain("")
            return
        self.read.set_plain(
            "\n".join(
                (
                    f"{t('ocr.field.birth')}: {read.birth_as_printed} ({read.birth_date:%Y-%m-%d})",
                    f"{t('ocr.field.expiry_year')}: {read.expiry_year}",
                    f"{t('ocr.field.security_code')}: {read.security_code}",
                )
            )
        )

    def on_language_changed(self) -> None:
        self._show_read()

    def clear(self) -> None:
        self.keypad.clear()
        self.read.set_plain("")

    def first_focus(self) -> QWidget | None:
        if self.session.front_read() is not None:
            return self.read_right
        return self.keypad.keys["1"]


class FacePage(KioskPage):
    """The camera view with an oval guide; the resident presses "start" when ready."""

    page = Page.FACE

    def __init__(self, session: SessionMachine, ctx: PageContext) -> None:
        super().__init__(session)
        self._frames = ctx.frames
        self.heading.set_message("ui.face.title")
        self.label("ui.face.hint")
        self.camera = CameraView()
        self.camera.setObjectName("cameraView")
        self.layout_.addWidget(self.camera, 1)
        row = self.row()
        self.start = self.button(
            "ui.face.start", session.start_face_check, kind="primary", name="faceStart", row=row
        )
        self.other = self.button(
            "ui.common.other_method", session.other_method, name="faceOther", row=row
        )
        self._timer = QTimer(self)
        self._timer.setInterval(66)  # about 15 frames a second is smooth enough for a guide
        self._timer.timeout.connect(self.pull_frame)

    def set_running(self, running: bool) -> None:
        """While the camera looks, "start" waits and the resident is told to hold still."""
        self.start.setEnabled(not running)
        self.start.set_message("ui.face.looking" if running else "ui.face.start")

    def pull_frame(self) -> None:
        frame = self._frames.latest_frame() if self._frames else None
        if frame is not None:
            self.camera.set_frame(frame)

    def refresh(self) -> None:
        self.set_running(False)
        self.pull_frame()
        self._timer.start()

    def hideEvent(self, e: object) -> None:  # type: ignore[override]
        self._timer.stop()
        self.camera.clear()
        super().hideEvent(e)  # type: ignore[arg-type]

    def clear(self) -> None:
        self._timer.stop()
        self.camera.clear()

    def first_focus(self) -> QWidget | None:
        return self.start


class StaffSigninPage(KioskPage):
    """Staff choose their account id and type their staff PIN on the shielded keypad."""

    page = Page.STAFF_SIGNIN

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.staff.signin.title")
        self.purpose = self.label()
        self.purpose.setObjectName("signinPurpose")
        self.card_hint = self.label("ui.staff.card_hint", role="muted")
        self.card_hint.setObjectName("signinCardHint")
        # Ids and "cancel" beside the keypad, not above and below it: the page then fits
        # 1080 px without scrolling.
        side = QHBoxLayout()
        side.setSpacing(32)
        self.layout_.addLayout(side, 1)
        left = QVBoxLayout()
        left.setSpacing(16)
        side.addLayout(left, 1)
        self.ids = ColumnFlow(max_columns=2)
        left.addLayout(self.ids)
        left.addStretch(1)
        # One id at a time, kept by hand: buttons in a QButtonGroup take Tab focus only as
        # a group, so keyboard and switch users could not reach the other ids.
        self.id_buttons: dict[str, BigButton] = {}
        self._clearing = False
        self.keypad = Keypad(8, min_len=4)
        self.keypad.setObjectName("staffKeypad")
        self.keypad.submitted.connect(self._submit)
        side.addWidget(self.keypad, 2)
        self.cancel = self.button(
            "ui.common.cancel", session.cancel_staff_signin, name="signinCancel", row=left
        )

    def refresh(self) -> None:
        self.keypad.clear()
        purpose = self.session.signin_for or SignInFor.ASSIST
        self.purpose.set_message(f"ui.staff.signin.for.{purpose.value}")
        self.card_hint.setVisible(self.session.can_use_staff_card())
        ids = list(self.session.staff_member_ids())
        if list(self.id_buttons) != ids:
            for b in self.id_buttons.values():
                b.hide()
                b.setObjectName("")
                b.deleteLater()
            self.id_buttons = {}
            for sid in ids:
                b = BigButton("ui.staff.id", staff=sid)
                b.setObjectName(f"staff_{sid}")
                b.setCheckable(True)
                b.toggled.connect(lambda on, chosen=b: self._one_id_only(chosen, on))
                self.ids.addWidget(b)
                b.show()
                self.id_buttons[sid] = b
            self._tab_order()
        holder = self.session.staff_card_holder
        if holder in self.id_buttons:  # a staff card chose the id: only its PIN is left
            self.id_buttons[holder].setChecked(True)
        elif len(ids) == 1:
            self.id_buttons[ids[0]].setChecked(True)

    def _one_id_only(self, button: QAbstractButton, on: bool) -> None:
        if on:
            for other in self.id_buttons.values():
                if other is not button:
                    other.setChecked(False)
        elif not self._clearing and not any(b.isChecked() for b in self.id_buttons.values()):
            button.setChecked(True)  # a second tap keeps the id chosen, as a radio button does

    def _tab_order(self) -> None:
        """Tab and the scan switch: the ids, then the keys in reading order, then cancel."""
        pad = self.keypad
        keys = [pad.keys[d] for d in "123456789"] + [pad.delete, pad.keys["0"], pad.ok]
        chain: list[QWidget] = [*self.id_buttons.values(), *keys, self.cancel]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def select(self, staff_id: str) -> None:
        self.id_buttons[staff_id].setChecked(True)

    def _submit(self, pin: str) -> None:
        chosen = next((sid for sid, b in self.id_buttons.items() if b.isChecked()), None)
        if chosen is None:
            self.session.view.show_message("ui.staff.choose_id")
            return
        self.session.staff_sign_in(chosen, pin)

    def clear(self) -> None:
        self.keypad.clear()
        self._clearing = True
        for b in self.id_buttons.values():
            b.setChecked(False)
        self._clearing = False

    def first_focus(self) -> QWidget | None:
        return next(iter(self.id_buttons.values()), self.keypad.keys["1"])


# The clerk compares this face with the person in front of the kiosk: about life size on a
# 1080p screen (the chip's photo is 180x225, so it is drawn about twice its pixels).
PHOTO_HEIGHT = 440


class StaffCheckPage(KioskPage):
    """目視確認: the clerk compares the card photo (or an ID document) with the person."""

    page = Page.STAFF_CHECK

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.photo = QLabel()
        self.photo.setObjectName("cardPhoto")
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.photo.setMinimumHeight(PHOTO_HEIGHT)
        self.photo_note = self.label(role="muted", spoken=False)
        # The photo beside the reasons, not above them: long reasons (vi, pt) then still fit.
        side = QHBoxLayout()
        side.setSpacing(32)
        self.layout_.addLayout(side)
        side.addWidget(self.photo, 0, Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        right.setSpacing(16)
        side.addLayout(right, 1)
        why = TrLabel("ui.staff_check.reason")
        right.addWidget(why)
        self.spoken.append(why)
        grid = ColumnFlow(max_columns=3)
        right.addLayout(grid)
        right.addStretch(1)
        self.reasons: dict[str, BigButton] = {}
        for reason in CHECK_REASONS:
            b = BigButton(f"ui.staff_check.reason.{reason}")
            b.setObjectName(f"reason_{reason}")
            b.clicked.connect(lambda _=False, r=reason: session.staff_confirm_check(r))
            grid.addWidget(b)
            self.reasons[reason] = b
        self.layout_.addStretch(1)

    def refresh(self) -> None:
        with_card = self.session.with_card
        self.heading.set_message("ui.staff_check.title" if with_card else "ui.staff_check.no_card")
        data = self.session.card_photo()
        image = card_photo_image(data) if data else QImage()
        if not image.isNull():
            self.photo.setPixmap(
                QPixmap.fromImage(image).scaledToHeight(
                    PHOTO_HEIGHT, Qt.TransformationMode.SmoothTransformation
                )
            )
            self.photo.show()
            self.photo_note.set_plain("")
            self.photo_note.hide()  # an empty line would only push the reasons down
        else:
            self.photo.clear()
            self.photo.hide()
            # Qt has no JPEG 2000 reader everywhere: the clerk then looks at the card itself.
            self.photo_note.set_message(
                "ui.staff_check.photo_on_card" if with_card else "ui.staff_check.id_document"
            )
            self.photo_note.show()

    def clear(self) -> None:
        self.photo.clear()
        self.photo_note.set_plain("")


class ReadbackPage(KioskPage):
    """ "山田 花子 様、昭和15年4月1日生まれ。あなたですか？" — name and birth date only."""

    page = Page.READBACK
    personal_voice = True  # the name and birth date are read aloud

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.readback.title")
        self.question = self.label(role="heading")
        self.question.setObjectName("readbackQuestion")
        self.layout_.addStretch(1)
        row = self.row()
        self.yes = self.button(
            "ui.readback.yes",
            lambda: session.confirm_identity(True),
            kind="primary",
            name="readbackYes",
            row=row,
        )
        self.no = self.button(
            "ui.readback.no",
            lambda: session.confirm_identity(False),
            kind="danger",
            name="readbackNo",
            row=row,
        )

    def refresh(self) -> None:
        rb = self.session.readback()
        if rb is None:
            self.question.set_plain("")
            return
        w = to_wareki(rb.birth_date)
        wareki = w.display()
        if self.session.language == "ja-easy":  # the era date read with furigana as well
            era = f"{{{w.era.value}|{_ERA_READING[w.era.value]}}}"
            wareki = f"{era}{w.year_text}{{年|ねん}}{w.month}{{月|がつ}}{w.day}{{日|にち}}"
        self.question.set_message(
            "ui.readback.question", name=rb.name, wareki=wareki, date=rb.birth_date.isoformat()
        )

    def on_language_changed(self) -> None:
        self.refresh()

    def clear(self) -> None:
        self.question.set_plain("")

    def first_focus(self) -> QWidget | None:
        return self.yes


_ERA_READING = {"明治": "めいじ", "大正": "たいしょう", "昭和": "しょうわ", "平成": "へいせい",
                "令和": "れいわ"}  # fmt: skip


def card_photo_image(data: bytes) -> QImage:
    """The card-face photo as a QImage. It is JPEG 2000, which Qt reads only with an optional
    plugin, so Pillow (built with OpenJPEG) decodes it in memory; nothing touches the disk."""
    image = QImage.fromData(data)
    if not image.isNull():
        return image
    try:
        with Image.open(io.BytesIO(data)) as photo:
            grey = photo.convert("L")
            raw = grey.tobytes()
            w, h = grey.size
    except (OSError, ValueError):  # not a picture Pillow knows: the clerk uses the card itself
        return QImage()
    return QImage(raw, w, h, w, QImage.Format.Format_Grayscale8).copy()
