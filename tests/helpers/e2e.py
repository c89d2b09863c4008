"""Drive the assembled kiosk (real pcscd, the demo tray's virtual cards, the encrypted store,
the real SiteServices and window) through whole visits, as a resident's finger would.

`assembled(...)` builds `Kiosk.assemble(...)` on a free vpcd reader with a private data dir,
logs going to the data dir's log file and `tempfile` redirected to a private folder, and
yields a `Driver`. The driver taps the window's named buttons (visible and enabled, like a
finger), types on its keypads, places and takes cards through the demo tray's own buttons,
counts taps and screens, and collects every text the window holds for leak checks.

Through the seams `Kiosk.assemble` offers (no private field is patched):
- the session's clock is a `SteppedClock` (timeouts without sleeping for minutes);
- the window's voice is a real `Speaker` whose synthesizer writes nothing (so what the voice
  would say, and what it caches, can be inspected), switched on;
- the store, SiteServices and camera preview are the kiosk's own fields; the screens shown are
  counted from the window's `page_shown` signal.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any, cast

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QWidget,
)
from pytestqt.qtbot import QtBot

from kiosk import logs
from kiosk.app import Kiosk
from kiosk.config import CardSettings, Settings, SinkSettings, SiteSettings, UiSettings
from kiosk.devices.card.transport import AID_TEXT
from kiosk.devices.card.virtual.card import VirtualMyNumberCard
from kiosk.devices.card.virtual.image import _fake_number, photo_jp2
from kiosk.devices.card.virtual.residents import DemoResident, demo_resident
from kiosk.devices.card.virtual.slot import vpcd_reader_name
from kiosk.devices.speech import SilentPlayer, Speaker, Synthesizer
from kiosk.flows.services import SiteServices
from kiosk.flows.session import Page, SessionMachine, Visit
from kiosk.flows.site import SystemClock
from kiosk.paths import DataDir
from kiosk.store.store import Store
from kiosk.ui.i18n import Translations
from kiosk.ui.widgets import Keypad, TrLabel
from kiosk.wareki import to_wareki
from tests.helpers.pcscd import VPCD_PORTS, _reader_is_empty

CARD_TIMEOUT_MS = 30_000  # a card operation under load (pcscd shared with other test runs)
TEXT_AP_PIN = 0x0011

# What a resident answers, per question id (a value not among the choices: the first choice).
# The same picks as the UI helper's tests/ui/test_real_procedures.py, so tap counts compare.
ANSWERS: dict[str, dict[str, str]] = {
    "risai": {"applying_for": "self", "property_here": "yes", "dwelling": "yes",
              "flooding": "none", "damage.1": "roof", "damage.2": "none", "light": "no",
              "phone": "09012345678"},
    "support-check": {"has_certificate": "yes", "grade": "zenkai", "household": "2",
                      "long_term_evacuation": "no", "plan": "build", "rented_first": "no",
                      "death": "no", "disability": "no", "injured": "no", "goods_lost": "no",
                      "dwelling_lost": "no", "wants_loan_check": "no"},
    "insurance": {"consent.medication": "yes", "consent.health-check": "no"},
}  # fmt: skip
# 罹災証明書 by 自己判定方式: light damage, photos taken with the kiosk camera.
RISAI_WITH_PHOTOS = {**ANSWERS["risai"], "light": "yes", "survey": "self", "self_consent": "agree"}


class SteppedClock:
    """The session's clock: real wall time, a monotonic time that moves only when told."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.at = 1_000.0

    def now(self) -> Any:
        return self._inner.now()

    def monotonic(self) -> float:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += seconds


