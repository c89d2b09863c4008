"""One TOML file -> frozen, validated settings.

Each `[section]` of the file is one frozen pydantic dataclass below. Unknown sections or
keys, wrong types and out-of-range values are refused at start with a `ConfigError` that
names the key and the file (exit 2), so a typo never silently falls back to a default and a
value such as `timeout_s = inf` never reaches the code that would stall on it. Every number
has a range, every string a length, every path must name a regular file or a folder.
To add a setting, add a typed, bounded field with a default to its section (and a check in
`validate` if one field alone cannot say it), and document it in `assets/config.example.toml`.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import tomllib
from dataclasses import field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic import dataclasses as pyd

from kiosk.errors import ConfigError
from kiosk.language import Language

Role = Literal["clinic", "cityhall", "outreach"]
# Keys a switch interface commonly sends (Qt key names).
SwitchKey = Literal["Space", "Return", "Enter", "Tab", "1", "2", "F1", "F2", "F3", "F4"]
Procedure = Literal["insurance", "risai", "higai", "support-check"]

PROCEDURES_BY_ROLE: dict[str, tuple[str, ...]] = {
    "clinic": ("insurance",),
    "cityhall": ("risai", "higai", "support-check"),
    "outreach": ("risai", "higai", "support-check"),
}
ALL_PROCEDURES = ("insurance", "risai", "higai", "support-check")
MAX_CONFIG_BYTES = 1 << 20  # a settings file is a few kB; more is not a settings file

# Bounded building blocks: strict (no "3" for 3, no true for 1), finite, in range.
# No control characters: these strings reach logs, the audit log and file names.
_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


Bool = Annotated[bool, Field(strict=True)]
Short = Annotated[str, StringConstraints(strict=True, max_length=200, pattern=_PRINTABLE)]
PathText = Annotated[
    str, StringConstraints(strict=True, max_length=4096, pattern=_PRINTABLE)
]  # a file or folder; checked on disk when loaded from a file
KioskId = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
]
StaffId = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
Sha256Hex = Annotated[str, StringConstraints(strict=True, pattern=r"^([0-9a-fA-F]{64})?$")]
# argon2id in PHC form, as `kiosk staff hash-pin` prints it (argon2-cffi's format).
PinHash = Annotated[
    str,
    StringConstraints(
        strict=True,
        max_length=256,
        pattern=r"^\$argon2id\$v=19\$m=\d{1,7},t=\d{1,3},p=\d{1,3}\$[A-Za-z0-9+/]{11,64}\$[A-Za-z0-9+/]{16,128}$",
    ),
]

_FROZEN = ConfigDict(extra="forbid")


@pyd.dataclass(frozen=True, config=_FROZEN)
class SiteSettings:
    role: Role = "cityhall"
    kiosk_id: KioskId = "kiosk-01"
    name: Short = ""
    language: Language = "ja"
    # Empty means every procedure the role offers.
    procedures: Annotated[tuple[Procedure, ...], Field(max_length=len(ALL_PROCEDURES))] = ()
    # "auto": demo devices when no reader or camera is present.
    demo: Literal["auto", "on", "off"] = "auto"
    # who answers for the data, shown on the data-use receipt
    responsible: Annotated[
        str, StringConstraints(strict=True, max_length=200, pattern=_PRINTABLE)
    ] = ""

    @model_validator(mode="after")
    def _check(self) -> SiteSettings:
        if len(set(self.procedures)) != len(self.procedures):
            raise ValueError("procedures: each procedure once")
        return self

    @property
    def offered_procedures(self) -> tuple[str, ...]:
        return self.procedures or PROCEDURES_BY_ROLE[self.role]


@pyd.dataclass(frozen=True, config=_FROZEN)
class CardSettings:
    reader: Short = ""  # empty: the first with a My Number card
    # TOML trust table of issuer keys and JPKI CAs; empty means the demo table in demo mode
    # and no trusted issuers at a real site (every card then reads as untrusted-issuer).
    trust_table: PathText = ""
    pcscd_autostart: Bool = True
    vpcd_port: Annotated[int, Field(strict=True, ge=1, le=65535)] = 35963


@pyd.dataclass(frozen=True, config=_FROZEN)
class CameraSettings:
    device: Annotated[int, Field(strict=True, ge=0, le=63)] = 0  # OpenCV VideoCapture index
    width: Annotated[int, Field(strict=True, ge=160, le=7680)] = 640
    height: Annotated[int, Field(strict=True, ge=120, le=4320)] = 480
    # a folder of images or a video file for the demo camera
    demo_frames: PathText = ""


@pyd.dataclass(frozen=True, config=_FROZEN)
class FaceSettings:
    # see docs/face.md: `kiosk face evaluate` on a consented set
    threshold: Annotated[float, Field(strict=True, gt=0.0, lt=1.5, allow_inf_nan=False)] = 0.55
    max_attempts: Annotated[int, Field(strict=True, ge=1, le=10)] = (
        3  # then the PIN or a staff check
    )
    frames_window: Annotated[int, Field(strict=True, ge=1, le=64)] = (
        8  # n: frames an attempt may encode
    )
    best_of: Annotated[int, Field(strict=True, ge=1, le=64)] = 3  # k: mean of the best k of those n
    attempt_s: Annotated[float, Field(strict=True, gt=0, le=300, allow_inf_nan=False)] = (
        15.0  # an attempt ends after this
    )
    liveness: Bool = True  # head-turn challenge against printed photos and screens
    turn_yaw: Annotated[float, Field(strict=True, gt=0, le=1, allow_inf_nan=False)] = (
        0.08  # yaw change, in eye distances
    )
    parallax: Annotated[float, Field(strict=True, gt=0, le=10, allow_inf_nan=False)] = (
        1.4  # background must stay by this
    )

    @model_validator(mode="after")
    def _check(self) -> FaceSettings:
        if self.best_of > self.frames_window:
            raise ValueError("best_of must be between 1 and frames_window")
        return self


@pyd.dataclass(frozen=True, config=_FROZEN)
class SessionSettings:
    inactivity_s: Annotated[int, Field(strict=True, ge=10, le=3600)] = 90
    warning_s: Annotated[int, Field(strict=True, ge=20, le=600)] = 30  # WCAG 2.2.1: at least 20 s
    # A lifted card holds the visit this long: put back, it goes on; a slip of the hand is no loss.
    card_grace_s: Annotated[int, Field(strict=True, ge=10, le=1800)] = 180
    take_card_repeat_s: Annotated[int, Field(strict=True, ge=3, le=60)] = (
        8  # "take your card" again
    )


@pyd.dataclass(frozen=True, config=_FROZEN)
class UiSettings:
    fullscreen: Bool = False
    large_text: Bool = False
    voice: Bool = True
    # Two-switch scanning for residents who cannot touch: one switch moves, one presses.
    switch_scan: Bool = False
    switch_next_key: SwitchKey = "Space"
    switch_select_key: SwitchKey = "Return"

    @model_validator(mode="after")
    def _check(self) -> UiSettings:
        if self.switch_next_key == self.switch_select_key:
            raise ValueError("switch_next_key and switch_select_key must differ")
        return self


@pyd.dataclass(frozen=True, config=_FROZEN)
class SinkSettings:
    kind: Literal["folder", "https", "none"] = "folder"
    folder: PathText = ""  # default: <data dir>/outbox
    url: Annotated[str, StringConstraints(strict=True, max_length=2048, pattern=_PRINTABLE)] = ""
    client_cert: PathText = ""
    client_key: PathText = ""
    ca_cert: PathText = ""
    # Folder sink: PEM X25519 public key of the back office; files are then sealed to it.
    recipient_public_key: PathText = ""
    # Folder sink without a recipient key: plaintext files only when said outright.
    allow_plaintext: Bool = False
    timeout_s: Annotated[float, Field(strict=True, gt=0, le=300, allow_inf_nan=False)] = 10.0
    retry_base_s: Annotated[int, Field(strict=True, ge=1, le=86400)] = 30  # doubles per failure
    retry_max_s: Annotated[int, Field(strict=True, ge=1, le=7 * 86400)] = 3600
    sync_interval_s: Annotated[int, Field(strict=True, ge=1, le=86400)] = 60  # how often to deliver

    @model_validator(mode="after")
    def _check(self) -> SinkSettings:
        if self.retry_base_s > self.retry_max_s:
            raise ValueError("need retry_base_s <= retry_max_s")
        if self.kind == "https" and not self.url.startswith("https://"):
            raise ValueError("url must start with https:// when kind = 'https'")
        if self.kind == "https" and not self.ca_cert:
            # Empty would trust every public CA: anyone with a certificate for the name.
            raise ValueError("ca_cert is required when kind = 'https' (the back office's CA)")
        return self


@pyd.dataclass(frozen=True, config=_FROZEN)
class RetentionSettings:
    delivered_submissions_days: Annotated[int, Field(strict=True, ge=0, le=3650)] = 30
    # At least a day: a purge never empties the log it is recorded in.
    audit_days: Annotated[int, Field(strict=True, ge=1, le=3650)] = 365
    # leftovers in <data dir>/tmp (and sink drops) older than this are removed
    tmp_files_hours: Annotated[int, Field(strict=True, ge=0, le=24 * 365)] = 24
    # 0: no cap; else the store reports "full" at this size
    max_database_mb: Annotated[int, Field(strict=True, ge=0, le=1_000_000)] = 0


@pyd.dataclass(frozen=True, config=_FROZEN)
class StaffMember:
    id: StaffId  # goes into the audit log, which accepts only this shape (never a name)
    role: Literal["supporter", "clerk", "admin"]
    pin_hash: PinHash  # argon2id PHC string: `kiosk staff hash-pin`
    card_sha256: Sha256Hex = ""  # SHA-256 of the staff card's UID (upper-case hex); empty: none


@pyd.dataclass(frozen=True, config=_FROZEN)
class StaffSettings:
    members: Annotated[tuple[StaffMember, ...], Field(max_length=500)] = ()
    # The reader where staff place their IC card (職員証) to sign in: a second reader beside
    # the resident's, whose card must stay put. Empty: staff sign in with their PIN only.
    card_reader: Annotated[
        str, StringConstraints(strict=True, max_length=200, pattern=_PRINTABLE)
    ] = ""
    # Wrong PINs in a row (per id, and per kiosk x2) before sign-in waits; the wait doubles.
    lockout_after: Annotated[int, Field(strict=True, ge=1, le=20)] = 5
    lockout_s: Annotated[int, Field(strict=True, ge=1, le=3600)] = 30

    @model_validator(mode="after")
    def _check(self) -> StaffSettings:
        seen: set[str] = set()
        for m in self.members:
            if m.id in seen:
                raise ValueError(f"staff id {m.id!r} is listed twice")
            seen.add(m.id)
        return self


@pyd.dataclass(frozen=True, config=_FROZEN)
class RulesSettings:
    # 災害援護資金: the law says 所得が政令で定める額「に満たない」 (未満, exclusive); a site whose
    # own 条例 or practice reads 以下 may choose "inclusive" (exactly at the limit qualifies).
    loan_income_limit: Literal["inclusive", "exclusive"] = "exclusive"
    # folder of rule tables (*.toml); empty: the shipped assets/rules
    tables: PathText = ""
    disasters: PathText = ""  # empty: assets/demo/disasters.toml


@pyd.dataclass(frozen=True, config=_FROZEN)
class PrinterSettings:
    name: Short = ""  # empty: receipts are saved as PDF only
    # Forms and 委任状 are read at the counter: their labels print in this language first,
    # with the resident's language under each label when it differs.
    counter_language: Language = "ja"


@pyd.dataclass(frozen=True, config=_FROZEN)
class InsuranceSettings:
    # Folder where the clinic's 資格確認端末 writes its result files (*.xml); empty: no source,
    # so every check offers the 資格確認書 / insurance-card route. Demo mode uses demo results.
    results_folder: PathText = ""


KeySourceName = Literal["file", "insecure-file", "tpm2", "passphrase"]


@pyd.dataclass(frozen=True, config=_FROZEN)
class KeySettings:
    # "file": a key file in the data dir, for demo and tests only (refused when demo = "off");
    # "insecure-file": a key file in `dir`, said outright; "tpm2": sealed to this machine's
    # TPM by systemd-creds; "passphrase": sealed with a passphrase an admin gives at boot.
    source: KeySourceName = "file"
    # Where the sealed keys and the audit head live; empty: the data dir ("file") or
    # /var/lib/madoguchi-kiosk-keys. Never inside the data dir outside demo.
    dir: PathText = ""
    # systemd credential name (LoadCredentialEncrypted=NAME:...), also the sealed file's stem.
    credential: Annotated[
        str, StringConstraints(strict=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
    ] = "madoguchi-kiosk-keys"
    # systemd-creds --tpm2-device: "auto", a device node, or a TCTI such as swtpm:port=2321.
    tpm2_device: Annotated[
        str, StringConstraints(strict=True, max_length=200, pattern=_PRINTABLE)
    ] = "auto"
    # "passphrase": `kiosk keys unlock` leaves the unlocked key here (a tmpfs, gone at reboot).
    unlock_file: PathText = "/run/madoguchi-kiosk/keys-unlocked"


@pyd.dataclass(frozen=True, config=_FROZEN)
class Settings:
    site: SiteSettings = field(default_factory=SiteSettings)
    card: CardSettings = field(default_factory=CardSettings)
    camera: CameraSettings = field(default_factory=CameraSettings)
    face: FaceSettings = field(default_factory=FaceSettings)
    session: SessionSettings = field(default_factory=SessionSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    sink: SinkSettings = field(default_factory=SinkSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    staff: StaffSettings = field(default_factory=StaffSettings)
    rules: RulesSettings = field(default_factory=RulesSettings)
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    insurance: InsuranceSettings = field(default_factory=InsuranceSettings)
    keys: KeySettings = field(default_factory=KeySettings)
    source: Annotated[str, StringConstraints(strict=True, max_length=4096, pattern=_PRINTABLE)] = (
        "<defaults>"  # the file, for messages
    )


_ADAPTER: TypeAdapter[Settings] = TypeAdapter(Settings)
SECTIONS = tuple(f.name for f in dataclasses.fields(Settings) if f.name != "source")

PathKind = Literal["file", "dir", "new-dir", "any"]
# Settings that name files (checked on disk when read from a file): kind of entry expected.
FILES: dict[str, PathKind] = {
    "card.trust_table": "file",
    "camera.demo_frames": "any",
    "sink.client_cert": "file",
    "sink.client_key": "file",
    "sink.ca_cert": "file",
    "sink.recipient_public_key": "file",
    "sink.folder": "new-dir",
    "rules.tables": "dir",
    "rules.disasters": "file",
    "insurance.results_folder": "dir",
    "keys.dir": "new-dir",
}


def load(path: Path | None) -> Settings:
    """Read and validate `path`; None gives the defaults. Never blocks on a FIFO or device."""
    if path is None:
        return Settings()
    return from_dict(_parse(path, _read_regular(path)), source=str(path))


def _read_regular(path: Path) -> bytes:
    try:
        # O_NONBLOCK: a FIFO opened here must not wait for a writer; it is refused below.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"{path}: not a regular file ({_kind(st.st_mode)})")
        if st.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{path}: {st.st_size} bytes, more than a settings file can be")
        chunks, total = [], 0
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
            total += len(chunk)
            if total > MAX_CONFIG_BYTES:
                raise ConfigError(f"{path}: more than a settings file can be")
        return b"".join(chunks)
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror}") from None
    finally:
        os.close(fd)


def _parse(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply") from None


def from_dict(raw: dict[str, Any], source: str = "<dict>") -> Settings:
    """Validated settings from parsed TOML; `ConfigError` names the first bad key and `source`."""
    for name, value in raw.items():
        if name not in SECTIONS:
            raise ConfigError(f"{source}: unknown section [{name}] (known: {', '.join(SECTIONS)})")
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: [{name}] must be a table")
        if name == "staff":
            _refuse_old_pin_hashes(value, source)
    try:
        settings = _ADAPTER.validate_python({**raw, "source": source[:4096]})
    except ValidationError as e:
        raise ConfigError(f"{source}: {_describe(e)}") from None
    if source.startswith("<"):
        return settings
    _check_paths(settings, source)
    return settings


def _refuse_old_pin_hashes(staff: dict[str, Any], source: str) -> None:
    members = staff.get("members")
    for i, m in enumerate(members if isinstance(members, list) else []):
        if isinstance(m, dict) and "pin_sha256" in m:
            raise ConfigError(
                f"{source}: 'staff.members[{i}].pin_sha256' is an unsalted hash a 4-digit PIN "
                "falls to in milliseconds: replace it with pin_hash from `kiosk staff hash-pin`"
            )


def _describe(e: ValidationError) -> str:
    """'site.kiosk_id': what is wrong — the first error, with the key as the file spells it."""
    err = e.errors(include_url=False)[0]
    loc = [str(p) for p in err["loc"]]
    where, i = "", 0
    while i < len(loc):
        part = loc[i]
        if part.isdigit() and where:
            where += f"[{part}]"
        else:
            where += ("." if where else "") + part
        i += 1
    message = err["msg"]
    if err["type"] == "unexpected_keyword_argument":
        section = where.rsplit(".", 1)[0]
        known = _known_keys(section)
        return f"unknown key '{where}'" + (f" (known: {', '.join(known)})" if known else "")
    if err["type"] in ("dataclass_type", "dataclass_exact_type", "model_type"):
        return f"[{where}] must be a table"
    if err["type"] == "missing":
        return f"'{where}' is required"
    shown = repr(err.get("input"))
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if err["type"] == "value_error":
        return f"'{where or 'settings'}': {message.removeprefix('Value error, ')}"
    return f"'{where}' has a wrong value {shown}: {message}"


def _known_keys(section: str) -> list[str]:
    cls: Any = Settings
    for part in section.split("."):
        part = part.split("[", 1)[0]
        hints = {f.name: f.type for f in dataclasses.fields(cls)}
        if part not in hints:
            return []
        cls = {
            "site": SiteSettings, "card": CardSettings, "camera": CameraSettings,
            "face": FaceSettings, "session": SessionSettings, "ui": UiSettings,
            "sink": SinkSettings, "retention": RetentionSettings, "staff": StaffSettings,
            "rules": RulesSettings, "printer": PrinterSettings,
            "insurance": InsuranceSettings, "keys": KeySettings, "members": StaffMember,
        }.get(part)  # fmt: skip
        if cls is None:
            return []
    return sorted(f.name for f in dataclasses.fields(cls))


def _check_paths(settings: Settings, source: str) -> None:
    """Every path setting names an existing regular file (or folder): no FIFO, no device."""
    for key, want in FILES.items():
        section, name = key.split(".")
        value = getattr(getattr(settings, section), name)
        if not value:
            continue
        problem = path_problem(Path(value), want)
        if problem:
            raise ConfigError(f"{source}: '{key}' = {value!r}: {problem}")


def path_problem(path: Path, want: PathKind) -> str:
    """Why `path` cannot be used as a `want`, or '' when it can (stat only: never opened)."""
    try:
        st = path.stat()
    except OSError as e:
        if want == "new-dir":
            return ""  # made on first use, or a share that is down now: the sink retries
        if isinstance(e, FileNotFoundError):
            return "no such folder" if want == "dir" else "no such file"
        return f"cannot be read: {e.strerror}"
    if stat.S_ISREG(st.st_mode) and want in ("file", "any"):
        return ""
    if stat.S_ISDIR(st.st_mode) and want in ("dir", "new-dir", "any"):
        return ""
    return f"{_kind(st.st_mode)}, expected a {'folder' if 'dir' in want else 'regular file'}"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISREG(mode):
        return "a regular file"
    return "not a regular file"
