"""Small real fakes for the resident's session: a card with real try counting, a face matcher
that says what it is told, a settable clock, and an audit log that applies the store's real
allow-list (so a session that logs a forbidden field fails its test)."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from kiosk.config import StaffMember, StaffSettings
from kiosk.errors import KnownError
from kiosk.flows.ports import (
    CardHolder,
    CardRead,
    Choice,
    FaceVerdict,
    FrontRead,
    PaperRoute,
    Ports,
    Question,
    Receipt,
    ReceiptLine,
    Refused,
    StaffIdentity,
    WrongSecret,
)
from kiosk.flows.staff import ConfigStaff, card_hash, pin_hash
from kiosk.flows.visit import Visit
from kiosk.store.audit import check_entry
from kiosk.wareki import to_wareki


def _card_photo() -> bytes:
    """A greyscale JPEG 2000 silhouette, like the card-face photo (DF27) in format."""
    img = Image.new("L", (96, 128), 235)
    draw = ImageDraw.Draw(img)
    draw.ellipse((28, 18, 68, 66), fill=90)  # head
    draw.pieslice((10, 62, 86, 160), 180, 360, fill=90)  # shoulders
    buf = io.BytesIO()
    img.save(buf, "JPEG2000")
    return buf.getvalue()


CARD_PHOTO = _card_photo()


@dataclass
class Resident:
    key: str
    holder: CardHolder
    pin: str
    pin_b: str
    photo: bytes = field(default_factory=lambda: CARD_PHOTO)
    pin_tries: int = 3


HANAKO = Resident(
    "hanako",
    CardHolder("山田\u3000花子", date(1940, 4, 1), "東京都千代田区千代田１番１号", "2"),
    pin="1234",
    pin_b="15040120302285",
)
TARO = Resident(
    "taro",
    CardHolder("佐藤\u3000太郎", date(1980, 2, 17), "宮城県仙台市青葉区本町３丁目８番１号", "1"),
    pin="5678",
    pin_b="55021720352285",
)


class FakeCard:
    """A card with the chip's try counting: wrong answers count down, right ones reset."""

    def __init__(self, resident: Resident, readable: bool = True) -> None:
        self.resident = resident
        self.tries = resident.pin_tries
        self.readable = readable
        self.verify_calls = 0
        self.pin_b_calls = 0

    def check_card(self) -> None:
        if not self.readable:
            raise KnownError("card.not_mynumber")

    def pin_tries_left(self) -> int:
        return self.tries

    def open_with_pin(self, pin: str, staff_override: bool = False) -> CardRead:
        if self.tries == 1 and not staff_override:
            raise WrongSecret(1)  # like the card module: the last try needs a person
        self.verify_calls += 1
        if self.tries == 0:
            raise KnownError("card.blocked")
        if pin != self.resident.pin:
            self.tries -= 1
            raise WrongSecret(self.tries)
        self.tries = 3
        return CardRead(self.resident.holder)

    def open_with_pin_b(self, pin_b: str) -> CardRead:
        self.pin_b_calls += 1
        if pin_b != self.resident.pin_b:
            raise WrongSecret(-1)
        return CardRead(self.resident.holder, photo=self.resident.photo)


class Reader:
    """The reader slot: the session's card port is whatever card lies on it."""

    def __init__(self) -> None:
        self.card: FakeCard | None = None

    def check_card(self) -> None:
        self._card().check_card()

    def pin_tries_left(self) -> int:
        return self._card().pin_tries_left()

    def open_with_pin(self, pin: str, staff_override: bool = False) -> CardRead:
        return self._card().open_with_pin(pin, staff_override)

    def open_with_pin_b(self, pin_b: str) -> CardRead:
        return self._card().open_with_pin_b(pin_b)

    def _card(self) -> FakeCard:
        if self.card is None:
            raise KnownError("card.gone")
        return self.card


