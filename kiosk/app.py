"""Composition root: settings -> devices (real or demo) -> store -> flows -> ui.

Nothing else builds collaborators; everything below receives what it needs through its
constructor, so a test can build any part with small fakes.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from kiosk import logs
from kiosk.config import Settings, StaffMember, StaffSettings
from kiosk.devices.bell import Bell
from kiosk.devices.camera import (
    DEMO_CARD_FRONT,
    DEMO_NOBODY,
    DEMO_OTHER,
    DEMO_PRINTED,
    DEMO_RESIDENT,
    DEMO_SCREEN,
    Camera,
    FileCamera,
    OpenCvCamera,
    camera_present,
    demo_camera,
    demo_scenes,
)
from kiosk.devices.card import pcscd
from kiosk.devices.card.errors import CardError
from kiosk.devices.card.front_ocr import CardFrontReader
from kiosk.devices.card.monitor import CardWatcher
from kiosk.devices.card.reader import card_uid, list_readers
from kiosk.devices.card.trust import resolve as resolve_trust
from kiosk.devices.card.virtual import DemoResident, VirtualCardSlot, list_demo_residents
from kiosk.devices.card.virtual import front as card_front
from kiosk.devices.card.virtual.slot import vpcd_reader_name
from kiosk.devices.card.vpcd import DEFAULT_PORT as DEFAULT_VPCD_PORT
from kiosk.devices.face.matcher import MatchSettings
from kiosk.devices.face.process import MatcherProcess
from kiosk.devices.speech import Speaker
from kiosk.errors import KnownError
from kiosk.flows.camera_access import CameraCardFront, CameraPreview
from kiosk.flows.card_access import CardOnReader
from kiosk.flows.face_check import CameraFaceCheck
from kiosk.flows.ports import Clock, FaceDecided, FaceGuidance, KioskExitPort, Ports
from kiosk.flows.services import CameraStills, SiteServices
from kiosk.flows.session import Page, SessionMachine
from kiosk.flows.site import StaffBell, StoreAudit, SystemClock, TicketCounter, TodaysFigures
from kiosk.flows.staff import ConfigStaff, card_hash, pin_hash
from kiosk.instance import InstanceLock
from kiosk.paths import DataDir
from kiosk.store.housekeeping import Housekeeping
from kiosk.store.outbox import sink_from_settings
from kiosk.store.store import Store
from kiosk.ui.demo_tray import DemoTray, TrayResident
from kiosk.ui.i18n import Translations
from kiosk.ui.main_window import MainWindow, SwitchKeys
from kiosk.watchdog import Watchdog, request_admin_stop

log = logging.getLogger("kiosk.app")

VIRTUAL_READER_PREFIX = "Virtual PCD"


def main(
    settings: Settings,
    data: DataDir,
    demo: str,
    screenshot: Path | None = None,
    exit_after: float | None = None,
    verbose: bool = False,
) -> int:
    """Run the kiosk until it is closed; returns the process exit code."""
    logs.setup(data.log_file, verbose=verbose)
    with InstanceLock(data.lock_file):
        logs.event(log, "app.starting", role=settings.site.role, kiosk_id=settings.site.kiosk_id)
        app = QApplication.instance() or QApplication(sys.argv[:1])
        assert isinstance(app, QApplication)
        app.setApplicationName("madoguchi-kiosk")
        translations = Translations(app, settings.site.language)
        dog = Watchdog.from_env()
        kiosk = Kiosk.assemble(settings, data, demo, translations, AdminExit(app, dog))
        try:
            _quit_on_signals(app)
            first = FirstScreen(kiosk.window)
            first.painted.connect(lambda: logs.event(log, "app.first_screen"))
            # Slow helpers (the face matcher's models) start once the resident sees a screen.
            first.painted.connect(lambda: QTimer.singleShot(0, kiosk.warm_up))
            kiosk.show()
            logs.event(log, "app.ready", demo_card=kiosk.demo_card, page=kiosk.current_page())
            dog.ready()
            # Pinged from the GUI thread: a frozen screen stops the pings and systemd restarts us.
            heartbeat = QTimer(app)
            heartbeat.timeout.connect(dog.ping)
            if dog.ping_interval_ms:
                heartbeat.start(dog.ping_interval_ms)
            if screenshot is not None:
                shot = screenshot
                first.painted.connect(lambda: _save_and_quit(app, kiosk, shot))
            if exit_after is not None:
                QTimer.singleShot(int(exit_after * 1000), app.quit)
            rc = app.exec()
            dog.stopping()
        finally:
            kiosk.close()
            translations.close()
        logs.event(log, "app.stopped", code=rc)
        return rc


class AdminExit:
    """An administrator leaves the kiosk: under systemd the stop flag keeps the service from
    starting it again (until reboot or resume); then the app quits."""

    def __init__(self, app: QApplication, dog: Watchdog) -> None:
        self._app = app
        self._dog = dog

    def leave(self) -> bool:
        if self._dog.enabled:
            try:
                request_admin_stop()
            except OSError as e:
                logs.event(log, "app.admin_stop_failed", error=type(e).__name__)
                return False
        logs.event(log, "app.admin_left")
        QTimer.singleShot(0, self._app.quit)
        return True


class FirstScreen(QObject):
    """Tells once when the window has painted its first screen (or after `deadline_ms`, if a
    platform never paints a hidden or covered window: the screenshot must not wait for ever)."""

    painted = Signal()

    def __init__(self, window: QWidget, deadline_ms: int = 5000) -> None:
        super().__init__(window)
        self._seen = False
        self._told = False
        window.installEventFilter(self)
        QTimer.singleShot(deadline_ms, self._tell)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._seen and event.type() == QEvent.Type.Paint:
            self._seen = True
            QTimer.singleShot(0, self._tell)  # after the paint has reached the screen
        return False

    def _tell(self) -> None:
        if not self._told:
            self._told = True
            self.painted.emit()


class CardEvents(QObject):
    """Brings the card watcher's thread to the Qt thread: its signals are queued. Once shut
    (the kiosk closing), a signal still in the queue is dropped: it must not reach a session
    whose store is closed."""

    inserted = Signal(str)
    removed = Signal(str)
    failed = Signal(str)

    def __init__(
        self,
        on_inserted: Callable[[str], None],
        on_removed: Callable[[str], None],
        on_failed: Callable[[str], None],
    ) -> None:
        super().__init__()
        self.open = True
        self.inserted.connect(lambda r: self._deliver(on_inserted, r))
        self.removed.connect(lambda r: self._deliver(on_removed, r))
        self.failed.connect(lambda m: self._deliver(on_failed, m))

    def _deliver(self, handler: Callable[[str], None], value: str) -> None:
        if self.open:
            handler(value)

    def shut(self) -> None:
        self.open = False


@dataclass
class Kiosk:
    """The assembled kiosk: what must be shown, what tests may look at, and `resources`, an
    ExitStack that closes everything in the reverse order it was opened."""

    window: MainWindow
    session: SessionMachine
    store: Store
    services: SiteServices
    preview: CameraPreview
    card_events: CardEvents
    resources: contextlib.ExitStack
    slot: VirtualCardSlot | None = None
    tray: DemoTray | None = None
    fullscreen: bool = False
    warm_ups: tuple[Callable[[], object], ...] = ()  # slow helpers to start after the first screen

    @property
    def demo_card(self) -> bool:
        return self.slot is not None

    @classmethod
    def assemble(
        cls,
        settings: Settings,
        data: DataDir,
        demo: str,
        translations: Translations,
        kiosk_exit: KioskExitPort | None = None,
        *,
        clock: Clock | None = None,
        speaker: Speaker | None = None,
    ) -> Kiosk:
        """Build the kiosk. `clock` and `speaker` replace the system clock and the voice
        (tests step time and listen); a given speaker is the caller's to close."""
        with contextlib.ExitStack() as stack:
            kiosk = cls._build(stack, settings, data, demo, translations, kiosk_exit, clock,
                               speaker)  # fmt: skip
            stack.pop_all()  # built whole: from now on `kiosk.close()` closes it
        return kiosk

    @classmethod
    def _build(
        cls,
        stack: contextlib.ExitStack,
        settings: Settings,
        data: DataDir,
        demo: str,
        translations: Translations,
        kiosk_exit: KioskExitPort | None,
        clock: Clock | None,
        speaker: Speaker | None,
    ) -> Kiosk:
        # Each resource is closed right after it is opened (`_closing`): a failure halfway
        # closes what was opened, and at the end everything closes in reverse order.
        resources = contextlib.ExitStack()
        stack.callback(resources.close)
        daemon = pcscd.PcscDaemon.ensure(autostart=settings.card.pcscd_autostart)
        _closing(resources, daemon.stop)
        demo_card = demo == "on" or (demo == "auto" and not _real_readers())
        slot = VirtualCardSlot(settings.card.vpcd_port) if demo_card else None
        reader = vpcd_reader_name(settings.card.vpcd_port) if slot else settings.card.reader
        # Demo mode with no staff configured: the demo accounts, whose clerk's staff card goes
        # on vpcd's other reader (Debian's vpcd has two).
        demo_staff = demo_card and not settings.staff.members
        staff_settings = _demo_staff() if demo_staff else settings.staff
        staff_slot = (
            VirtualCardSlot(_other_vpcd_port(settings.card.vpcd_port)) if demo_staff else None
        )
        for s in (slot, staff_slot):
            if s is not None:
                _closing(resources, s.close)  # after the watcher: no card vanishes under it
        staff_reader = staff_slot.reader_name if staff_slot else staff_settings.card_reader
        trust = resolve_trust(settings.card.trust_table, demo=demo_card)

        store = Store.open(data, settings)
        _closing(resources, store.close)
        housekeeping = Housekeeping(
            store, sink_from_settings(settings.sink, data), settings.sink.sync_interval_s
        )
        housekeeping.start()
        _closing(resources, housekeeping.stop)  # before the store closes

        if speaker is None:
            speaker = Speaker(muted=not settings.ui.voice)
            _closing(resources, speaker.close)
        gui = GuiThread()
        _closing(resources, gui.shut)  # before the store closes: a late result is dropped
        camera = _camera(settings, demo)
        preview = CameraPreview(camera)
        _closing(resources, camera.stop)
        # Matching in a child process keeps the preview at the camera's frame rate (face.md).
        # Started by `warm_up` after the first screen, or by the first face check.
        matcher = MatcherProcess(MatchSettings.from_face_settings(settings.face), start=False)
        _closing(resources, matcher.close)
        face = GuiThreadFace(CameraFaceCheck(camera, matcher), gui)
        _closing(resources, face.close)
        services = SiteServices(settings, store, demo=demo_card, camera=CameraStills(preview))
        staff = ConfigStaff(staff_settings, audit=StoreAudit(store))  # locks are audited
        worker = Worker(gui)
        _closing(resources, worker.close)
        ports = Ports(
            card=CardOnReader(trust, reader),
            face=face,
            staff=staff,
            clock=clock or SystemClock(),
            audit=StoreAudit(store),
            procedures=services,
            staff_call=StaffBell(Bell().ring),
            counter=TicketCounter(data.root / "tickets.json"),
            defer=lambda fn: QTimer.singleShot(0, fn),
            background=worker.run,
            staff_cards=bool(staff_reader),
            desk=services,
            card_front=CameraCardFront(preview, CardFrontReader()),
            statistics=TodaysFigures(store),
            kiosk_exit=kiosk_exit,
        )
        session = SessionMachine(
            ports,
            settings.site.offered_procedures,
            language=settings.site.language,
            inactivity_s=settings.session.inactivity_s,
            warning_s=settings.session.warning_s,
            card_grace_s=settings.session.card_grace_s,
            face_attempts=settings.face.max_attempts,
            large_text=settings.ui.large_text,
        )
        switch_keys = (
            SwitchKeys.from_names(settings.ui.switch_next_key, settings.ui.switch_select_key)
            if settings.ui.switch_scan
            else None
        )
        window = MainWindow(
            session,
            translations.use,
            speech=speaker,
            frames=preview,
            voice=settings.ui.voice,
            switch_keys=switch_keys,
            take_card_repeat_ms=settings.session.take_card_repeat_s * 1000,
        )
        # The camera rests (its light off) while nobody is being served.
        rest = QTimer(window)
        rest.timeout.connect(lambda: preview.rest() if session.page is Page.WELCOME else None)
        rest.start(3000)
        _closing(resources, rest.stop)

        def inserted(r: str) -> None:
            if staff_reader and r == staff_reader:
                _staff_card_placed(session, r)
            elif _ours(reader, r):
                session.card_inserted()

        def removed(r: str) -> None:
            if _ours(reader, r) and r != staff_reader:
                session.card_removed()

        events = CardEvents(
            inserted, removed, lambda m: logs.event(log, "card.watcher_error", error=m)
        )
        watcher = CardWatcher(
            events.inserted.emit, events.removed.emit, lambda e: events.failed.emit(e.message_id)
        ).start()
        _closing(resources, watcher.stop)
        _closing(resources, events.shut)  # first of all: a queued removal finds the door shut
        tray = None
        if slot is not None:
            demo_people = [
                r for r in list_demo_residents() if r.kind != "staff" or staff_slot is not None
            ]
            residents = [
                TrayResident(r.id, r.label, r.pin, r.pin_b, tap=r.kind == "staff")
                for r in demo_people
            ]
            scenes = _DemoScenes(camera, {r.id: r for r in demo_people})
            tray = DemoTray(
                residents,
                _SceneFollowsCard(slot, scenes, staff_slot),
                DEMO_SCENES,
                scenes.choose,
                source_on_insert=DEMO_RESIDENT,
            )
        return cls(
            window,
            session,
            store,
            services,
            preview,
            events,
            resources,
            slot,
            tray,
            settings.ui.fullscreen,
            warm_ups=(matcher.start,),
        )

    def show(self) -> None:
        if self.fullscreen:
            self.window.showFullScreen()
        else:
            # A 1080p kiosk screen, or as much of a smaller one (a volunteer's laptop) as there is.
            screen = self.window.screen().availableGeometry()
            self.window.resize(min(1920, screen.width()), min(1080, screen.height()))
            self.window.show()
        if self.tray is not None:
            geo = self.window.frameGeometry()
            self.tray.move(geo.right() + 8, geo.top())
            self.tray.resize(360, geo.height())
            self.tray.show()

    def current_page(self) -> str:
        return self.session.page.value

    def screenshot(self, path: Path) -> bool:
        widget: QWidget = self.window
        return widget.grab().save(str(path), "PNG")

    def warm_up(self) -> None:
        """Start what is slow to start (the face matcher's models) while the resident reads."""
        for start in self.warm_ups:
            start()

    def close(self) -> None:
        if self.tray is not None:
            self.tray.close()
        self.window.close()
        self.resources.close()


