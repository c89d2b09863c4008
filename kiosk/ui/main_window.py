"""The kiosk window: one page per state of the visit in a stacked widget, and the chrome that
is on every page (step indicator, large text, replay voice, language, call staff, counter).

The window is the session's `SessionView`: the session decides, the window shows. The window
receives its collaborators (session, translator hook, speech, camera frames) through its
constructor; there are no globals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QMainWindow,
    QScrollArea,
    QScroller,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.flows.ports import FrameSource, SpeechPort
from kiosk.flows.session import LANGUAGES, Page, SessionMachine, SignInFor
from kiosk.ui.pages.admin import AdminPage
from kiosk.ui.pages.base import KioskPage, PageContext
from kiosk.ui.pages.identity import (
    ChooseMethodPage,
    FacePage,
    PinBPage,
    PinLastTryPage,
    PinPage,
    ReadbackPage,
    StaffCheckPage,
    StaffSigninPage,
)
from kiosk.ui.pages.services import (
    ConsentPage,
    QuestionPage,
    ReceiptPage,
    ReviewPage,
    ServicesPage,
    StepAwayPage,
)
from kiosk.ui.pages.start import HandoffPage, NotMePage, ReadingPage, TakeCardPage, WelcomePage
from kiosk.ui.text import spoken_text
from kiosk.ui.theme import Theme
from kiosk.ui.widgets import BigButton, TrLabel, t

# Pages without the "continue at the counter" button: nothing to continue, or already there.
_NO_HANDOFF = {Page.WELCOME, Page.TAKE_CARD, Page.HANDOFF, Page.NOT_ME, Page.READING, Page.ADMIN}
_USER_INPUT = {
    QEvent.Type.MouseButtonPress,
    QEvent.Type.KeyPress,
    QEvent.Type.TouchBegin,
}


@runtime_checkable
class ForgetfulSpeech(Protocol):
    """A voice that can keep a text's audio out of its cache and drop its cache at the end
    of a visit (kiosk.devices.speech.Speaker); a plain SpeechPort is used without these."""

    def say(self, text: str, lang: str, /, *, personal: bool = False) -> object: ...

    def forget(self) -> None: ...


@dataclass(frozen=True)
class SwitchKeys:
    """Two-switch scanning: one switch moves to the next control, the other presses it."""

    next: Qt.Key = Qt.Key.Key_Space
    select: Qt.Key = Qt.Key.Key_Return

    @classmethod
    def from_names(cls, next_key: str, select_key: str) -> SwitchKeys:
        """From `[ui] switch_next_key` / `switch_select_key` ("Space", "Return", "F1" ...)."""
        return cls(_key(next_key), _key(select_key))


def _key(name: str) -> Qt.Key:
    key = getattr(Qt.Key, f"Key_{name}", None)
    if not isinstance(key, Qt.Key):
        raise ValueError(f"not a key name: {name!r}")
    return key


class Overlay(QWidget):
    """A dimmed cover over the whole window with one centred panel."""

    def __init__(self, parent: QWidget, name: str) -> None:
        super().__init__(parent)
        self.setObjectName("overlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.panel = QFrame()
        self.panel.setObjectName("overlayPanel")
        self.panel.setProperty("overlay", name)
        self.body = QVBoxLayout(self.panel)
        self.body.setContentsMargins(48, 40, 48, 40)
        self.body.setSpacing(24)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.panel, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)
        self.hide()


class MainWindow(QMainWindow):
    """The resident's screen. `set_language(lang)` installs the translator for a language."""

    page_shown = Signal(object)  # the Page now on screen (for the tray, tests, screenshots)

    def __init__(
        self,
        session: SessionMachine,
        set_language: Callable[[str], None],
        *,
        theme: Theme | None = None,
        speech: SpeechPort | None = None,
        frames: FrameSource | None = None,
        voice: bool = True,
        switch_keys: SwitchKeys | None = None,
        tick_ms: int = 1000,
        take_card_repeat_ms: int = 8000,
    ) -> None:
        super().__init__()
        self.setObjectName("kioskWindow")
        self.session = session
        self._set_language = set_language
        self.theme = theme or Theme()
        self._speech = speech
        self.voice_enabled = voice
        self.muted = False
        self.switch_keys = switch_keys
        self.spoken: list[tuple[str, str]] = []  # (language, text) of the last 50 utterances
        self._language = ""
        self._large = False

        central = QWidget()
        central.setObjectName("central")
        self._central = central
        self.setCentralWidget(central)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self._build_top_bar())
        self.stack = QStackedWidget()
        outer.addWidget(self.stack, 1)
        self.notice = TrLabel()
        self.notice.setObjectName("notice")
        self.notice.hide()
        notice_box = QHBoxLayout()
        notice_box.setContentsMargins(64, 0, 64, 12)
        notice_box.addWidget(self.notice)
        outer.addLayout(notice_box)
        outer.addWidget(self._build_bottom_bar())

        ctx = PageContext(frames)
        pages: list[KioskPage] = [
            WelcomePage(session), ReadingPage(session), ChooseMethodPage(session),
            PinPage(session), PinLastTryPage(session), PinBPage(session),
            FacePage(session, ctx), StaffSigninPage(session), StaffCheckPage(session),
            ReadbackPage(session), NotMePage(session), ServicesPage(session),
            QuestionPage(session, ctx), StepAwayPage(session), ReviewPage(session),
            ConsentPage(session), ReceiptPage(session), HandoffPage(session),
            TakeCardPage(session), AdminPage(session),
        ]  # fmt: skip
        self.pages: dict[Page, KioskPage] = {p.page: p for p in pages}
        assert set(self.pages) == set(Page), "every state of the visit needs its page"
        # Each page scrolls if large text makes it taller than the screen; nothing is clipped.
        self._frames_of: dict[Page, QScrollArea] = {}
        for p in pages:
            frame = QScrollArea()
            frame.setObjectName(f"scroll_{p.page.value}")
            frame.setWidgetResizable(True)
            frame.setFrameShape(QFrame.Shape.NoFrame)
            frame.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
            frame.setWidget(p)
            QScroller.grabGesture(frame.viewport(), QScroller.ScrollerGestureType.TouchGesture)
            self._frames_of[p.page] = frame
            self.stack.addWidget(frame)

        self.timeout_overlay = self._build_timeout_overlay(central)
        self.card_away_overlay = self._build_card_away_overlay(central)
        self.call_overlay = self._build_call_overlay(central)
        self.language_overlay = self._build_language_overlay(central)

        self._tick = QTimer(self)
        self._tick.setInterval(tick_ms)
        self._tick.timeout.connect(session.tick)
        self._tick.start()
        self._take_card_timer = QTimer(self)
        self._take_card_timer.setInterval(take_card_repeat_ms)
        self._take_card_timer.timeout.connect(self.replay_voice)

        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self.resize(1920, 1080)
        self.apply_style(session.large_text)
        session.attach(self)

    # -- building --------------------------------------------------------------------------

    def _build_top_bar(self) -> QWidget:
        bar = QWidget()
        bar.setObjectName("topBar")
        bar.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(bar)
        row.setContentsMargins(32, 6, 32, 6)
        self.step_label = TrLabel(role="heading")
        self.step_label.setObjectName("stepIndicator")
        row.addWidget(self.step_label)
        row.addStretch(1)
        self.large_text_button = BigButton("ui.chrome.large_text")
        self.large_text_button.setObjectName("largeText")
        self.large_text_button.setCheckable(True)
        self.large_text_button.toggled.connect(self._large_text_toggled)
        self.replay_button = BigButton("ui.chrome.replay")
        self.replay_button.setObjectName("replayVoice")
        self.replay_button.clicked.connect(self.replay_voice)
        self.language_button = BigButton("ui.chrome.language")
        self.language_button.setObjectName("languageButton")
        self.language_button.clicked.connect(self.show_language_chooser)
        for b in (self.large_text_button, self.replay_button, self.language_button):
            b.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            row.addWidget(b)
        return bar

    def _build_bottom_bar(self) -> QWidget:
        bar = QWidget()
        bar.setObjectName("bottomBar")
        bar.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(bar)
        row.setContentsMargins(32, 6, 32, 6)
        self.call_button = BigButton("ui.chrome.call_staff", kind="danger")
        self.call_button.setObjectName("callStaff")
        self.call_button.clicked.connect(self.session.call_staff)
        self.handoff_button = BigButton("ui.chrome.handoff")
        self.handoff_button.setObjectName("handoff")
        self.handoff_button.clicked.connect(self.session.handoff)
        self.staff_button = BigButton("ui.chrome.staff")
        self.staff_button.setObjectName("staffSignin")
        self.staff_button.clicked.connect(lambda: self.session.request_staff(SignInFor.ASSIST))
        self.mute_button = BigButton("ui.chrome.mute")
        self.mute_button.setObjectName("mute")
        self.mute_button.setCheckable(True)
        self.mute_button.toggled.connect(self._mute_toggled)
        self.sign_out_button = BigButton("ui.chrome.sign_out")
        self.sign_out_button.setObjectName("staffSignOut")
        self.sign_out_button.clicked.connect(self._sign_out)
        # A call rung by a help path rides along here: the page stays usable meanwhile.
        self.call_coming = TrLabel("ui.call.coming")
        self.call_coming.setObjectName("callComing")
        self.call_coming.hide()
        row.addWidget(self.call_button, 2)
        row.addWidget(self.call_coming, 2)
        row.addWidget(self.handoff_button, 2)
        row.addStretch(1)
        for b in (self.staff_button, self.mute_button, self.sign_out_button):
            row.addWidget(b, 1)
        return bar

    def _build_timeout_overlay(self, parent: QWidget) -> Overlay:
        o = Overlay(parent, "timeout")
        o.body.addWidget(TrLabel("ui.timeout.title", role="heading"))
        self.timeout_label = TrLabel()
        self.timeout_label.setObjectName("timeoutCountdown")
        o.body.addWidget(self.timeout_label)
        self.keep_going_button = BigButton("ui.timeout.continue", kind="primary")
        self.keep_going_button.setObjectName("keepGoing")
        self.keep_going_button.setMinimumHeight(140)
        self.keep_going_button.clicked.connect(self.session.keep_going)
        o.body.addWidget(self.keep_going_button)
        # The warning is where a resident who is stuck looks: help is one tap from it.
        timeout_call = BigButton("ui.chrome.call_staff", kind="danger")
        timeout_call.setObjectName("timeoutCallStaff")
        timeout_call.clicked.connect(self.session.call_staff)
        o.body.addWidget(timeout_call)
        return o

    def _build_card_away_overlay(self, parent: QWidget) -> Overlay:
        o = Overlay(parent, "card_away")
        o.body.addWidget(TrLabel("ui.card.away.title", role="heading"))
        self.card_away_label = TrLabel()
        self.card_away_label.setObjectName("cardAwayCountdown")
        o.body.addWidget(self.card_away_label)
        end = BigButton("ui.card.away.end")
        end.setObjectName("cardAwayEnd")
        end.clicked.connect(self.session.end_held_visit)
        o.body.addWidget(end)
        call = BigButton("ui.chrome.call_staff", kind="danger")
        call.setObjectName("cardAwayCallStaff")
        call.clicked.connect(self.session.call_staff)
        o.body.addWidget(call)
        return o

    def _build_call_overlay(self, parent: QWidget) -> Overlay:
        o = Overlay(parent, "call")
        o.body.addWidget(TrLabel("ui.call.coming", role="heading"))
        o.body.addWidget(TrLabel("ui.call.body"))
        # Only staff end a call (sign-in or staff card): the resident has nothing to cancel.
        self.call_staff_signin = BigButton("ui.call.staff_signin")
        self.call_staff_signin.setObjectName("callStaffSignin")
        self.call_staff_signin.clicked.connect(lambda: self.session.request_staff(SignInFor.ASSIST))
        o.body.addWidget(self.call_staff_signin)
        return o

    def _build_language_overlay(self, parent: QWidget) -> Overlay:
        o = Overlay(parent, "language")
        o.body.addWidget(TrLabel("ui.language.title", role="heading"))
        grid = QGridLayout()
        self.language_buttons: dict[str, BigButton] = {}
        for i, lang in enumerate(LANGUAGES):
            b = BigButton(f"ui.language.{lang}")
            b.setObjectName(f"lang_{lang}")
            b.setCheckable(True)
            b.clicked.connect(lambda _=False, lg=lang: self._choose_language(lg))
            grid.addWidget(b, i // 2, i % 2)
            self.language_buttons[lang] = b
        o.body.addLayout(grid)
        close = BigButton("ui.common.close")
        close.setObjectName("languageClose")
        close.clicked.connect(o.hide)
        close.clicked.connect(self._focus_page)
        o.body.addWidget(close)
        return o

    # -- SessionView ----------------------------------------------------------------------

    def show_page(self, page: Page) -> None:
        widget = self.pages[page]
        previous = self._current() if self.stack.currentWidget() is not None else None
        if previous is not None and previous is not widget:
            previous.clear()  # a page out of sight keeps nothing personal
        widget.refresh()
        self.stack.setCurrentWidget(self._frames_of[page])
        self._frames_of[page].verticalScrollBar().setValue(0)
        step = self.session.step()
        if step is None:
            self.step_label.set_plain("")
        else:
            self.step_label.set_message("ui.chrome.step", step=step[0], total=step[1])
        self.handoff_button.setVisible(page not in _NO_HANDOFF)
        self._refresh_staff_controls()
        self._refresh_call()
        if page is Page.TAKE_CARD:
            self._take_card_timer.start()
        else:
            self._take_card_timer.stop()
        focus = widget.first_focus()
        if focus is not None:
            focus.setFocus(Qt.FocusReason.OtherFocusReason)
            # With large text a page may be taller than the screen: bring its main control
            # into sight (the page is drawn first, so the scroll area knows its size).
            widget.adjustSize()
            self._frames_of[page].ensureWidgetVisible(focus, 0, 24)
        self.replay_voice()
        self.page_shown.emit(page)

    def show_message(self, message_id: str, **params: object) -> None:
        if not message_id:
            self.notice.set_plain("")
            self.notice.hide()
            return
        self.notice.set_message(message_id, **params)
        self.notice.show()
        self._say(t(message_id, **params))

    def show_timeout_warning(self, seconds_left: int) -> None:
        self.timeout_label.set_message("ui.timeout.body", seconds=seconds_left)
        if not self.timeout_overlay.isVisible():
            self._cover(self.timeout_overlay)
            self.keep_going_button.setFocus()
            self._say(t("ui.timeout.title") + "\n" + self.timeout_label.raw_text())

    def hide_timeout_warning(self) -> None:
        if self.timeout_overlay.isVisible():
            self.timeout_overlay.hide()
            self._focus_page()

    def show_card_away(self, active: bool) -> None:
        left = self.session.card_away_seconds_left()
        if active and left is not None:
            self.card_away_label.set_message("ui.card.away.seconds", seconds=left)
            if self.card_away_overlay.isHidden():
                self._cover(self.card_away_overlay)
                self._say(t("ui.card.away.title"))
            if self.call_overlay.isVisible():
                self.call_overlay.raise_()  # a call stays on top of everything
        elif not self.card_away_overlay.isHidden():
            self.card_away_overlay.hide()
            self._focus_page()

    def show_face_check(self, running: bool) -> None:
        face = self.pages[Page.FACE]
        assert isinstance(face, FacePage)
        face.set_running(running)

    def show_staff_call(self, active: bool) -> None:
        if active:
            self._say(t("ui.call.coming") + "\n" + t("ui.call.body"))
        self._refresh_call()

    def _refresh_call(self) -> None:
        """The call covers the page when the resident pressed call, except while staff sign
        in (they answer it there); a help path's call shows in the bottom bar."""
        active = self.session.staff_call_active
        self.call_coming.setVisible(active)
        cover = active and self.session.staff_call_covers
        cover = cover and self.session.page is not Page.STAFF_SIGNIN
        if cover and self.call_overlay.isHidden():
            self._cover(self.call_overlay)
        elif not cover and not self.call_overlay.isHidden():
            self.call_overlay.hide()
            self._focus_page()

    def apply_language(self, language: str) -> None:
        if language == self._language:
            return
        self._set_language(language)
        self._language = language
        # Qt posts LanguageChange; deliver it now so the voice below speaks the new language.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LanguageChange)
        for lang, b in self.language_buttons.items():
            b.setChecked(lang == language)
        self._current().on_language_changed()

    def session_wiped(self) -> None:
        for p in self.pages.values():
            p.clear()
        # What was said aloud (the read-back's name and birth date) goes with the visit.
        self.spoken.clear()
        if isinstance(self._speech, ForgetfulSpeech):
            self._speech.forget()
        self.notice.set_plain("")
        self.notice.hide()
        self.language_overlay.hide()
        self.mute_button.setChecked(False)
        self.large_text_button.setChecked(self.session.large_text)
        self.apply_style(self.session.large_text)

    # -- chrome actions ---------------------------------------------------------------------

    def current_page(self) -> Page:
        return self._current().page

    def _current(self) -> KioskPage:
        frame = self.stack.currentWidget()
        assert isinstance(frame, QScrollArea)
        page = frame.widget()
        assert isinstance(page, KioskPage)
        return page

    def show_language_chooser(self) -> None:
        self.session.touch()
        self._cover(self.language_overlay)
        self.language_buttons[self.session.language].setFocus()

    def _focus_page(self) -> None:
        """Keyboard and switch users land back on the page's main control."""
        focus = self._current().first_focus()
        if focus is not None:
            focus.setFocus(Qt.FocusReason.OtherFocusReason)

    def _choose_language(self, language: str) -> None:
        self.language_overlay.hide()
        self._focus_page()
        self.session.set_language(language)
        self.replay_voice()

    def replay_voice(self) -> None:
        page = self._current()
        self._say(page.voice_text(), personal=page.personal_voice)

    def apply_style(self, large: bool) -> None:
        self._large = large
        self.setStyleSheet(self.theme.style_sheet(large))

    def _large_text_toggled(self, on: bool) -> None:
        if on != self.session.large_text:
            self.session.set_large_text(on)
        self.apply_style(on)

    def _mute_toggled(self, on: bool) -> None:
        self.muted = on
        self.mute_button.set_message("ui.chrome.unmute" if on else "ui.chrome.mute")
        if on and self._speech is not None:
            self._speech.stop()

    def _sign_out(self) -> None:
        self.session.staff_sign_out()
        self.mute_button.setChecked(False)
        self._refresh_staff_controls()

    def _refresh_staff_controls(self) -> None:
        signed_in = self.session.staff is not None
        self.mute_button.setVisible(signed_in)  # only staff may silence the guidance
        self.sign_out_button.setVisible(signed_in)
        busy = self.current_page() in (Page.STAFF_SIGNIN, Page.READING, Page.TAKE_CARD)
        self.staff_button.setVisible(not signed_in and not busy)

    def _say(self, text: str, *, personal: bool = False) -> None:
        if not text or not self.voice_enabled or self.muted:
            return
        spoken = spoken_text(text)
        self.spoken.append((self.session.language, spoken))
        del self.spoken[:-50]
        if personal and isinstance(self._speech, ForgetfulSpeech):
            self._speech.say(spoken, self.session.language, personal=True)
        elif self._speech is not None:
            self._speech.say(spoken, self.session.language)

    def _cover(self, overlay: Overlay) -> None:
        overlay.setGeometry(self._central.rect())
        overlay.raise_()
        overlay.show()

    def grab_page(self, page: Page) -> QPixmap:
        """A picture of one page inside the window's chrome (for screenshots)."""
        self.stack.setCurrentWidget(self._frames_of[page])
        return self.grab()

    # -- events -----------------------------------------------------------------------------

    def resizeEvent(self, e: QResizeEvent) -> None:
        super().resizeEvent(e)
        for o in (self.timeout_overlay, self.call_overlay, self.language_overlay):
            o.setGeometry(self._central.rect())

    def focusNextPrevChild(self, next: bool) -> bool:
        """While a panel covers the page, Tab and the scan switch move only among its
        buttons: nothing hidden under it can be pressed by accident."""
        overlay = None
        for o in (self.call_overlay, self.timeout_overlay, self.language_overlay):
            if o.isVisible():
                overlay = o
        if overlay is None:
            return super().focusNextPrevChild(next)
        buttons = [b for b in overlay.findChildren(QAbstractButton) if b.isVisible()]
        if not buttons:
            return False
        current = QApplication.focusWidget()
        i = buttons.index(current) if current in buttons else -1
        next_overlay = buttons[(i + (1 if next else -1)) % len(buttons)]
        next_overlay.setFocus(Qt.FocusReason.TabFocusReason)
        return True

    def eventFilter(self, watched: QObject, e: QEvent) -> bool:
        if e.type() in _USER_INPUT and self.isVisible() and self.isActiveWindow():
            self.session.touch()
        if self.switch_keys is not None and e.type() == QEvent.Type.KeyPress:
            assert isinstance(e, QKeyEvent)
            return self._switch_scan(e)
        return False

    def _switch_scan(self, e: QKeyEvent) -> bool:
        keys = self.switch_keys
        assert keys is not None
        if e.key() == keys.next:
            self.focusNextChild()
            return True
        if e.key() == keys.select:
            w = QApplication.focusWidget()
            if isinstance(w, QAbstractButton) and w.isEnabled():
                w.click()
            return True
        return False

    def closeEvent(self, e: QCloseEvent) -> None:
        self._tick.stop()
        self._take_card_timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        super().closeEvent(e)
