"""What the resident's session needs from devices, the store and the site: small protocols.

The composition root (`kiosk/app.py`) adapts the real card, camera, face matcher, audit log and
procedures to these; tests pass small fake classes. Nothing here imports Qt or hardware.
Errors: a port raises `WrongSecret` for a wrong PIN or 照合番号B, and `kiosk.errors.KnownError`
(for example `card.blocked`, `card.untrusted`, `card.gone`) when the card or device is at fault.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from kiosk.flows.visit import Visit


@dataclass(frozen=True)
class CardHolder:
    """The four basic facts read from the card (Text AP). Never the My Number."""

    name: str  # family and given name separated by U+3000, as on the card
    birth_date: date
    address: str
    sex: str = "9"  # ISO 5218: "1", "2" or "9"


@dataclass(frozen=True)
class CardRead:
    """What one opening of the card gave: the holder and, with 照合番号B, the card-face photo."""

    holder: CardHolder
    photo: bytes | None = None  # encoded card-face photo (JPEG 2000), kept in memory only


class WrongSecret(Exception):
    """The card refused a PIN or 照合番号B; `tries_left` is the card's new count (-1 unknown)."""

    def __init__(self, tries_left: int) -> None:
        super().__init__(f"wrong secret, {tries_left} tries left")
        self.tries_left = tries_left


class CardPort(Protocol):
    """The My Number card now on the reader."""

    def check_card(self) -> None:
        """Select the applications; raise KnownError (`card.not_mynumber`, `card.untrusted`)."""

    def pin_tries_left(self) -> int:
        """Remaining tries of the 4-digit Text AP PIN, without spending one (0 = blocked)."""
        ...

    def open_with_pin(self, pin: str, staff_override: bool = False) -> CardRead:
        """Verify the PIN and read the basic four facts; `WrongSecret` on a wrong PIN.

        With one try left the card is not asked unless `staff_override` (a clerk decided):
        `WrongSecret(1)` comes back instead, and no try is spent."""
        ...

    def open_with_pin_b(self, pin_b: str) -> CardRead:
        """Open with 照合番号B: basic facts and the card-face photo; `WrongSecret` if wrong."""
        ...


@dataclass(frozen=True)
class FrontRead:
    """What the camera read off the card front, shown to the resident (or the clerk) to confirm
    before it is sent to the card: the birth date as printed (era year), the expiry year and
    the security code, which make 照合番号B (14 digits)."""

    birth_as_printed: str  # e.g. 昭和16年3月5日
    birth_date: date
    expiry_year: int
    security_code: str
    pin_b: str

    def __repr__(self) -> str:  # personal: never in a traceback or a log line
        return "FrontRead(...)"


class CardFrontPort(Protocol):
    """The camera reads 照合番号B from the front of the card lying on the reader (as clinic
    face-authentication readers do), so the resident need not type 14 digits."""

    def read_front(self) -> FrontRead | None:
        """What was read, or None when any field is unclear (the keypad is the fallback);
        KnownError when the camera is gone. Never returns or logs anything else read."""
        ...


@dataclass(frozen=True)
class FaceVerdict:
    """The outcome of one face check. `reason` is an audit reason id when not matched."""

    matched: bool
    reason: str = ""  # "face_no_match" | "face_unavailable" | "camera_unavailable"


FaceGuidance = Callable[[str | None], None]
"""A message id telling the resident how to stand ("face.move_closer"), or None when fine."""
FaceDecided = Callable[[FaceVerdict], None]


class FacePort(Protocol):
    """Compare the live face in front of the camera with the card-face photo, off the GUI
    thread. Callbacks arrive on the GUI thread (the composition root routes them)."""

    def start(self, photo: bytes, on_guidance: FaceGuidance, on_verdict: FaceDecided) -> None:
        """Enroll the photo and watch the camera; exactly one `on_verdict` follows."""

    def retry(self, on_guidance: FaceGuidance, on_verdict: FaceDecided) -> None:
        """Another attempt with the photo already enrolled."""

    def cancel(self) -> None:
        """Stop without a verdict; forget the photo's encoding and every frame."""


class FrameSource(Protocol):
    """Live camera frames for the on-screen preview: contiguous RGB uint8 (h, w, 3), or None."""

    def latest_frame(self) -> object | None: ...


StaffRole = Literal["supporter", "clerk", "admin"]


@dataclass(frozen=True)
class StaffIdentity:
    """A signed-in member of staff: the account id from the config, never a person's name."""

    id: str
    role: StaffRole


