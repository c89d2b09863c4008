"""One resident's visit: everything the kiosk holds of them, in one object dropped whole.

Callers may rely on:
- `Visit.drop()` forgets the photos in memory and deletes every printout still on disk; the
  session calls it on every wipe and then makes a new `Visit`.
- Nothing of a visit lives anywhere else: the procedures read and write the visit they are
  given (answers, photos, printouts, when the procedure started, the submission's key).
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from kiosk.flows.ports import CardHolder, CardRead, FrontRead, Question, Receipt, StaffIdentity


class Method(StrEnum):
    FACE = "face"
    PIN = "pin"
    STAFF = "staff"


class SignInFor(StrEnum):
    """Why a member of staff is asked to sign in; decides the role needed and what follows."""

    ASSIST = "assist"  # a supporter or clerk operates the screens beside the resident
    VISUAL_CHECK = "visual_check"  # 目視確認: a clerk compares the card photo with the person
    LAST_TRY = "last_try"  # a clerk allows the last PIN try
    NO_CARD = "no_card"  # a clerk checked an ID document; no card on the reader


class Discardable(Protocol):
    """A printer's job for this visit (`kiosk.devices.printer.DocumentPrinter`)."""

    def discard(self) -> None: ...


@dataclass
class Printouts:
    """The PDFs of one visit: one folder under the data dir's tmp, and the printers that wrote
    into it (a PDF is deleted right after printing, the rest when the visit is dropped)."""

    folders: list[Path] = field(default_factory=list)
    printers: list[Discardable] = field(default_factory=list)

    def folder(self, root: Path) -> Path:
        if not self.folders:
            root.mkdir(parents=True, exist_ok=True)
            self.folders.append(Path(tempfile.mkdtemp(prefix="print-", dir=root)))
        return self.folders[0]

    @property
    def pdfs(self) -> tuple[Path, ...]:
        return tuple(p for f in self.folders for p in sorted(f.glob("*.pdf")))

    def discard(self) -> None:
        for printer in self.printers:
            printer.discard()
        self.printers.clear()
        for folder in self.folders:
            shutil.rmtree(folder, ignore_errors=True)
        self.folders.clear()


@dataclass
class Visit:
    """Everything of one resident. Replaced whole at the end of the visit."""

    language: str
    id: str = field(default_factory=lambda: secrets.token_hex(16))
    started: bool = False
    with_card: bool = False
    method: Method | None = None
    holder: CardHolder | None = None
    photo: bytes | None = None
    pending: CardRead | None = None  # opened with 照合番号B, not yet proven
    front_read: FrontRead | None = None  # read off the card front, waiting to be confirmed
    confirmed: bool = False
    staff: StaffIdentity | None = None
    signin_for: SignInFor | None = None
    return_to: str = "welcome"  # the page a staff sign-in was asked from (a `Page` value)
    staff_card_holder: str | None = None  # the id a staff card named; its PIN comes next
    pin_b_for: Method | None = None
    pin_tries_left: int | None = None
    last_try_allowed: bool = False
    face_attempts: int = 0
    pin_b_wrong: int = 0
    photo_token: str | None = None  # a photo taken for the question on screen, not yet used
    face_running: bool = False
    procedure: str | None = None
    procedure_started: datetime | None = None  # when its first question was asked
    current: Question | None = None  # the question on screen
    asked: list[Question] = field(default_factory=list)  # answered, in order (for "back")
    answers: dict[str, str] = field(default_factory=dict)
    photos: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # id -> (token, JPEG)
    # Made once per review screen and reused on a retry, so a retry never files twice.
    submission_key: str | None = None
    printouts: Printouts = field(default_factory=Printouts)
    step_away_done_for: str | None = None
    receipt: Receipt | None = None
    ticket: str | None = None
    large_text: bool = False
    statistics: dict[str, object] = field(default_factory=dict)  # the admin page only

    @property
    def role(self) -> str:
        """Who operates the screens now: "resident" or the signed-in staff role."""
        return self.staff.role if self.staff else "resident"

    def leave_procedure(self) -> None:
        """Back to the services: nothing of the procedure is carried into the next one."""
        self.procedure, self.current, self.asked, self.answers = None, None, [], {}
        self.photos.clear()
        self.procedure_started = None
        self.submission_key = None

    def drop(self) -> None:
        """Forget what is not in the object itself: photos in memory, PDFs on disk."""
        self.photos.clear()
        self.printouts.discard()