class FakeCardFront:
    """The camera reading 照合番号B off the card front: the card's own, or None (unclear)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.clear = True
        self.reads = 0

    def read_front(self) -> FrontRead | None:
        self.reads += 1
        card = self.reader.card
        if card is None or not self.clear:
            return None
        pin_b = card.resident.pin_b
        born = card.resident.holder.birth_date
        return FrontRead(str(to_wareki(born)), born, int(pin_b[6:10]), pin_b[10:], pin_b)


class FakeFace:
    """Answers at once from `answers` (default: a match), or later if `hold` is set."""

    def __init__(self) -> None:
        self.answers: list[FaceVerdict] = []
        self.photos_seen: list[bytes] = []
        self.hold = False
        self.pending: Callable[[FaceVerdict], None] | None = None
        self.guidance: Callable[[str | None], None] | None = None
        self.cancelled = 0

    def start(
        self,
        photo: bytes,
        on_guidance: Callable[[str | None], None],
        on_verdict: Callable[[FaceVerdict], None],
    ) -> None:
        self.photos_seen.append(photo)
        self.retry(on_guidance, on_verdict)

    def retry(
        self, on_guidance: Callable[[str | None], None], on_verdict: Callable[[FaceVerdict], None]
    ) -> None:
        self.guidance = on_guidance
        if self.hold:
            self.pending = on_verdict
        else:
            on_verdict(self.answers.pop(0) if self.answers else FaceVerdict(True))

    def decide(self, verdict: FaceVerdict) -> None:
        assert self.pending is not None
        done, self.pending = self.pending, None
        done(verdict)

    def cancel(self) -> None:
        self.cancelled += 1
        self.pending = None


class FakeFrames:
    def __init__(self) -> None:
        self.frame = np.zeros((240, 320, 3), dtype=np.uint8)
        self.frame[60:180, 120:200] = (200, 160, 140)

    def latest_frame(self) -> object | None:
        return self.frame


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> datetime:
        return datetime(2026, 11, 22, 9, 0) + timedelta(seconds=self.t)

    def monotonic(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@dataclass
class AuditLine:
    session_id: str
    event: str
    role: str
    categories: tuple[str, ...]
    purpose: str
    fields: dict[str, object]


class Audit:
    """Checks every entry against the store's allow-list, then keeps it for assertions."""

    def __init__(self) -> None:
        self.lines: list[AuditLine] = []

    def record(
        self,
        session_id: str,
        event: str,
        *,
        role: str,
        categories: Sequence[str] = (),
        purpose: str = "identity",
        **fields: object,
    ) -> None:
        cats, checked = check_entry(event, session_id, role, categories, purpose, fields)
        self.lines.append(AuditLine(session_id, event, role, cats, purpose, checked))

    def events(self) -> list[str]:
        return [line.event for line in self.lines]


def _yes_no(
    qid: str, message_id: str, categories: tuple[str, ...] = (), medical: bool = False
) -> Question:
    yes_no = (Choice("yes", "procedures.form.yes"), Choice("no", "procedures.form.no"))
    return Question(qid, message_id, yes_no, categories=categories, medical=medical)


def _pick(qid: str, message_id: str, *choices: tuple[str, str], **kw: object) -> Question:
    return Question(qid, message_id, tuple(Choice(v, m) for v, m in choices), **kw)  # type: ignore[arg-type]


# Each procedure's questions as the procedures module would ask them (a few taps each),
# labelled with the procedures catalog's ids so screenshots show real words.
QUESTIONS: dict[str, list[Question]] = {
    "risai": [
        _yes_no("dwelling", "procedures.form.dwelling", categories=("damage.report",)),
        _pick(
            "damage",
            "procedures.form.damage",
            ("roof", "procedures.damage.roof"),
            ("floor", "procedures.damage.floor"),
            categories=("damage.report",),
        ),
        _pick(
            "survey",
            "procedures.form.survey",
            ("site", "procedures.form.survey.site"),
            ("self", "procedures.form.survey.self"),
            categories=("damage.report",),
        ),
    ],
    "higai": [
        _pick(
            "what",
            "procedures.form.item",
            ("flooded", "procedures.item-damage.flooded"),
            ("broken", "procedures.item-damage.broken"),
        ),
    ],
    "support-check": [
        Question(
            "household",
            "procedures.form.household",
            kind="number",
            max_digits=2,
            categories=("household",),
        ),
        _yes_no("injured", "procedures.form.injured"),
    ],
    "insurance": [
        _yes_no(
            "medication", "insurance.consent.medication", medical=True, categories=("medication",)
        ),
    ],
}


@dataclass(frozen=True)
class Filed:
    """What a visit held when it was submitted."""

    procedure: str
    holder: CardHolder | None
    answers: dict[str, str]
    identity_method: str
    language: str
    visit_id: str
    key: str | None


class Procedures:
    """Asks `questions` in order; an answer listed in `reject` is asked again with a problem.
    `outcome` other than None is what a submission comes back as (a paper route, a refusal)."""

    def __init__(self, fail: bool = False) -> None:
        self.submissions: list[Filed] = []
        self.fail = fail
        self.questions = {k: list(v) for k, v in QUESTIONS.items()}
        self.reject: dict[str, tuple[str, str]] = {}  # question id -> (bad value, problem id)
        self.lines: tuple[ReceiptLine, ...] = ()
        self.paper_forms = {"risai", "higai"}
        self.outcome: PaperRoute | Refused | None = None

    def next_question(self, visit: Visit) -> Question | None:
        assert visit.procedure is not None
        for q in self.questions[visit.procedure]:
            if q.id not in visit.answers:
                return q
            bad = self.reject.get(q.id)
            if bad is not None and visit.answers[q.id] == bad[0]:
                return dataclasses.replace(q, problem_id=bad[1])
        return None

    def offers_paper_form(self, procedure: str) -> bool:
        return procedure in self.paper_forms

    def submit(self, visit: Visit) -> Receipt | PaperRoute | Refused:
        if self.fail:
            raise KnownError("store.disk_full")
        assert visit.procedure is not None and visit.method is not None
        self.submissions.append(
            Filed(visit.procedure, visit.holder, dict(visit.answers), visit.method.value,
                  visit.language, visit.id, visit.submission_key)
        )  # fmt: skip
        if self.outcome is not None:
            return self.outcome
        return Receipt(f"ABCD-EFGH-{len(self.submissions):04d}", lines=self.lines)