class QuietSynth:
    """A synthesizer that makes a tiny silent WAV in memory (no engine, nothing on disk)."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def synthesize(self, text: str, lang: str) -> bytes:
        self.texts.append(text)
        return b"RIFF\x24\x00\x00\x00WAVEfmt "


@dataclass
class Tally:
    """Taps and screens of one visit from card on reader to receipt."""

    procedure: str
    taps: int = 0
    screens: int = 0
    questions: int = 0
    taps_to_prove_identity: int = 0


@dataclass
class Driver:
    """One assembled kiosk and a finger on its screen."""

    kiosk: Kiosk
    qtbot: QtBot
    data: DataDir
    clock: SteppedClock
    speaker: Speaker
    synth: QuietSynth
    recipient: X25519PrivateKey
    taps: int = 0
    screens: list[Page] = field(default_factory=list)

    # -- what there is ------------------------------------------------------------------

    @property
    def session(self) -> SessionMachine:
        return self.kiosk.session

    @property
    def page(self) -> Page:
        return self.kiosk.window.current_page()

    @property
    def store(self) -> Store:
        return self.kiosk.store

    @property
    def services(self) -> SiteServices:
        return self.kiosk.services

    def notice(self) -> str:
        return self.kiosk.window.notice.text() if self.kiosk.window.notice.isVisible() else ""

    def card_tries(self, resident_id: str) -> int:
        """The Text AP PIN counter on the chip itself (not what the kiosk believes)."""
        assert self.kiosk.slot is not None
        card = self.kiosk.slot.card(resident_id)
        assert isinstance(card, VirtualMyNumberCard)
        return card.tries(AID_TEXT, TEXT_AP_PIN)

    # -- a finger -------------------------------------------------------------------------

    def button(self, name: str) -> QAbstractButton:
        found = [b for b in self.kiosk.window.findChildren(QAbstractButton, name) if b.isVisible()]
        assert found, f"no visible button {name!r} on {self.page} (notice: {self.notice()!r})"
        return found[0]

    def tap(self, name: str) -> None:
        """A finger on the named button: visible, enabled and in sight, or the test fails."""
        b = self.button(name)
        assert b.isEnabled(), f"{name!r} is disabled on {self.page}"
        if b.visibleRegion().isEmpty():  # scrolled out of sight: the resident swipes first
            scroller = b.parentWidget()
            while scroller is not None and not isinstance(scroller, QScrollArea):
                scroller = scroller.parentWidget()
            assert scroller is not None, f"{name!r} is out of sight on {self.page}"
            scroller.ensureWidgetVisible(b)
            QApplication.processEvents()
        self.taps += 1
        self.qtbot.mouseClick(b, Qt.MouseButton.LeftButton)

    def keypad(self, digits: str, name: str) -> None:
        """Digits on the named keypad of the page on screen, then its OK key."""
        pad = self.kiosk.window.pages[self.page].findChild(Keypad, name)
        assert pad is not None, f"no keypad {name!r} on {self.page}"
        for d in digits:
            self._press(pad.keys[d])
        self._press(pad.ok)

    def _press(self, b: QAbstractButton) -> None:
        assert b.isVisible() and b.isEnabled(), b.objectName()
        self.taps += 1
        self.qtbot.mouseClick(b, Qt.MouseButton.LeftButton)

    def wait_for_camera(self) -> None:
        """A resident looks at the live picture before pressing "take": wait for a frame
        (the camera starts when the photo question appears)."""
        preview = self.kiosk.preview
        self.qtbot.waitUntil(lambda: preview.latest() is not None, timeout=CARD_TIMEOUT_MS)

    def wait_page(self, *pages: Page, timeout: int = CARD_TIMEOUT_MS) -> None:
        def there() -> None:
            assert self.session.page in pages, (self.session.page, self.notice())

        self.qtbot.waitUntil(there, timeout=timeout)
        assert self.page is self.session.page  # the window shows what the session says

    # -- the demo tray (the resident's hand) ------------------------------------------------

    def place(self, resident_id: str) -> None:
        """Put the resident's card on the reader with the tray's own button; wait until the
        kiosk has read it (any page after "reading")."""
        tray = self.kiosk.tray
        assert tray is not None
        tray.select(resident_id)
        insert = tray.findChild(QPushButton, "demoInsert")
        assert insert is not None
        self.qtbot.mouseClick(insert, Qt.MouseButton.LeftButton)
        self.qtbot.waitUntil(
            lambda: (
                self.session.card_present and self.session.page not in (Page.WELCOME, Page.READING)
            ),
            timeout=CARD_TIMEOUT_MS,
        )

    def take_card(self) -> None:
        """Take the card off the reader; wait until the kiosk has heard it."""
        tray = self.kiosk.tray
        assert tray is not None
        remove = tray.findChild(QPushButton, "demoRemove")
        assert remove is not None and remove.isEnabled()
        self.qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
        self.qtbot.waitUntil(lambda: not self.session.card_present, timeout=CARD_TIMEOUT_MS)
        assert self.kiosk.slot is not None
        self.kiosk.slot.wait_absent()

    # -- whole steps ------------------------------------------------------------------------

    def take_card_for_good(self) -> None:
        """Take the card mid-visit and leave it off until the grace runs out."""
        self.take_card()
        self.clock.advance(self.session.card_grace_s)
        self.session.tick()

    def prove_with_pin(self, pin: str) -> None:
        self.tap("methodPin")
        assert self.page is Page.PIN, (self.page, self.notice())
        self.keypad(pin, "pinKeypad")
        self.wait_page(Page.READBACK)

    def sign_in_staff(self, staff_id: str, pin: str) -> None:
        assert self.page is Page.STAFF_SIGNIN, self.page
        self.tap(f"staff_{staff_id}")
        self.keypad(pin, "staffKeypad")

    def answer_everything(self, procedure: str, picks: dict[str, str] | None = None) -> None:
        """Answer each question the procedure asks until the review page."""
        chosen = picks if picks is not None else ANSWERS[procedure]
        for _ in range(40):
            if self.page is not Page.QUESTION:
                return
            q = self.session.question()
            assert q is not None
            assert not q.problem_id, f"{q.id} asked again: {q.problem_id} ({self.notice()!r})"
            if q.kind == "photo":
                self.wait_for_camera()
                self.tap("photoTake")
                self.tap("photoUse")
            elif q.kind == "number":
                self.keypad(chosen[q.id], "answerKeypad")
            else:
                values = [c.value for c in q.choices]
                value = chosen.get(q.id, values[0])
                self.tap(f"choice_{value if value in values else values[0]}")
        raise AssertionError("the questions never end")

    def to_receipt(self, procedure: str, picks: dict[str, str] | None = None) -> None:
        """From the read-back to the receipt: yes, the service, answers, review, consent."""
        self.tap("readbackYes")
        assert self.page is Page.SERVICES, (self.page, self.notice())
        self.tap(f"service_{procedure}")
        self.answer_everything(procedure, picks)
        assert self.page is Page.REVIEW, (procedure, self.page, self.notice())
        self.tap("reviewOk")
        assert self.page is Page.CONSENT, (self.page, self.notice())
        self.tap("consentYes")
        self.wait_page(Page.RECEIPT)

    def pin_visit(
        self, resident_id: str, procedure: str, picks: dict[str, str] | None = None
    ) -> Tally:
        """A whole visit on the PIN path: card on the reader to the receipt (counted), then
        "done" and the card taken. Returns the count."""
        r = demo_resident(resident_id)
        self.taps, self.screens = 0, []
        self.place(resident_id)
        self.prove_with_pin(r.pin)
        proving = self.taps
        self.to_receipt(procedure, picks)
        tally = Tally(
            procedure,
            taps=self.taps,
            screens=len(self.screens),
            questions=len(self.session.visit.asked),
            taps_to_prove_identity=proving,
        )
        receipt = self.session.receipt
        assert receipt is not None and receipt.reference in self.store.references()
        self.tap("receiptDone")
        self.wait_page(Page.TAKE_CARD)
        self.take_card()
        self.wait_page(Page.WELCOME)
        return tally

    # -- what the window and the session hold -------------------------------------------------

    def window_texts(self) -> list[str]:
        """Every text any widget of the window holds, shown or not (labels, buttons, fields,
        keypad displays, tooltips, accessible names), and the voice's recent lines."""
        w = self.kiosk.window
        texts: list[str] = []
        for widget in w.findChildren(QWidget):
            texts += [widget.toolTip(), widget.accessibleName(), widget.accessibleDescription()]
            if isinstance(widget, TrLabel):
                texts += [widget.text(), widget.raw_text()]
            elif isinstance(widget, (QLabel, QAbstractButton)):
                texts.append(widget.text())
            elif isinstance(widget, QLineEdit):
                texts += [widget.text(), widget.displayText()]
        return [t for t in texts if t]

    def pictures_shown(self) -> list[str]:
        """Object names of labels that hold a picture (a card photo, a damage photo)."""
        w = self.kiosk.window
        return [
            lab.objectName() or type(lab).__name__
            for lab in w.findChildren(QLabel)
            if lab.pixmap() is not None and not lab.pixmap().isNull()
        ]

    def visit_differences(self) -> list[str]:
        """Fields of the session's visit that differ from a fresh visit (the id aside)."""
        fresh = Visit(language=self.session.default_language)
        now = self.session.visit
        return [
            f.name
            for f in fields(Visit)
            if f.name != "id" and getattr(now, f.name) != getattr(fresh, f.name)
        ]


