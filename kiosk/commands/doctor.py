"""`kiosk doctor [--json]`: is this machine ready to be a kiosk, and what to fix if not.

Each check is a plain function returning a `Finding`; `run_checks` runs them all in order.
A finding is "ok", "warn" (works, but look at it) or "fail" (something the kiosk needs is
missing); the command exits 1 when any finding failed. Checks never change the machine:
nothing is started, written (beyond the data dir's own probe file) or installed.
For administrators, so its text is English and lives here, like the other commands' output.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from kiosk import paths
from kiosk.cli import emit_json
from kiosk.commands import Context
from kiosk.config import Settings
from kiosk.errors import KnownError

Status = Literal["ok", "warn", "fail"]
VIRTUAL_READER_PREFIX = "Virtual PCD"  # vsmartcard-vpcd's readers (demo and tests)
MIN_FREE_MB = 500  # below this the store's next rotation or a day of PDFs may not fit
LOW_FREE_MB = 2000
JAPAN_UTC_OFFSET_S = 9 * 3600


@dataclass(frozen=True)
class Finding:
    """One check's result: what was found and, unless ok, what to do about it."""

    check: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "fail"


@dataclass(frozen=True)
class Machine:
    """What the checks look at, so tests can point them at another data dir or camera node."""

    settings: Settings
    data_root: Path
    dev: Path = Path("/dev")

    @property
    def demo(self) -> Literal["auto", "on", "off"]:
        return self.settings.site.demo


# -- the checks ------------------------------------------------------------------------------


def check_pcscd(m: Machine) -> Finding:
    from kiosk.devices.card import pcscd

    if pcscd.is_running():
        return Finding("pcscd", "ok", f"running (socket {pcscd.socket_path()})")
    exe = shutil.which("pcscd") or ("/usr/sbin/pcscd" if Path("/usr/sbin/pcscd").exists() else "")
    if not exe:
        return Finding("pcscd", "fail", "not installed", "sudo apt install pcscd")
    if m.settings.card.pcscd_autostart and os.geteuid() == 0:
        return Finding(
            "pcscd",
            "warn",
            f"not running; the kiosk will start {exe} itself (running as root)",
            pcscd.SITE_HINT,
        )
    return Finding("pcscd", "fail", f"installed ({exe}) but not running", pcscd.SITE_HINT)


def check_readers(m: Machine) -> Finding:
    from kiosk.devices.card import pcscd
    from kiosk.devices.card.reader import list_readers

    if not pcscd.is_running():
        # Demo and outreach kiosks start pcscd themselves; a site without readers cannot work.
        status: Status = "fail" if m.demo == "off" else "warn"
        return Finding(
            "readers",
            status,
            "cannot list readers while pcscd is not running",
            "fix pcscd first (see above), then run the doctor again",
        )
    try:
        readers = list_readers()
    except KnownError as e:
        return Finding(
            "readers",
            "fail",
            f"cannot list readers: {e.detail or e.message_id}",
            "check pcscd: `systemctl status pcscd`",
        )
    real = [r for r in readers if not r.startswith(VIRTUAL_READER_PREFIX)]
    virtual = [r for r in readers if r.startswith(VIRTUAL_READER_PREFIX)]
    wanted = m.settings.card.reader
    found = f"real: {real or 'none'}; virtual: {len(virtual)}"
    if wanted and wanted not in readers:
        return Finding(
            "readers",
            "fail",
            f"configured reader {wanted!r} not found ({found})",
            "plug it in, or fix [card] reader (names as `pcsc_scan` lists them)",
        )
    if real:
        return Finding("readers", "ok", found)
    if m.demo == "on":
        return Finding("readers", "ok", f"demo mode: the virtual card reader is used ({found})")
    fix = (
        "plug in a PC/SC card reader (contact or NFC); check it with `pcsc_scan`. "
        "A reader that does not show: is its driver (libccid) installed?"
    )
    if m.demo == "auto":
        return Finding("readers", "warn", f"no real reader: demo mode ({found})", fix)
    return Finding("readers", "fail", f"no real card reader ({found})", fix)


