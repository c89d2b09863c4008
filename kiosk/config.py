"""One TOML file -> frozen, validated settings.

Each `[section]` of the file is one frozen dataclass below. Unknown sections or keys, wrong
types and bad values are rejected at start with a `ConfigError` that names the key and the
file, so a typo never silently falls back to a default. To add a setting, add a typed field
with a default to its section (and a check in `validate` if the type alone is not enough),
and document it in `assets/config.example.toml`.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from kiosk.errors import ConfigError
from kiosk.language import Language

Role = Literal["clinic", "cityhall", "outreach"]
# Keys a switch interface commonly sends (Qt key names).
SwitchKey = Literal["Space", "Return", "Enter", "Tab", "1", "2", "F1", "F2", "F3", "F4"]

PROCEDURES_BY_ROLE: dict[str, tuple[str, ...]] = {
    "clinic": ("insurance",),
    "cityhall": ("risai", "higai", "support-check"),
    "outreach": ("risai", "higai", "support-check"),
}
ALL_PROCEDURES = ("insurance", "risai", "higai", "support-check")


@dataclass(frozen=True)
class SiteSettings:
    role: Role = "cityhall"
    kiosk_id: str = "kiosk-01"
    name: str = ""
    language: Language = "ja"
    # Empty means every procedure the role offers.
    procedures: tuple[str, ...] = ()
    # "auto": demo devices when no reader or camera is present.
    demo: Literal["auto", "on", "off"] = "auto"
    responsible: str = ""  # who answers for the data, shown on the data-use receipt

    def validate(self) -> None:
        for p in self.procedures:
            if p not in ALL_PROCEDURES:
                raise ValueError(f"unknown procedure {p!r} (known: {', '.join(ALL_PROCEDURES)})")
        if not self.kiosk_id.strip():
            raise ValueError("must not be empty")

    @property
    def offered_procedures(self) -> tuple[str, ...]:
        return self.procedures or PROCEDURES_BY_ROLE[self.role]


@dataclass(frozen=True)
class CardSettings:
    reader: str = ""  # empty: the first reader that holds a My Number card
    # TOML trust table of issuer keys and JPKI CAs; empty means the demo table in demo mode
    # and no trusted issuers at a real site (every card then reads as untrusted-issuer).
    trust_table: str = ""
    pcscd_autostart: bool = True
    vpcd_port: int = 35963

    def validate(self) -> None:
        if not 1 <= self.vpcd_port <= 65535:
            raise ValueError("must be a TCP port (1-65535)")


@dataclass(frozen=True)
class CameraSettings:
    device: int = 0  # OpenCV VideoCapture index
    width: int = 640
    height: int = 480
    demo_frames: str = ""  # a folder of images or a video file for the demo camera

    def validate(self) -> None:
        if self.width < 160 or self.height < 120:
            raise ValueError("camera resolution must be at least 160x120")


@dataclass(frozen=True)
class FaceSettings:
    threshold: float = 0.55  # see docs/face.md: `kiosk face evaluate` on a consented set
    max_attempts: int = 3  # then offer the PIN or a staff check; nothing is ever locked
    frames_window: int = 8  # n: quality-passed frames an attempt may encode
    best_of: int = 3  # k: the decision uses the mean of the best k of those n distances
    attempt_s: float = 15.0  # an attempt without a decision ends after this many seconds
    liveness: bool = True  # head-turn challenge against printed photos and screens
    turn_yaw: float = 0.08  # liveness: yaw change needed, in eye distances
    parallax: float = 1.4  # liveness: the background must stay while the head turns, by this

    def validate(self) -> None:
        if not 0.0 < self.threshold < 1.5:
            raise ValueError("threshold must be between 0 and 1.5")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 1 <= self.best_of <= self.frames_window:
            raise ValueError("best_of must be between 1 and frames_window")
        if self.attempt_s <= 0 or self.turn_yaw <= 0 or self.parallax <= 0:
            raise ValueError("attempt_s, turn_yaw and parallax must be positive")


@dataclass(frozen=True)
class SessionSettings:
    inactivity_s: int = 90
    warning_s: int = 30  # WCAG 2.2.1: at least 20 s to answer "continue?"
    take_card_repeat_s: int = 8  # "please take your card" is spoken again this often

    def validate(self) -> None:
        if self.warning_s < 20:
            raise ValueError("warning_s must be at least 20 seconds (WCAG 2.2.1)")
        if self.inactivity_s < 10:
            raise ValueError("inactivity_s must be at least 10 seconds")
        if not 3 <= self.take_card_repeat_s <= 60:
            raise ValueError("take_card_repeat_s must be between 3 and 60 seconds")


@dataclass(frozen=True)
class UiSettings:
    fullscreen: bool = False
    large_text: bool = False
    voice: bool = True
    # Two-switch scanning for residents who cannot touch: one switch moves, one presses.
    switch_scan: bool = False
    switch_next_key: SwitchKey = "Space"
    switch_select_key: SwitchKey = "Return"

    def validate(self) -> None:
        if self.switch_next_key == self.switch_select_key:
            raise ValueError("switch_next_key and switch_select_key must differ")


@dataclass(frozen=True)
class SinkSettings:
    kind: Literal["folder", "https", "none"] = "folder"
    folder: str = ""  # default: <data dir>/outbox
    url: str = ""
    client_cert: str = ""
    client_key: str = ""
    ca_cert: str = ""
    # Folder sink: PEM X25519 public key of the back office; files are then sealed to it.
    recipient_public_key: str = ""
    timeout_s: float = 10.0
    retry_base_s: int = 30  # first retry after this; doubles per failure
    retry_max_s: int = 3600
    sync_interval_s: int = 60  # how often the running kiosk tries the outbox

    def validate(self) -> None:
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        if not 1 <= self.retry_base_s <= self.retry_max_s:
            raise ValueError("need 1 <= retry_base_s <= retry_max_s")
        if self.sync_interval_s < 1:
            raise ValueError("sync_interval_s must be at least 1")
        if self.kind == "https" and not self.url.startswith("https://"):
            raise ValueError("url must start with https:// when kind = 'https'")


@dataclass(frozen=True)
class RetentionSettings:
    delivered_submissions_days: int = 30
    audit_days: int = 365
    tmp_files_hours: int = 24  # leftovers in <data dir>/tmp older than this are removed
    max_database_mb: int = 0  # 0: no cap; else the store reports "full" at this size

    def validate(self) -> None:
        if self.delivered_submissions_days < 0 or self.audit_days < 0:
            raise ValueError("retention days must not be negative")
        if self.tmp_files_hours < 0 or self.max_database_mb < 0:
            raise ValueError("must not be negative")


@dataclass(frozen=True)
class StaffMember:
    id: str
    role: Literal["supporter", "clerk", "admin"]
    pin_sha256: str  # hex SHA-256 of "<id>:<pin>"
    card_sha256: str = ""  # hex SHA-256 of the staff card's UID (upper-case hex); empty: none

    def validate(self) -> None:
        # The id goes into the audit log, which accepts only this shape (never a name).
        if not re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", self.id):
            raise ValueError(f"staff id {self.id!r}: lower-case letters, digits, - or _ (max 32)")
        if not re.fullmatch(r"[0-9a-fA-F]{64}", self.pin_sha256):
            raise ValueError(f"staff {self.id!r}: pin_sha256 must be 64 hex digits")
        if self.card_sha256 and not re.fullmatch(r"[0-9a-fA-F]{64}", self.card_sha256):
            raise ValueError(f"staff {self.id!r}: card_sha256 must be 64 hex digits")


@dataclass(frozen=True)
class StaffSettings:
    members: tuple[StaffMember, ...] = ()
    # The reader where staff place their IC card (職員証) to sign in: a second reader beside
    # the resident's, whose card must stay put. Empty: staff sign in with their PIN only.
    card_reader: str = ""


@dataclass(frozen=True)
class RulesSettings:
    # 災害援護資金: sources differ on 以下 (inclusive) vs 未満 (exclusive) at the income limit.
    loan_income_limit: Literal["inclusive", "exclusive"] = "inclusive"
    tables: str = ""  # folder of rule tables (*.toml); empty: the shipped assets/rules
    disasters: str = ""  # the site's disaster list; empty: assets/demo/disasters.toml

    def validate(self) -> None:
        if self.tables and not Path(self.tables).is_dir():
            raise ValueError(f"tables: {self.tables} is not a folder")
        if self.disasters and not Path(self.disasters).is_file():
            raise ValueError(f"disasters: {self.disasters} is not a file")


@dataclass(frozen=True)
class PrinterSettings:
    name: str = ""  # empty: no printer, receipts are saved as PDF only
    # Forms and 委任状 are read at the counter: their labels print in this language first,
    # with the resident's language under each label when it differs.
    counter_language: Language = "ja"


@dataclass(frozen=True)
class InsuranceSettings:
    # Folder where the clinic's 資格確認端末 writes its result files (*.xml); empty: no source,
    # so every check offers the 資格確認書 / insurance-card route. Demo mode uses demo results.
    results_folder: str = ""


@dataclass(frozen=True)
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
    source: str = "<defaults>"  # the file these came from, for messages


def load(path: Path | None) -> Settings:
    """Read and validate `path`; None or a missing default file gives the defaults."""
    if path is None:
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from None
    return from_dict(raw, source=str(path))


def from_dict(raw: dict[str, Any], source: str = "<dict>") -> Settings:
    sections: dict[str, Any] = {}
    hints = typing.get_type_hints(Settings)
    for name, value in raw.items():
        if name == "source" or name not in hints:
            known = ", ".join(f.name for f in dataclasses.fields(Settings) if f.name != "source")
            raise ConfigError(f"{source}: unknown section [{name}] (known: {known})")
        sections[name] = _build(hints[name], value, f"{name}", source)
    return Settings(**sections, source=source)


def _build(cls: type, value: Any, where: str, source: str) -> Any:
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: [{where}] must be a table")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, v in value.items():
        if key not in known:
            raise ConfigError(
                f"{source}: unknown key '{where}.{key}' (known: {', '.join(sorted(known))})"
            )
        kwargs[key] = _coerce(hints[key], v, f"{where}.{key}", source)
    try:
        obj = cls(**kwargs)
    except TypeError as e:  # a required key is missing
        raise ConfigError(f"{source}: [{where}] {e}") from None
    check = getattr(obj, "validate", None)
    if check is not None:
        try:
            check()
        except ValueError as e:
            raise ConfigError(f"{source}: '{where}': {e}") from None
    return obj


def _coerce(tp: Any, v: Any, where: str, source: str) -> Any:
    origin = get_origin(tp)
    bad = ConfigError(f"{source}: '{where}' has a wrong value {v!r} (expected {_describe(tp)})")
    if origin is Literal:
        if v not in get_args(tp):
            raise bad
        return v
    if origin is tuple:
        item = get_args(tp)[0]
        if not isinstance(v, list):
            raise bad
        return tuple(_coerce(item, x, f"{where}[{i}]", source) for i, x in enumerate(v))
    if origin in (types.UnionType, typing.Union):
        raise bad  # no optional settings: every key has a real default
    if dataclasses.is_dataclass(tp):
        return _build(tp, v, where, source)  # type: ignore[arg-type]
    if tp is bool:
        if not isinstance(v, bool):
            raise bad
        return v
    if tp is int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise bad
        return v
    if tp is float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise bad
        return float(v)
    if tp is str:
        if not isinstance(v, str):
            raise bad
        return v
    raise bad


def _describe(tp: Any) -> str:
    if get_origin(tp) is Literal:
        return " or ".join(repr(a) for a in get_args(tp))
    if get_origin(tp) is tuple:
        return f"a list of {_describe(get_args(tp)[0])}"
    return getattr(tp, "__name__", str(tp))