def _closing(stack: contextlib.ExitStack, close: Callable[[], object]) -> None:
    """Close at the end, in reverse order; one stuck device must not keep the others open."""

    def guarded() -> None:
        try:
            close()
        except Exception:
            log.exception("app.close_failed")

    stack.callback(guarded)


def _ours(reader: str, reported: str) -> bool:
    """With a configured (or virtual) reader, cards on other readers are not ours."""
    return not reader or reader == reported


def _real_readers() -> list[str]:
    try:
        return [r for r in list_readers() if not r.startswith(VIRTUAL_READER_PREFIX)]
    except (CardError, KnownError):
        return []


def _save_and_quit(app: QApplication, kiosk: Kiosk, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = kiosk.screenshot(path)
    logs.event(log, "app.screenshot", saved=ok)
    app.exit(0 if ok else 1)


def _quit_on_signals(app: QApplication) -> None:
    """SIGTERM/SIGINT end the event loop cleanly (systemd stop, Ctrl-C)."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: app.quit())
    # Python runs signal handlers only between bytecodes: wake the interpreter regularly.
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(200)


def _camera(settings: Settings, demo: str) -> Camera:
    """The real camera, or in demo mode (or with none attached) the demo file camera."""
    if settings.camera.demo_frames:
        return FileCamera.from_path(Path(settings.camera.demo_frames))
    if demo != "on" and (demo == "off" or camera_present(settings.camera.device)):
        return OpenCvCamera(settings.camera.device, settings.camera.width, settings.camera.height)
    people = [r for r in list_demo_residents() if r.photo]
    return demo_camera(people[0].photo_path, people[-1].photo_path, fps=15)


DEMO_SCENES = (
    DEMO_NOBODY,
    DEMO_RESIDENT,
    DEMO_CARD_FRONT,
    DEMO_OTHER,
    DEMO_PRINTED,
    DEMO_SCREEN,
)


class _DemoScenes:
    """What the demo camera shows follows the card on the tray: that resident's face, and
    their card front for reading 照合番号B with the camera."""

    def __init__(self, camera: Camera, residents: dict[str, DemoResident]) -> None:
        self._camera = camera if isinstance(camera, FileCamera) else None
        self._residents = {rid: r for rid, r in residents.items() if r.photo}
        self._photos = [p.photo_path for p in self._residents.values()]

    def resident(self, resident_id: str) -> None:
        person = self._residents.get(resident_id)
        if self._camera is None or person is None:
            return
        photo = person.photo_path
        other = next((p for p in self._photos if p != photo), photo)
        front = (lambda: card_front.demo_frames(person)) if card_front.can_draw() else None
        self._camera.replace_scenes(demo_scenes(photo, other, front))

    def choose(self, scene: str) -> None:
        if self._camera is not None and scene in self._camera.scene_names:
            self._camera.choose(scene)


class _SceneFollowsCard:
    """The tray's card slot, telling the demo camera whose card was placed."""

    def __init__(
        self,
        slot: VirtualCardSlot,
        scenes: _DemoScenes,
        staff_slot: VirtualCardSlot | None = None,
    ) -> None:
        self._slot = slot
        self._scenes = scenes
        self._staff_slot = staff_slot

    @property
    def inserted(self) -> str | None:
        return self._slot.inserted

    def insert(self, resident_id: str) -> None:
        self._scenes.resident(resident_id)
        self._slot.insert(resident_id)

    def remove(self) -> None:
        self._slot.remove()

    def tap(self, card_id: str) -> None:
        """A staff card held to the staff reader for two seconds, then taken away."""
        staff_slot = self._staff_slot
        if staff_slot is None:
            return
        staff_slot.insert(card_id)
        timer = threading.Timer(2.0, staff_slot.remove)
        timer.daemon = True
        timer.start()


def _other_vpcd_port(port: int) -> int:
    """Debian's vpcd listens on 35963 and 35964: the one the resident's slot does not use."""
    return port + 1 if port == DEFAULT_VPCD_PORT else DEFAULT_VPCD_PORT


def _staff_card_placed(session: SessionMachine, reader: str) -> None:
    """Read the staff card's UID (a pseudo-APDU the reader answers, a few ms) and sign in."""
    try:
        uid = card_uid(reader)
    except CardError as e:
        logs.event(log, "staff.card_unreadable", error=e.message_id)
        return
    session.staff_card(uid)


class GuiThread(QObject):
    """Runs callables on the GUI thread, whichever thread asks (a worker's callback)."""

    _call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.open = True
        self._call.connect(lambda fn: fn() if self.open else None)

    def post(self, fn: Callable[[], object]) -> None:
        self._call.emit(fn)

    def shut(self) -> None:
        """Drop what is still queued (a worker's result for a closed kiosk)."""
        self.open = False


class Worker:
    """`Ports.background`: slow work (card-front OCR) on one worker thread, its result handed
    back on the GUI thread. One at a time: a second request waits for the first. Work that
    fails with a bug is logged and gives None (nothing read), so the page moves on."""

    def __init__(self, gui: GuiThread) -> None:
        self._gui = gui
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-worker")

    def run(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        def job() -> None:
            try:
                result = work()
            except Exception:  # a bug must not leave the resident on "reading" for ever
                log.exception("app.worker_failed")
                result = None
            self._gui.post(lambda: then(result))

        self._pool.submit(job)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class GuiThreadFace:
    """The face check with its callbacks brought to the GUI thread, as the session expects."""

    def __init__(self, check: CameraFaceCheck, gui: GuiThread) -> None:
        self._check = check
        self._gui = gui

    def start(self, photo: bytes, on_guidance: FaceGuidance, on_verdict: FaceDecided) -> None:
        self._check.start(photo, self._guide(on_guidance), self._decide(on_verdict))

    def retry(self, on_guidance: FaceGuidance, on_verdict: FaceDecided) -> None:
        self._check.retry(self._guide(on_guidance), self._decide(on_verdict))

    def cancel(self) -> None:
        self._check.cancel()

    def close(self) -> None:
        self._check.close()

    def _guide(self, fn: FaceGuidance) -> FaceGuidance:
        return lambda g: self._gui.post(lambda: fn(g))

    def _decide(self, fn: FaceDecided) -> FaceDecided:
        return lambda v: self._gui.post(lambda: fn(v))


def _demo_staff() -> StaffSettings:
    """Demo mode only (never at a real site): a clerk, a supporter and an administrator with
    PINs shown in the tray; demo-clerk's staff card is the demo residents' `staffcard`
    (assets/demo/residents.toml)."""
    card = next((r for r in list_demo_residents() if r.kind == "staff"), None)
    clerk_card = card_hash(bytes.fromhex(card.card_uid)) if card else ""
    return StaffSettings(
        members=(
            StaffMember("demo-clerk", "clerk", pin_hash("demo-clerk", "1111"), clerk_card),
            StaffMember("demo-supporter", "supporter", pin_hash("demo-supporter", "2222")),
            StaffMember("demo-admin", "admin", pin_hash("demo-admin", "9999")),
        )
    )