def free_vpcd_port() -> int:
    """A vpcd reader with no card in it (pcscd is shared with other test runs)."""
    for port in VPCD_PORTS:
        if _reader_is_empty(vpcd_reader_name(port)):
            return port
    raise AssertionError(f"every vpcd reader holds a card already: {VPCD_PORTS}")


@contextlib.contextmanager
def private_tempdir(root: Path) -> Iterator[Path]:
    """`tempfile` (and child processes via TMPDIR) write under `root` for the block."""
    import os

    root.mkdir(parents=True, exist_ok=True)
    saved, saved_env = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir = str(root)
    os.environ["TMPDIR"] = str(root)
    try:
        yield root
    finally:
        tempfile.tempdir = saved
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env


@contextlib.contextmanager
def log_to(file: Path) -> Iterator[Path]:
    """The `kiosk` loggers write JSON lines to `file` (all levels) as the running kiosk does."""
    root = logging.getLogger("kiosk")
    saved = (list(root.handlers), root.level, root.propagate)
    logs.setup(file, verbose=True, stderr=False)
    try:
        yield file
    finally:
        for h in list(root.handlers):
            h.flush()
            root.removeHandler(h)
            h.close()
        handlers, level, propagate = saved
        for h in handlers:
            root.addHandler(h)
        root.setLevel(level)
        root.propagate = propagate