def check_camera(m: Machine, open_timeout_s: float = 5.0) -> Finding:
    device = m.settings.camera.device
    node = m.dev / f"video{device}"
    fix = (
        "plug in the camera (UVC), check `ls /dev/video*`, set [camera] device, and that "
        "the kiosk user is in the `video` group"
    )
    if not node.exists():
        status: Status = "ok" if m.demo == "on" else ("warn" if m.demo == "auto" else "fail")
        return Finding(
            "camera",
            status,
            f"{node} does not exist"
            + ("; demo mode uses the file camera" if m.demo != "off" else ""),
            "" if status == "ok" else fix,
        )
    if not os.access(node, os.R_OK | os.W_OK):
        return Finding(
            "camera",
            "fail",
            f"{node}: no permission for this user",
            "add the kiosk user to the `video` group",
        )
    from kiosk.devices.camera import CameraError, OpenCvCamera

    s = m.settings.camera
    camera = OpenCvCamera(s.device, s.width, s.height)
    try:
        camera.start()
        deadline = time.monotonic() + open_timeout_s
        while camera.latest() is None and camera.error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        frame, error = camera.latest(), camera.error
    except CameraError as e:
        return Finding(
            "camera",
            "fail",
            f"{node}: {e.detail or e.message_id}",
            "is another program using the camera? unplug and plug it again",
        )
    finally:
        camera.stop()
    if frame is None:
        why = error.detail if error is not None else f"no frame within {open_timeout_s:.0f} s"
        return Finding("camera", "fail", f"{node} opened but {why}", fix)
    height, width = frame.rgb.shape[:2]
    return Finding("camera", "ok", f"{node} gives {width}x{height} frames")


def available_printers() -> list[str]:
    """Printer names as Qt's print support sees them (CUPS), without QtWidgets."""
    from PySide6.QtPrintSupport import QPrinterInfo

    from kiosk.devices.printer import _gui_app

    _gui_app()
    return [p.printerName() for p in QPrinterInfo.availablePrinters()]


def check_printer(
    m: Machine, printers: Callable[[], Sequence[str]] = available_printers
) -> Finding:
    name = m.settings.printer.name
    if not name:
        return Finding(
            "printer",
            "warn",
            "not configured: receipts are saved as PDF only",
            "to print, set [printer] name to a CUPS queue (`lpstat -p` lists them)",
        )
    try:
        names = list(printers())
    except Exception as e:  # Qt print support missing its CUPS plugin: report, don't crash
        return Finding("printer", "fail", f"cannot list printers: {e}", "sudo apt install cups")
    if name not in names:
        return Finding(
            "printer",
            "fail",
            f"printer {name!r} not found (have: {names or 'none'})",
            "add it in CUPS (http://localhost:631) or fix [printer] name",
        )
    return Finding("printer", "ok", f"{name!r} is available")


def check_voice(m: Machine) -> Finding:
    if not m.settings.ui.voice:
        return Finding("voice", "ok", "voice guidance is off ([ui] voice = false)")
    from kiosk.devices.speech import Synthesizer

    synth = Synthesizer()
    engines, missing = [], []
    for lang, engine, package in (
        ("ja", "Open JTalk", "pyopenjtalk-plus (pip)"),
        ("en", "espeak-ng", "espeak-ng (apt)"),
    ):
        try:
            synth.synthesize("テスト" if lang == "ja" else "test", lang)
            engines.append(engine)
        except (KnownError, OSError, subprocess.SubprocessError) as e:
            missing.append(f"{engine}: {getattr(e, 'detail', '') or e} — install {package}")
    if missing:
        return Finding(
            "voice",
            "fail",
            "; ".join(missing),
            "install the missing engine, or set [ui] voice = false",
        )
    player = "aplay" if shutil.which("aplay") else ("paplay" if shutil.which("paplay") else "")
    if not player:
        return Finding(
            "voice",
            "warn",
            f"{', '.join(engines)} work, but nothing plays sound",
            "sudo apt install alsa-utils",
        )
    if not any((m.dev / "snd").glob("pcmC*D*p")):
        return Finding(
            "voice",
            "warn",
            f"{', '.join(engines)} work, but no sound card is present",
            "connect speakers; `aplay -l` should list a card",
        )
    return Finding("voice", "ok", f"{', '.join(engines)}; plays with {player}")


def check_disk(m: Machine) -> Finding:
    root = m.data_root
    probe = root / ".doctor-probe"
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as e:
        return Finding(
            "disk",
            "fail",
            f"{root} is not writable: {e.strerror}",
            "the data dir must belong to the kiosk user (mode 0700)",
        )
    free_mb = shutil.disk_usage(root).free // 2**20
    detail = f"{free_mb} MB free in {root}"
    if free_mb < MIN_FREE_MB:
        return Finding(
            "disk",
            "fail",
            detail,
            f"free at least {MIN_FREE_MB} MB; `kiosk purge` removes delivered data",
        )
    if free_mb < LOW_FREE_MB:
        return Finding("disk", "warn", detail, "free some space soon")
    return Finding("disk", "ok", detail)