class Desk:
    """The kiosk camera for photo questions and the paper route, as `SiteServices` offers."""

    def __init__(self, camera: bool = True) -> None:
        self.has_camera = camera
        self.forms: list[tuple[str, bool, dict[str, str]]] = []

    def take_photo(self, visit: Visit, question_id: str) -> str:
        if not self.has_camera:
            raise KnownError("services.camera-unavailable")
        visit.photos[question_id] = ("", PNG)
        token = f"token{len(visit.photos)}"  # a retake keeps its number
        visit.photos[question_id] = (token, PNG)
        return token

    def print_form(self, visit: Visit) -> object:
        assert visit.procedure is not None
        self.forms.append((visit.procedure, visit.holder is not None, dict(visit.answers)))
        return None


def _png() -> bytes:
    """A small real picture, as the camera would give (a thumbnail needs no more)."""
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 120, 80)).save(buf, "PNG")
    return buf.getvalue()


PNG = _png()


class StaffCall:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def call(self) -> None:
        self.calls.append("call")

    def cancel(self) -> None:
        self.calls.append("cancel")


class Counter:
    def __init__(self) -> None:
        self.n = 0

    def issue_ticket(self) -> str:
        self.n += 1
        return str(100 + self.n)


class Speech:
    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []

    def say(self, text: str, language: str) -> None:
        self.said.append((language, text))

    def stop(self) -> None:
        self.said.append(("", "<stop>"))


CLERK_CARD = bytes.fromhex("04112233445566")  # staff IC card UIDs (7-byte ISO 14443 UIDs)
HELPER_CARD = bytes.fromhex("04AABBCCDDEEFF")
STAFF = StaffSettings(
    members=(
        StaffMember("clerk1", "clerk", pin_hash("clerk1", "9999"), card_hash(CLERK_CARD)),
        StaffMember("helper1", "supporter", pin_hash("helper1", "1111"), card_hash(HELPER_CARD)),
        StaffMember("admin1", "admin", pin_hash("admin1", "0000")),
    )
)


class Statistics:
    """Today's figures as `Store.stats` gives them (counts only)."""

    def stats_today(self) -> Mapping[str, object]:
        return {"sessions": 12, "completion_rate": 0.75, "handoffs": 2, "not_me": 1,
                "fallbacks": 3, "submissions": {"risai": 5, "support-check": 4}}  # fmt: skip


class Background:
    """Stands in for the worker thread: work runs at once, or waits until `finish()` when
    `hold` is set (the camera still looking), its result then handed to the session."""

    def __init__(self) -> None:
        self.hold = False
        self.waiting: list[tuple[Callable[[], Any], Callable[[Any], None]]] = []

    def __call__(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        if self.hold:
            self.waiting.append((work, then))
        else:
            then(work())

    def finish(self) -> None:
        while self.waiting:
            work, then = self.waiting.pop(0)
            then(work())


class Deferred:
    """Stands in for a zero-delay timer: work waits until `run()` (the next event-loop turn)."""

    def __init__(self, immediate: bool = True) -> None:
        self.immediate = immediate
        self.queue: list[Callable[[], None]] = []

    def __call__(self, fn: Callable[[], None]) -> None:
        if self.immediate:
            fn()
        else:
            self.queue.append(fn)

    def run(self) -> None:
        while self.queue:
            self.queue.pop(0)()


@dataclass
class World:
    """Everything around one kiosk, for a test to drive and inspect."""

    reader: Reader = field(default_factory=Reader)
    face: FakeFace = field(default_factory=FakeFace)
    clock: Clock = field(default_factory=Clock)
    audit: Audit = field(default_factory=Audit)
    procedures: Procedures = field(default_factory=Procedures)
    staff_call: StaffCall = field(default_factory=StaffCall)
    counter: Counter = field(default_factory=Counter)
    defer: Deferred = field(default_factory=Deferred)
    background: Background = field(default_factory=Background)
    camera: bool = True
    desk: Desk = field(default_factory=Desk)
    card_front: bool = False  # the camera can read 照合番号B off the card front
    staff_cards: bool = False  # a staff reader for staff IC cards

    def __post_init__(self) -> None:
        self.front = FakeCardFront(self.reader)

    def ports(self) -> Ports:
        return Ports(
            card=self.reader,
            face=self.face if self.camera else None,
            staff=ConfigStaff(STAFF),
            clock=self.clock,
            audit=self.audit,
            procedures=self.procedures,
            staff_call=self.staff_call,
            counter=self.counter,
            defer=self.defer,
            background=self.background,
            staff_cards=self.staff_cards,
            desk=self.desk,
            card_front=self.front if self.card_front else None,
            statistics=Statistics(),
        )


__all__ = [
    "CLERK_CARD",
    "HANAKO",
    "HELPER_CARD",
    "TARO",
    "FakeCard",
    "Resident",
    "StaffIdentity",
    "World",
]