@contextlib.contextmanager
def assembled(
    qtbot: QtBot,
    data_dir: Path,
    translations: Translations,
    *,
    role: str = "cityhall",
    inactivity_s: int = 90,
    sealed: bool = True,
) -> Iterator[Driver]:
    """The whole kiosk in demo mode, shown at 1080p. The outbox drop folder is sealed to a
    back-office key made here (`Driver.recipient`) unless `sealed` is False."""
    recipient = X25519PrivateKey.generate()
    key_file = data_dir.parent / f"{data_dir.name}-backoffice.pub.pem"
    key_file.write_bytes(
        recipient.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    settings = Settings(
        site=SiteSettings(role=role),  # type: ignore[arg-type]
        card=CardSettings(vpcd_port=free_vpcd_port()),
        ui=UiSettings(voice=False),  # the real engines stay off; a quiet speaker is put in
        # The drop folder is sealed to the back office's key; deliveries run every second.
        sink=SinkSettings(
            recipient_public_key=str(key_file) if sealed else "",
            allow_plaintext=not sealed,  # the unsealed case shows what the scan would find
            sync_interval_s=1,
        ),
    )
    settings = replace(settings, session=replace(settings.session, inactivity_s=inactivity_s))
    data = DataDir(data_dir).ensure()
    clock = SteppedClock(SystemClock())
    synth = QuietSynth()
    speaker = Speaker(SilentPlayer(), cast(Synthesizer, synth))
    with log_to(data.log_file):
        kiosk = Kiosk.assemble(settings, data, "on", translations, clock=clock, speaker=speaker)
        try:
            yield _driver(kiosk, qtbot, data, recipient, clock, speaker, synth)
        finally:
            kiosk.close()
            speaker.close()
            if kiosk.slot is not None:
                kiosk.slot.wait_absent()  # the next test looks for an empty reader


def _driver(
    kiosk: Kiosk,
    qtbot: QtBot,
    data: DataDir,
    recipient: X25519PrivateKey,
    clock: SteppedClock,
    speaker: Speaker,
    synth: QuietSynth,
) -> Driver:
    window = kiosk.window
    window.voice_enabled = True
    driver = Driver(kiosk, qtbot, data, clock, speaker, synth, recipient)
    window.page_shown.connect(driver.screens.append)
    window.resize(1920, 1080)
    window.show()
    qtbot.waitExposed(window)
    handle = window.windowHandle()
    if handle is not None:
        handle.requestActivate()
    assert kiosk.tray is not None
    kiosk.tray.show()
    return driver


# -- what must never be found -----------------------------------------------------------------


def birth_date_spellings(d: date) -> list[str]:
    w = to_wareki(d)
    era, y = w.era.value, w.year_text
    return [
        d.isoformat(),
        d.strftime("%Y%m%d"),
        d.strftime("%Y/%m/%d"),
        f"{d.year}年{d.month}月{d.day}日",
        f"{era}{y}年{d.month}月{d.day}日",
        f"{era}{y}年{d.month:02d}月{d.day:02d}日",
        w.display(),
    ]


def name_spellings(r: DemoResident) -> list[str]:
    family, _, given = r.name.partition("\u3000")
    return [r.name, f"{family} {given}", f"{family}{given}", given]


def address_spellings(r: DemoResident) -> list[str]:
    half = r.address.translate({0xFF10 + i: 0x30 + i for i in range(10)})
    return [r.address, half, r.address[len(r.address) // 2 :]]


def personal_needles(resident_id: str) -> list[str]:
    """What of a demo resident must never rest in plaintext: name, address, birth date
    (several spellings), 照合番号B and the card's My Number."""
    r = demo_resident(resident_id)
    needles = [*name_spellings(r), *address_spellings(r), *birth_date_spellings(r.birth_date)]
    needles += [r.pin_b, _fake_number(r).decode()]
    return [n for n in dict.fromkeys(needles) if len(n.encode("utf-16-le")) >= 4]


def card_photo_pieces(resident_id: str, size: int = 48) -> list[bytes]:
    """Three slices of the resident's card-face photo (JPEG 2000) as the chip holds it."""
    photo = photo_jp2(demo_resident(resident_id))
    third = len(photo) // 3
    return [photo[i : i + size] for i in (64, third, 2 * third)]


def standalone(pin: str) -> bytes:
    """A regex for `pin` standing alone (not inside a longer run of digits or hex)."""
    return rb"(?<![0-9A-Za-z])" + pin.encode() + rb"(?![0-9A-Za-z])"


def files_in(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out += [f for f in sorted(p.rglob("*")) if f.is_file() and not f.is_symlink()]
    return out


def wait_delivered(driver: Driver, timeout_s: float = 30.0) -> int:
    """Wait until the housekeeping thread has delivered every submission; their count."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = driver.store.outbox_status()
        if status.pending == 0 and status.held == 0:
            return status.delivered
        assert time.monotonic() < deadline, status
        driver.qtbot.wait(200)