def check_clock(m: Machine, now: datetime | None = None) -> Finding:
    """`now` (aware) stands in for the clock; by default the system time in its zone."""
    # The machine's own zone; a time passed in keeps the zone it carries.
    local = now if now is not None and now.tzinfo is not None else datetime.now().astimezone()
    offset = local.utcoffset()
    zone = f"{local.tzname()} (UTC{local.strftime('%z')})"
    detail = f"{local:%Y-%m-%d %H:%M} {zone}"
    if not 2024 <= local.year <= 2100:
        return Finding(
            "clock",
            "fail",
            f"{detail}: the year is wrong",
            "set the time (`timedatectl set-ntp true`, or a local NTP server); "
            "signatures, retention and the audit log depend on it",
        )
    if offset is None or offset.total_seconds() != JAPAN_UTC_OFFSET_S:
        return Finding(
            "clock", "warn", f"{detail}: not Japan time", "sudo timedatectl set-timezone Asia/Tokyo"
        )
    synced = _ntp_synchronized()
    if synced is False:
        return Finding(
            "clock",
            "warn",
            f"{detail}; not synchronised with NTP",
            "`timedatectl set-ntp true`, or point systemd-timesyncd at the city hall's NTP server",
        )
    return Finding("clock", "ok", detail)


def _ntp_synchronized() -> bool | None:
    """timedatectl's view; None when it cannot tell (no systemd, e.g. a container)."""
    if shutil.which("timedatectl") is None or not Path("/run/systemd/system").is_dir():
        return None
    done = subprocess.run(
        ["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    if done.returncode != 0:
        return None
    return done.stdout.strip() == "yes"


def check_trust_table(m: Machine) -> Finding:
    from kiosk.devices.card.trust import DEMO_TABLE, TrustTable

    path = m.settings.card.trust_table
    fix = "set [card] trust_table to the issuer keys file (docs/trust-table.md)"
    if not path:
        if m.demo == "on":
            return Finding("trust-table", "ok", f"demo mode: the test CA ({DEMO_TABLE.name})")
        status: Status = "warn" if m.demo == "auto" else "fail"
        return Finding(
            "trust-table",
            status,
            "not configured: at a real site every card reads as untrusted",
            fix,
        )
    try:
        table = TrustTable.load(Path(path))
    except KnownError as e:
        return Finding("trust-table", "fail", e.detail or e.message_id, fix)
    if Path(path).resolve() == DEMO_TABLE.resolve() and m.demo != "on":
        return Finding(
            "trust-table",
            "fail",
            "the demo table (test CA) is configured",
            "real cards need the deployer's issuer keys: " + fix,
        )
    if not table.issuers:
        return Finding("trust-table", "fail", f"{path}: no issuer keys", fix)
    return Finding(
        "trust-table",
        "ok",
        f"{path}: {len(table.issuers)} issuer key(s), {len(table.jpki_cas)} JPKI CA(s)",
    )


def check_rule_tables(m: Machine) -> Finding:
    from kiosk.flows.rules import RuleBook

    try:
        book = RuleBook.for_site(m.settings.rules.tables)
    except KnownError as e:
        fix = "correct the table ([rules] tables, or the shipped assets/rules)"
        return Finding("rule-tables", "fail", e.detail or e.message_id, fix)
    names = ", ".join(f"{t.scheme} {t.version}" for t in book.tables)
    return Finding("rule-tables", "ok", f"in force today: {names}")


def check_keys(m: Machine) -> Finding:
    """Where the keys are kept; a plain key file in the data dir is refused outside demo."""
    from kiosk.store.keysources import DEFAULT_KEYS_DIR, inside

    k = m.settings.keys
    data = paths.DataDir(m.data_root)
    fix = 'seal the keys: [keys] source = "tpm2" (or "passphrase"), then `kiosk keys init '
    fix += f"--import {data.key_file}` (docs/security.md)"
    if k.source == "file":
        if m.demo == "on":
            return Finding("keys", "ok", f"demo mode: plain key file {data.key_file}")
        return Finding(
            "keys", "fail", f"file: plain key file beside the database ({data.key_file})", fix
        )
    folder = Path(k.dir) if k.dir else DEFAULT_KEYS_DIR
    if inside(folder, m.data_root) and m.demo != "on":
        return Finding(
            "keys",
            "fail",
            f"{k.source}: keys and audit head kept inside the data dir ({folder})",
            "set [keys] dir outside the data dir: a copied or restored data dir must not "
            "carry its own keys and head",
        )
    if data.key_file.exists() and m.demo != "on":
        return Finding(
            "keys",
            "fail",
            f"{k.source}, but a plain key file lies in the data dir ({data.key_file})",
            f"move it in with `kiosk keys init --import {data.key_file}` (it is then deleted)",
        )
    if k.source == "insecure-file":
        return Finding(
            "keys", "warn", f"insecure-file: plain key file {folder / 'master.key'}", fix
        )
    if k.source == "tpm2":
        sealed = folder / f"{k.credential}.cred"
        if shutil.which("systemd-creds") is None:
            return Finding("keys", "fail", "tpm2: systemd-creds is missing", "apt install systemd")
        if k.tpm2_device == "auto" and not (m.dev / "tpmrm0").exists():
            return Finding(
                "keys", "fail", "tpm2: no TPM (/dev/tpmrm0)",
                "enable the TPM in the firmware, or use [keys] source = \"passphrase\"",
            )  # fmt: skip
        if not sealed.exists():
            return Finding("keys", "fail", f"tpm2: {sealed} missing", "run `kiosk keys init`")
        return Finding("keys", "ok", f"tpm2: sealed to this machine's TPM ({sealed})")
    sealed = folder / f"{k.credential}.sealed"
    if not sealed.exists():
        return Finding("keys", "fail", f"passphrase: {sealed} missing", "run `kiosk keys init`")
    if not Path(k.unlock_file).exists():
        return Finding(
            "keys", "warn", f"passphrase: {sealed}, locked", "after boot: `kiosk keys unlock`"
        )
    return Finding("keys", "ok", f"passphrase: {sealed}, unlocked")


CHECKS: tuple[Callable[[Machine], Finding], ...] = (
    check_pcscd,
    check_readers,
    check_camera,
    check_printer,
    check_voice,
    check_disk,
    check_clock,
    check_trust_table,
    check_rule_tables,
    check_keys,
)


def run_checks(
    machine: Machine, checks: Sequence[Callable[[Machine], Finding]] = CHECKS
) -> list[Finding]:
    """Every check's finding; a check that crashes is a failed finding, not a crash."""
    findings = []
    for check in checks:
        name = check.__name__.removeprefix("check_").replace("_", "-")
        try:
            findings.append(_with_timeout(check, machine, name))
        except Exception as e:
            findings.append(
                Finding(
                    name,
                    "fail",
                    f"the check itself failed: {e!r}",
                    "report this to the kiosk's developers",
                )
            )
    return findings


def _with_timeout(check: Callable[[Machine], Finding], m: Machine, name: str) -> Finding:
    """A hung device (a camera driver, a printer server) must not hang the doctor."""
    result: list[Finding] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            result.append(check(m))
        except BaseException as e:
            errors.append(e)

    if name == "printer":  # Qt objects belong on the main thread
        return check(m)
    t = threading.Thread(target=work, name=f"doctor-{name}", daemon=True)
    t.start()
    t.join(30)
    if errors:
        raise errors[0]
    if not result:
        return Finding(name, "fail", "no answer within 30 s", "check the device and its driver")
    return result[0]


# -- the command -----------------------------------------------------------------------------

_MARK = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", help="check readers, camera, printer, voice, disk, clock, keys")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=doctor_command)


def doctor_command(args: argparse.Namespace, ctx: Context) -> int:
    # Not ctx.data: that creates the data dir, and an unwritable one is a finding, not a crash.
    machine = Machine(ctx.settings, ctx.data_dir or paths.default_data_dir())
    findings = run_checks(machine)
    ok = not any(f.failed for f in findings)
    if args.json:
        emit_json({"ok": ok, "checks": [asdict(f) for f in findings]})
    else:
        for f in findings:
            print(f"[{_MARK[f.status]}] {f.check:<12} {f.detail}")
            if f.fix and f.status != "ok":
                print(f"       {'':<12} fix: {f.fix}")
        print("ready" if ok else "not ready: fix the FAIL lines above")
    return 0 if ok else 1