class StaffDirectory(Protocol):
    def member_ids(self) -> Sequence[str]:
        """The account ids a sign-in screen may list."""
        ...

    def sign_in(self, staff_id: str, pin: str) -> StaffIdentity | None:
        """The member if the PIN is right, else None."""
        ...

    def by_card(self, uid: bytes) -> StaffIdentity | None:
        """The member whose staff card has this UID, else None."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class AuditPort(Protocol):
    """The audit log (see `kiosk.store.audit`): ids and categories only, never personal data."""

    def record(
        self,
        session_id: str,
        event: str,
        *,
        role: str,
        categories: Sequence[str] = (),
        purpose: str = "identity",
        **fields: object,
    ) -> None: ...


@dataclass(frozen=True)
class Choice:
    value: str
    message_id: str


@dataclass(frozen=True)
class Question:
    """One question of a procedure: `choice` shows `choices` as big buttons, `number` a keypad."""

    id: str
    message_id: str
    choices: tuple[Choice, ...] = ()
    kind: Literal["choice", "number", "photo"] = "choice"
    help_id: str = ""  # a plain explanation under the question
    max_digits: int = 9  # for `number`
    categories: tuple[str, ...] = ()  # audit data categories the answer belongs to
    medical: bool = False  # hidden from a digital supporter
    # Asked again because the last answer cannot be used: show this message on the page.
    problem_id: str = ""
    problem_params: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class ReceiptLine:
    """One line the receipt page shows under the reference, in order: a message id with its
    params, and optionally `value` (data shown as is, e.g. an insurer number) after it.
    `kind` lets the page group lines: "heading" (e.g. the scheme's name), "result" (a
    headline such as "likely eligible, about X円 — staff will confirm"), "rule" (why),
    "document" (what to bring), "deadline", "field" (a label and its value) and "note"."""

    message_id: str
    params: tuple[tuple[str, object], ...] = ()
    value: str = ""
    kind: Literal["heading", "result", "rule", "document", "deadline", "field", "note"] = "result"


@dataclass(frozen=True)
class Receipt:
    """What the resident takes home: a reference and the message ids of what happens next.

    `next_steps` (message ids) and `lines` are optional additions; a page that shows only
    `next_steps_id` still shows something true."""

    reference: str
    next_steps_id: str = "ui.receipt.next_steps"
    printed: bool = False
    next_steps: tuple[str, ...] = ()
    lines: tuple[ReceiptLine, ...] = ()


@dataclass(frozen=True)
class PaperRoute:
    """A form was printed for the counter instead of a submission (the equally good path)."""

    message_id: str


@dataclass(frozen=True)
class Refused:
    """The request cannot be sent as it is: the first problem, for a person at the counter."""

    message_id: str


class ProceduresPort(Protocol):
    """The site's procedures (`kiosk.flows.services.SiteServices`). Each reads and writes the
    visit it is given, and nothing of a visit stays behind in it."""

    def next_question(self, visit: Visit) -> Question | None:
        """The next question of `visit.procedure` given its answers so far, or None when all
        is asked. Never one the card already answered (WCAG 3.3.7)."""
        ...

    def offers_paper_form(self, procedure: str) -> bool:
        """The procedure has a paper form to print from any page."""
        ...

    def submit(self, visit: Visit) -> Receipt | PaperRoute | Refused:
        """Validate, store and print; KnownError when the kiosk itself is at fault."""
        ...


class ProcedureDesk(Protocol):
    """What procedure screens need beyond questions: the camera for photo questions and the
    paper route from any page (`SiteServices` provides both)."""

    @property
    def has_camera(self) -> bool: ...

    def take_photo(self, visit: Visit, question_id: str) -> str:
        """Capture a still into the visit (again = retake); the answer token; KnownError if
        no camera."""
        ...

    def print_form(self, visit: Visit) -> object:
        """Print the paper form, pre-filled with what is known (blank without a card)."""
        ...


class StatisticsPort(Protocol):
    """Today's figures from the audit log (`Store.stats(since=midnight)`): counts only."""

    def stats_today(self) -> Mapping[str, object]: ...


class KioskExitPort(Protocol):
    """Takes the kiosk down for good (no restart by the service) for an administrator."""

    def leave(self) -> bool:
        """True when the kiosk will now quit; False when it could not (it keeps serving)."""
        ...


class StaffCallPort(Protocol):
    """Calls a person to the kiosk (a chime, a light, a pager)."""

    def call(self) -> None: ...

    def cancel(self) -> None: ...


class CounterPort(Protocol):
    """The hand-off to the counter: a printed number carrying no personal data."""

    def issue_ticket(self) -> str:
        """A 1-4 digit ticket number, printed if a printer is there."""
        ...


class SpeechPort(Protocol):
    """Voice guidance. The UI passes the already translated text; never a PIN."""

    def say(self, text: str, language: str, /) -> object: ...

    def stop(self) -> None: ...


Defer = Callable[[Callable[[], None]], None]
"""Run a callable soon, after the screen has been drawn (the UI passes a zero-delay timer)."""

Background = Callable[[Callable[[], Any], Callable[[Any], None]], None]
"""`background(work, then)`: run slow work (reading the card front takes seconds) away from the
screen, then call `then(result)` where the session lives (the GUI thread), so the screen and
its call-staff button keep answering meanwhile."""


@dataclass
class Ports:
    """Everything the session needs, in one bundle for the composition root."""

    card: CardPort | None
    face: FacePort | None
    staff: StaffDirectory
    clock: Clock
    audit: AuditPort
    procedures: ProceduresPort
    staff_call: StaffCallPort
    counter: CounterPort
    defer: Defer = field(default=lambda fn: fn())
    staff_cards: bool = False  # staff may sign in with an IC card on a staff reader
    background: Background = field(default=lambda work, then: then(work()))
    desk: ProcedureDesk | None = None  # photo questions and the paper route
    card_front: CardFrontPort | None = None  # 照合番号B read by the camera
    statistics: StatisticsPort | None = None  # today's figures for an administrator
    kiosk_exit: KioskExitPort | None = None  # an administrator leaves the kiosk
