"""The resident's visit as one state machine, with no widgets.

A visit: first screen -> card detected -> choose how to prove identity (face / PIN / staff
visual check) -> prove it -> read-back ("is this you?") -> services offered at this site ->
a procedure's questions -> review -> consent -> submit -> receipt -> "please take your card"
-> wiped. Without a card: a clerk checks an ID document and the same services follow.

At any moment: card removed -> the visit is held for a grace period (the same person's card
back: it goes on; another person's card, the grace over, or "end": it is dropped);
inactivity -> a warning of at least 20 s, then the visit is dropped; call staff -> a call
is made and the visit waits (no timeout).
Every help path rings too (visual check, no card, a failed method, a hand-off), and only staff
(sign-in or staff card) end a call: the resident never cancels her own.

Callers may rely on:
- Everything of a visit lives in one `Visit` object that `wipe` replaces whole: nothing of one
  resident survives into the next (no name, photo, answer, language, staff sign-in).
- The last PIN try is never spent unless a clerk or administrator allowed it in this visit.
- The session talks to its view only through `SessionView` (intent-level methods) and reads
  the world only through `kiosk.flows.ports`, so it runs in tests without Qt.
- Audit entries carry ids and categories only (`kiosk.store.audit` vocabulary).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Protocol, TypeVar

from kiosk import logs
from kiosk.errors import KnownError
from kiosk.flows.ports import (
    CardHolder,
    CardRead,
    FaceVerdict,
    FrontRead,
    PaperRoute,
    Ports,
    Question,
    Receipt,
    Refused,
    StaffIdentity,
    WrongSecret,
)
from kiosk.flows.visit import Method, SignInFor, Visit
from kiosk.language import LANGUAGES
from kiosk.store.store import new_idempotency_key

log = logging.getLogger("kiosk.session")
_T = TypeVar("_T")


class Page(StrEnum):
    """One screen per state of the visit."""

    WELCOME = "welcome"
    READING = "reading"
    CHOOSE_METHOD = "choose_method"
    PIN = "pin"
    PIN_LAST_TRY = "pin_last_try"
    PIN_B = "pin_b"
    FACE = "face"
    STAFF_SIGNIN = "staff_signin"
    STAFF_CHECK = "staff_check"
    READBACK = "readback"
    NOT_ME = "not_me"
    SERVICES = "services"
    QUESTION = "question"
    STEP_AWAY = "step_away"
    REVIEW = "review"
    CONSENT = "consent"
    RECEIPT = "receipt"
    HANDOFF = "handoff"
    TAKE_CARD = "take_card"
    ADMIN = "admin"  # statistics for an administrator; no resident is served meanwhile


# A staff visual check must say why: these are the audit reasons a clerk can pick.
CHECK_REASONS = ("accessibility", "face_unavailable", "pin_blocked", "resident_choice", "other")

# "3 / 6": which of the six steps of a visit each page belongs to.
STEPS_TOTAL = 6
_STEP_OF_PAGE = {
    Page.CHOOSE_METHOD: 1,
    Page.PIN: 2,
    Page.PIN_LAST_TRY: 2,
    Page.PIN_B: 2,
    Page.FACE: 2,
    Page.STAFF_SIGNIN: 2,
    Page.STAFF_CHECK: 2,
    Page.READBACK: 3,
    Page.SERVICES: 4,
    Page.QUESTION: 4,
    Page.STEP_AWAY: 4,
    Page.REVIEW: 5,
    Page.CONSENT: 5,
    Page.RECEIPT: 6,
}


class SessionView(Protocol):
    """What the session asks of its screen. Implementations read details from the session."""

    def show_page(self, page: Page) -> None: ...

    def show_message(self, message_id: str, **params: object) -> None:
        """A notice on the current page (wrong PIN, card removed ...); "" clears it."""

    def show_timeout_warning(self, seconds_left: int) -> None: ...

    def hide_timeout_warning(self) -> None: ...

    def show_staff_call(self, active: bool) -> None:
        """A call is open (True) or answered (False); `staff_call_covers` says whether it
        covers the page (the resident pressed call) or rides along (a help path rang)."""

    def show_card_away(self, active: bool) -> None:
        """The card was lifted and the visit waits for it (True), or waits no more (False)."""

    def show_face_check(self, running: bool) -> None:
        """The camera is looking (True) or has stopped (False)."""

    def apply_language(self, language: str) -> None: ...

    def session_wiped(self) -> None:
        """Drop everything shown of the previous visit (fields, photos, keypads)."""


@dataclass(frozen=True)
class ReadBack:
    """What the resident is asked to confirm: name and birth date, nothing else."""

    name: str
    birth_date: date


@dataclass(frozen=True)
class ReviewItem:
    label_id: str  # message id of the label
    value: str = ""  # a value from the card (shown as is)
    value_id: str = ""  # or a message id of a chosen answer


class SessionMachine:
    """One visit at a time. Create it, `attach` a view, then feed it events."""

    def __init__(
        self,
        ports: Ports,
        offered_procedures: Sequence[str],
        *,
        language: str = "ja",
        inactivity_s: int = 90,
        warning_s: int = 30,
        card_grace_s: int = 180,
        face_attempts: int = 3,
        large_text: bool = False,
    ) -> None:
        if warning_s < 20:
            raise ValueError("warning_s must be at least 20 s (WCAG 2.2.1)")
        self._ports = ports
        self.offered_procedures = tuple(offered_procedures)
        self.default_language = language
        self.default_large_text = large_text
        self.inactivity_s = inactivity_s
        self.warning_s = warning_s
        self.card_grace_s = card_grace_s
        self.max_face_attempts = face_attempts
        self._view: SessionView | None = None
        self.visit = self._new_visit()
        self.page = Page.WELCOME
        self.card_present = False
        self.staff_call_active = False
        self.staff_call_covers = False
        self._last_activity = ports.clock.monotonic()
        self._warning_since: float | None = None
        self._away_since: float | None = None  # the card was lifted; the visit is held
        self._held: tuple[CardHolder, Page] | None = None  # who was proven, and where she was

    # -- wiring ---------------------------------------------------------------------------

    def attach(self, view: SessionView) -> None:
        self._view = view
        view.apply_language(self.visit.language)
        view.show_page(self.page)

    @property
    def view(self) -> SessionView:
        if self._view is None:
            raise RuntimeError("attach a view before feeding the session events")
        return self._view

    # -- what pages read ------------------------------------------------------------------

    @property
    def language(self) -> str:
        return self.visit.language

    @property
    def role(self) -> str:
        """Who operates the screens now: "resident" or the signed-in staff role."""
        return self.visit.role

    @property
    def staff(self) -> StaffIdentity | None:
        return self.visit.staff

    @property
    def signin_for(self) -> SignInFor | None:
        return self.visit.signin_for

    @property
    def pin_b_for(self) -> Method | None:
        return self.visit.pin_b_for

    @property
    def with_card(self) -> bool:
        return self.visit.with_card

    def step(self) -> tuple[int, int] | None:
        """(step, total) for the step indicator, or None on pages outside the six steps."""
        n = _STEP_OF_PAGE.get(self.page)
        return None if n is None else (n, STEPS_TOTAL)

    def readback(self) -> ReadBack | None:
        h = self.visit.holder
        return None if h is None else ReadBack(h.name, h.birth_date)

    def card_photo(self) -> bytes | None:
        """The card-face photo, only while a clerk compares it (visual check) or face runs."""
        return self.visit.photo if self.page in (Page.STAFF_CHECK, Page.FACE) else None

    def pin_tries_left(self) -> int | None:
        return self.visit.pin_tries_left

    def staff_member_ids(self) -> Sequence[str]:
        return self._ports.staff.member_ids()

    def question(self) -> Question | None:
        v = self.visit
        return v.current if self.page is Page.QUESTION else None

    def question_number(self) -> int:
        """1 for the first question of the procedure, and so on."""
        return len(self.visit.asked) + 1

    @property
    def procedure(self) -> str | None:
        return self.visit.procedure

    def visible_address(self) -> str:
        """The card address; a digital supporter sees it only up to the municipality."""
        h = self.visit.holder
        if h is None:
            return ""
        if self.role == "supporter":
            return _up_to_municipality(h.address)
        return h.address

    def review_items(self) -> list[ReviewItem]:
        v = self.visit
        items: list[ReviewItem] = []
        if v.holder is not None:
            items.append(ReviewItem("ui.review.name", value=v.holder.name))
            items.append(ReviewItem("ui.review.address", value=self.visible_address()))
        hide_medical = self.role == "supporter"
        for q in v.asked:
            if q.id not in v.answers or (q.medical and hide_medical):
                continue
            given = v.answers[q.id]
            chosen = next((c for c in q.choices if c.value == given), None)
            if q.kind == "photo":  # the answer is a token; say only that a photo is attached
                items.append(ReviewItem(q.message_id, value_id="ui.review.photo_attached"))
            elif chosen is not None:
                items.append(ReviewItem(q.message_id, value_id=chosen.message_id))
            else:
                items.append(ReviewItem(q.message_id, value=given))
        return items

    @property
    def receipt(self) -> Receipt | None:
        return self.visit.receipt

    @property
    def ticket(self) -> str | None:
        return self.visit.ticket

    @property
    def large_text(self) -> bool:
        return self.visit.large_text

    # -- the card -------------------------------------------------------------------------

    def card_inserted(self) -> None:
        """The reader reports a card. Starts a visit from the first screen, or takes a held
        visit back up; ignored otherwise."""
        self.card_present = True
        if self._away_since is not None:
            self._card_back()
            return
        if self.page is not Page.WELCOME:
            return
        self._begin(with_card=True)
        self._go(Page.READING)
        self._ports.defer(self._while_reading(self._check_card))

    def _card_back(self) -> None:
        """A card is back during the grace: the visit goes on. Nothing on the card proves
        who it belongs to without a secret, so after a proof the resident proves it again,
        and only the same holder finds her visit (`_proven`)."""
        self._away_since = None
        self.view.show_card_away(False)
        self.touch()
        v = self.visit
        if self.page in (Page.HANDOFF, Page.NOT_ME):
            return  # her ticket is on screen: nothing of the card is used any more
        if v.holder is not None:
            self._held = (v.holder, self.page)
            v.holder = None
            v.confirmed = False
        self._go(Page.READING)
        self._ports.defer(self._while_reading(self._check_card))
        if self._held is not None:
            self.view.show_message("ui.card.prove_again")

    def card_away_seconds_left(self) -> int | None:
        """Seconds left before a lifted card's visit ends, or None when no card is away."""
        if self._away_since is None:
            return None
        if self.staff_call_active:
            return self.card_grace_s
        spent = self._ports.clock.monotonic() - self._away_since
        return max(0, int(self.card_grace_s - spent + 0.999))

    def end_held_visit(self) -> None:
        """「おわる」 on the lifted-card notice: the visit ends now."""
        if self._away_since is not None:
            self.wipe("card_removed", "resident_choice")

    def _check_card(self) -> None:
        card = self._ports.card
        try:
            if card is None:
                raise KnownError("ui.card.gone")
            card.check_card()
        except KnownError as e:
            self._audit("card.read", outcome="failed", reason=_reason(e.message_id))
            self._fail_to_counter(e.message_id)
            return
        self._audit("card.read", outcome="ok")
        self._go(Page.CHOOSE_METHOD)

    def card_removed(self) -> None:
        """The card left the reader: a visit with a card is held for `card_grace_s` (a card
        flapping on the reader is one visit and one ticket, not one per touch)."""
        self.card_present = False
        if self.page is Page.TAKE_CARD:
            self.view.apply_language(self.visit.language)
            self._go(Page.WELCOME)
            return
        if not self.visit.with_card or self._away_since is not None:
            return
        self._stop_face()
        v = self.visit
        v.photo = None  # the card-face photo and an unproven reading go with the card
        v.pending = None
        v.front_read = None
        self._hide_warning()
        self._away_since = self._ports.clock.monotonic()
        self.view.show_card_away(True)

    # -- proving identity -----------------------------------------------------------------

    def choose_method(self, method: Method | str) -> None:
        method = Method(method)
        if self.page is not Page.CHOOSE_METHOD:
            return
        self.touch()
        self.visit.method = method
        if method is Method.PIN:
            self._start_pin()
        elif method is Method.FACE:
            if self._ports.face is None:
                self._audit(
                    "auth.fallback", method="face", to_method="pin", reason="camera_unavailable"
                )
                self.view.show_message("ui.face.unavailable")
                self._ring("camera_unavailable")
                return
            self.visit.pin_b_for = Method.FACE
            self._go(Page.PIN_B)
        else:
            self.request_staff(SignInFor.VISUAL_CHECK)
            self._ring("visual_check")

    def _start_pin(self) -> None:
        card = self._ports.card
        try:
            if card is None:
                raise KnownError("ui.card.gone")
            tries = card.pin_tries_left()
        except KnownError as e:
            self._fail_to_counter(e.message_id)
            return
        self.visit.pin_tries_left = tries
        if tries == 0:
            self._audit("auth.attempt", method="pin", outcome="blocked", reason="pin_blocked")
            self._go(Page.CHOOSE_METHOD)
            self.view.show_message("ui.card.pin_blocked")
            self._ring("pin_blocked")
        elif tries == 1 and not self.visit.last_try_allowed:
            self._go(Page.PIN_LAST_TRY)
        else:
            self._go(Page.PIN)

    def other_method(self) -> None:
        """Back to the choice of how to prove identity (from PIN, 照合番号B, face, last try)."""
        if self.page in (Page.PIN, Page.PIN_LAST_TRY, Page.PIN_B, Page.FACE):
            self.touch()
            self._stop_face()
            self.visit.photo = None
            self.visit.pending = None
            self._go(Page.CHOOSE_METHOD)

    def allow_last_try(self) -> None:
        """From the last-try page: a clerk must sign in to let the resident spend it."""
        if self.page is Page.PIN_LAST_TRY:
            self.request_staff(SignInFor.LAST_TRY)

    def enter_pin(self, pin: str) -> None:
        """The resident's 4-digit card PIN. Never logged, never kept after the call."""
        if self.page is not Page.PIN:
            return
        self.touch()
        if len(pin) != 4 or not pin.isdigit():
            self.view.show_message("ui.pin.four_digits")
            return
        tries = self.visit.pin_tries_left
        if tries == 1 and not self.visit.last_try_allowed:
            self._go(Page.PIN_LAST_TRY)  # the guard: never the last try without a person
            return
        # Show "reading" first: the card takes a second, and the screen must not look frozen.
        self._go(Page.READING)
        self._ports.defer(self._while_reading(lambda: self._verify_pin(pin)))

    def _verify_pin(self, pin: str) -> None:
        card = self._ports.card
        try:
            if card is None:
                raise KnownError("ui.card.gone")
            read = card.open_with_pin(pin, staff_override=self.visit.last_try_allowed)
        except WrongSecret as e:
            self.visit.pin_tries_left = e.tries_left
            self._audit("auth.attempt", method="pin", outcome="failed", reason="pin_wrong")
            if e.tries_left == 0:
                self._go(Page.CHOOSE_METHOD)
                self.view.show_message("ui.card.pin_blocked")
                self._ring("pin_blocked")
            elif e.tries_left == 1 and not self.visit.last_try_allowed:
                self._go(Page.PIN_LAST_TRY)
            else:
                self._go(Page.PIN)
                self.view.show_message("ui.pin.wrong", tries=e.tries_left)
            return
        except KnownError as e:
            self._fail_to_counter(e.message_id)
            return
        self._audit("auth.attempt", method="pin", outcome="ok")
        self._proven(Method.PIN, read)

    def enter_pin_b(self, pin_b: str) -> None:
        """照合番号B (14 digits) for the face path or a clerk's visual check."""
        if self.page is not Page.PIN_B:
            return
        self.touch()
        if len(pin_b) != 14 or not pin_b.isdigit():
            self.view.show_message("ui.pin_b.fourteen_digits")
            return
        self._go(Page.READING)  # drops a card-front reading that was not confirmed
        self._ports.defer(self._while_reading(lambda: self._open_with_pin_b(pin_b)))

    def _open_with_pin_b(self, pin_b: str) -> None:
        card = self._ports.card
        try:
            if card is None:
                raise KnownError("ui.card.gone")
            read = card.open_with_pin_b(pin_b)
        except WrongSecret as e:
            method = self.visit.pin_b_for or Method.FACE
            self._audit("auth.attempt", method=method.value, outcome="failed", reason="pin_wrong")
            self.visit.pin_b_wrong += 1
            # 照合番号B's retry limit is unconfirmed (3 or 10): fail safe to a person early.
            if 0 <= e.tries_left <= 1 or (e.tries_left < 0 and self.visit.pin_b_wrong >= 2):
                self._fail_to_counter("ui.pin_b.ask_staff")
            else:
                self._go(Page.PIN_B)
                self.view.show_message("ui.pin_b.wrong")
            return
        except KnownError as e:
            self._fail_to_counter(e.message_id)
            return
        self.visit.pending = read
        self.visit.photo = read.photo
        if self.visit.pin_b_for is Method.STAFF:
            self._go(Page.STAFF_CHECK)
        else:
            self._go(Page.FACE)

    def can_read_card_front(self) -> bool:
        return self._ports.card_front is not None

    def read_card_front(self) -> None:
        """From the 照合番号B page: let the camera read it off the card front instead of
        typing 14 digits; unclear -> back to the keypad with a message."""
        if self.page is not Page.PIN_B or self._ports.card_front is None:
            return
        self.touch()
        self._go(Page.READING)
        self._ports.defer(self._while_reading(self._read_card_front))

    def _read_card_front(self) -> None:
        front = self._ports.card_front
        assert front is not None

        def work() -> FrontRead | KnownError | None:
            try:
                return front.read_front()
            except KnownError as e:
                return e

        # The card may be taken, or the visit end, while the camera looks.
        self._ports.background(work, self._while_reading(self._front_read_done))

    def _front_read_done(self, read: FrontRead | KnownError | None) -> None:
        if isinstance(read, KnownError):
            self._go(Page.PIN_B)
            self.view.show_message(read.message_id)
            return
        if read is None or len(read.pin_b) != 14 or not read.pin_b.isdigit():
            self._go(Page.PIN_B)
            self.view.show_message("ui.pin_b.front_unclear")
            return
        # OCR can misread a digit: what was read is shown, and used only once confirmed
        # (a wrong 照合番号B spends one of the card's tries).
        self.visit.front_read = read
        self._go(Page.PIN_B)

    def front_read(self) -> FrontRead | None:
        """What the camera read off the card front, while it waits for the resident's "yes"."""
        return self.visit.front_read if self.page is Page.PIN_B else None

    def confirm_front_read(self, correct: bool) -> None:
        """ "Yes, that is right" sends it to the card; "no" drops it and shows the keypad."""
        read = self.front_read()
        if read is None:
            return
        self.touch()
        self.visit.front_read = None
        if correct:
            self._go(Page.READING)
            self._ports.defer(self._while_reading(lambda: self._open_with_pin_b(read.pin_b)))
        else:
            self._go(Page.PIN_B)
            self.view.show_message("ui.pin_b.type_instead")

    def start_face_check(self) -> None:
        """The resident is in the guide and pressed "start": look for a few seconds."""
        if self.page is not Page.FACE:
            return
        self.touch()
        face = self._ports.face
        photo = self.visit.photo
        if face is None or photo is None:
            self._face_fallback("face_unavailable")
            return
        v = self.visit
        if v.face_running:
            return
        v.face_attempts += 1
        v.face_running = True
        self.view.show_face_check(True)

        def looking() -> bool:
            return self.visit.face_running

        guidance: Callable[[str | None], None] = self._still_here(
            Page.FACE, lambda message_id: self.view.show_message(message_id or ""), looking
        )
        verdict: Callable[[FaceVerdict], None] = self._still_here(
            Page.FACE, self._face_decided, looking
        )
        if v.face_attempts == 1:
            face.start(photo, guidance, verdict)
        else:
            face.retry(guidance, verdict)

    def _face_decided(self, verdict: FaceVerdict) -> None:
        self.visit.face_running = False
        self.view.show_face_check(False)
        attempt = self.visit.face_attempts
        if verdict.matched:
            self._audit(
                "auth.attempt",
                categories=("card.photo", "face.live_image"),
                method="face",
                outcome="ok",
                attempt=attempt,
            )
            assert self.visit.pending is not None
            self._proven(Method.FACE, self.visit.pending)
            return
        reason = verdict.reason or "face_no_match"
        self._audit(
            "auth.attempt",
            categories=("card.photo", "face.live_image"),
            method="face",
            outcome="failed",
            reason=reason,
            attempt=attempt,
        )
        if attempt >= self.max_face_attempts or reason != "face_no_match":
            self._face_fallback(reason)
        else:
            self.view.show_message("ui.face.retry", left=self.max_face_attempts - attempt)

    def _stop_face(self) -> None:
        """Cancel a running face check: the matcher forgets the photo and every frame."""
        v = self.visit
        if v.face_running:
            v.face_running = False
            if self._ports.face is not None:
                self._ports.face.cancel()
            self.view.show_face_check(False)

    def _face_fallback(self, reason: str) -> None:
        self._stop_face()
        self._audit("auth.fallback", method="face", to_method="pin", reason=reason)
        self.visit.photo = None
        self.visit.pending = None
        self._go(Page.CHOOSE_METHOD)
        self.view.show_message("ui.face.fallback")
        self._ring(reason)

    def _proven(self, method: Method, read: CardRead) -> None:
        v = self.visit
        held, self._held = self._held, None
        if held is not None:
            if read.holder != held[0]:  # another person's card: the held visit is not hers
                self.wipe("card_removed", "other")
                return
            v.method, v.holder, v.confirmed = method, read.holder, True
            v.photo = None
            v.pending = None
            self._go(held[1])
            return
        v.method = method
        v.holder = read.holder
        v.photo = None  # the photo was needed for the comparison only
        v.pending = None
        self._go(Page.READBACK)

    # -- staff ------------------------------------------------------------------------------

    def request_staff(self, purpose: SignInFor | str = SignInFor.ASSIST) -> None:
        """Show staff sign-in; on success the visit continues where `purpose` says."""
        if self.page in (Page.READING, Page.TAKE_CARD, Page.STAFF_SIGNIN):
            return  # nothing to assist: the reader is busy, or the visit is over
        self.touch()
        self.visit.signin_for = SignInFor(purpose)
        self.visit.return_to = self.page.value
        self.visit.staff_card_holder = None
        self._go(Page.STAFF_SIGNIN)

    def cancel_staff_signin(self) -> None:
        if self.page is not Page.STAFF_SIGNIN:
            return
        back = Page(self.visit.return_to)
        if back is Page.WELCOME and self.staff_call_active:
            self.view.show_message("ui.call.coming")  # staff are on their way: wait for them
            return
        self.visit.signin_for = None
        self.visit.staff_card_holder = None
        if back is Page.WELCOME:
            self.wipe("cancelled", "resident_choice")
        else:
            self._go(back)

    def staff_sign_in(self, staff_id: str, pin: str) -> bool:
        """Check the staff PIN; on success continue the purpose of the sign-in."""
        if self.page is not Page.STAFF_SIGNIN:
            return False
        self.touch()
        holder = self.visit.staff_card_holder
        if holder is not None and staff_id != holder:
            # The card named one member: a PIN for another id would sign in without the card.
            self._audit("staff.signin", outcome="failed", method="staff_card")
            self.view.show_message("ui.staff.card_other_id")
            return False
        method = "staff_card" if holder is not None else "pin"
        return self._signed_in(self._ports.staff.sign_in(staff_id, pin), method)

    def can_use_staff_card(self) -> bool:
        """A staff reader is set up: the sign-in page says a staff card works too."""
        return self._ports.staff_cards

    @property
    def staff_card_holder(self) -> str | None:
        """The id a staff card named on this sign-in page; its PIN is still to be entered."""
        return self.visit.staff_card_holder

    def staff_card(self, uid: bytes) -> bool:
        """A staff IC card was placed on the staff reader: on the sign-in page it chooses its
        member's id, and the PIN is asked (a card's UID is copied from a few cm away, so the
        card alone is no credential). Elsewhere it is ignored (the resident's screen stays)."""
        if self.page is not Page.STAFF_SIGNIN:
            if not self.staff_call_active or self.page in (Page.READING, Page.TAKE_CARD):
                return False
            self.request_staff(SignInFor.ASSIST)  # staff answering a call: the card opens it
        self.touch()
        who = self._ports.staff.by_card(uid)
        if who is None:
            self._audit("staff.signin", outcome="failed", method="staff_card")
            self.view.show_message("ui.staff.card_unknown")
            return False
        purpose = self.visit.signin_for or SignInFor.ASSIST
        if purpose is not SignInFor.ASSIST and who.role not in ("clerk", "admin"):
            self._audit("staff.signin", staff_id=who.id, staff_role=who.role, outcome="declined")
            self.view.show_message("ui.staff.needs_clerk")
            return False
        self.visit.staff_card_holder = who.id
        self.view.show_page(Page.STAFF_SIGNIN)  # the page chooses the card's id
        self.view.show_message("ui.staff.card_then_pin")
        return True

    def _signed_in(self, who: StaffIdentity | None, by: str) -> bool:
        purpose = self.visit.signin_for or SignInFor.ASSIST
        needs_clerk = purpose is not SignInFor.ASSIST
        if who is None:
            self._audit("staff.signin", outcome="failed", method=by)
            self.view.show_message("ui.staff.signin_failed")
            return False
        if needs_clerk and who.role not in ("clerk", "admin"):
            self._audit("staff.signin", staff_id=who.id, staff_role=who.role, outcome="declined")
            self.view.show_message("ui.staff.needs_clerk")
            return False
        self.visit.staff = who
        self._audit("staff.signin", staff_id=who.id, staff_role=who.role, outcome="ok", method=by)
        self._call_answered()  # staff are here: only they end a call
        if purpose is SignInFor.ASSIST:
            if not self.visit.started:
                self._begin(with_card=False)
            back = Page(self.visit.return_to)
            if who.role == "admin" and back is Page.WELCOME:
                self._show_statistics(who)  # an administrator at an idle kiosk
                return True
            self._go(back)
            if self.page is Page.WELCOME:
                self.view.show_message("ui.staff.signed_in", staff=who.id)
        elif purpose is SignInFor.LAST_TRY:
            self.visit.last_try_allowed = True
            self._go(Page.PIN)
            self.view.show_message("ui.pin.last_try_allowed")
        elif purpose is SignInFor.VISUAL_CHECK:
            self.visit.pin_b_for = Method.STAFF
            self._go(Page.PIN_B)
        else:  # NO_CARD
            self._go(Page.STAFF_CHECK)
        return True

    def _show_statistics(self, who: StaffIdentity) -> None:
        stats = self._ports.statistics
        self.visit.statistics = dict(stats.stats_today()) if stats is not None else {}
        self._audit("export", purpose="statistics", what="stats", staff_id=who.id, outcome="ok")
        self._go(Page.ADMIN)

    def statistics(self) -> Mapping[str, object]:
        """Today's figures (`Store.stats`) while the administrator page shows them, else {}."""
        return self.visit.statistics if self.page is Page.ADMIN else {}

    def can_leave_kiosk(self) -> bool:
        """An administrator on the statistics page may take the kiosk down."""
        staff = self.visit.staff
        return (
            self.page is Page.ADMIN
            and staff is not None
            and staff.role == "admin"
            and self._ports.kiosk_exit is not None
        )

    def leave_kiosk(self) -> None:
        """Take the kiosk down (the service will not restart it); recorded with who did it."""
        if not self.can_leave_kiosk():
            return
        staff = self.visit.staff
        exit_port = self._ports.kiosk_exit
        assert staff is not None and exit_port is not None
        left = exit_port.leave()
        outcome = "ok" if left else "failed"
        self._audit("kiosk.left", purpose="administration", staff_id=staff.id, outcome=outcome)
        if not left:
            self.view.show_message("ui.admin.leave_failed")

    def close_statistics(self) -> None:
        if self.page is Page.ADMIN:
            self.wipe("completed", "manual")

    def staff_sign_out(self) -> None:
        """The member of staff steps away; the visit goes on with the resident alone."""
        self.visit.staff = None

    def staff_confirm_check(self, reason: str) -> None:
        """The clerk compared the card photo (or an ID document) with the person."""
        if self.page is not Page.STAFF_CHECK or reason not in CHECK_REASONS:
            return
        v = self.visit
        if v.staff is None or v.staff.role not in ("clerk", "admin"):
            self.request_staff(SignInFor.VISUAL_CHECK if v.with_card else SignInFor.NO_CARD)
            return
        self.touch()
        if v.with_card:
            assert v.pending is not None
            read = v.pending
            self._audit(
                "staff.check",
                categories=("card.photo",),
                staff_id=v.staff.id,
                outcome="ok",
                reason=reason,
            )
            self._proven(Method.STAFF, read)
        else:
            self._audit("staff.check", staff_id=v.staff.id, outcome="ok", reason=reason)
            v.method = Method.STAFF
            v.confirmed = True
            self._go(Page.SERVICES)

    def continue_without_card(self) -> None:
        """The first screen's "continue without a card": a clerk checks an ID document."""
        if self.page is not Page.WELCOME or self.card_present:
            return
        self._begin(with_card=False)
        self.request_staff(SignInFor.NO_CARD)
        self._ring("no_card")

    # -- read-back and services -------------------------------------------------------------

    def confirm_identity(self, is_me: bool) -> None:
        """The read-back answer. "No" goes to staff: another person's data is never used."""
        if self.page is not Page.READBACK:
            return
        self.touch()
        if is_me:
            self.visit.confirmed = True
            self._audit("card.read", categories=("card.basic_info",), outcome="ok")
            self._go(Page.SERVICES)
            return
        self._audit("not_me", reason="not_me")
        self.visit.holder = None
        self.visit.ticket = self._ports.counter.issue_ticket()
        self._audit("handoff", reason="not_me", ticket=self.visit.ticket)
        self._go(Page.NOT_ME)
        self._ring("not_me")

    def choose_procedure(self, procedure: str) -> None:
        if self.page is not Page.SERVICES or procedure not in self.offered_procedures:
            return
        self.touch()
        v = self.visit
        v.leave_procedure()
        v.procedure = procedure
        v.current = self._ports.procedures.next_question(v)
        self._audit("procedure.started", purpose=procedure, procedure=procedure)
        self._next_question()

    def _next_question(self) -> None:
        v = self.visit
        q = v.current
        if q is None:
            v.submission_key = v.submission_key or new_idempotency_key()  # kept for a retry
            self._go(Page.REVIEW)
            return
        if q.medical and self.role == "supporter" and v.step_away_done_for != q.id:
            self._go(Page.STEP_AWAY)
            return
        self._go(Page.QUESTION)
        if q.problem_id:  # asked again: say what was wrong with the last answer
            self.view.show_message(q.problem_id, **dict(q.problem_params))

    def answer(self, value: str) -> None:
        q = self.question()
        if q is None:
            return
        if q.kind == "choice" and value not in {c.value for c in q.choices}:
            return
        if q.kind == "number" and not (value.isdigit() and len(value) <= q.max_digits):
            self.view.show_message("ui.answer.number_digits", digits=q.max_digits)
            return
        self.touch()
        v = self.visit
        assert v.procedure is not None
        v.answers[q.id] = value
        v.photo_token = None
        v.submission_key = None  # another request than the one reviewed
        v.asked = [a for a in v.asked if a.id != q.id]  # a question asked again counts once
        v.asked.append(q)
        v.current = self._ports.procedures.next_question(v)
        self._next_question()

    # -- photos and the paper route -----------------------------------------------------------

    def can_take_photos(self) -> bool:
        desk = self._ports.desk
        return desk is not None and desk.has_camera

    def take_photo(self) -> None:
        """Capture (or retake) the photo the current question asks for; it stays on screen
        as a thumbnail until the resident uses it."""
        q = self.question()
        desk = self._ports.desk
        if q is None or q.kind != "photo" or desk is None:
            return
        self.touch()
        try:
            self.visit.photo_token = desk.take_photo(self.visit, q.id)
        except KnownError as e:
            self.view.show_message(e.message_id)
            return
        self._go(Page.QUESTION)
        self.view.show_message("ui.photo.taken")

    def question_photo(self) -> bytes | None:
        """The still taken for the question on screen, for its thumbnail."""
        q = self.question()
        kept = self.visit.photos.get(q.id) if q is not None else None
        if kept is None or self.visit.photo_token is None:
            return None
        return kept[1]

    def use_photo(self) -> None:
        token = self.visit.photo_token
        if token is not None:
            self.answer(token)

    def paper_form_offered(self) -> bool:
        """The procedure on screen has a paper form to print from here."""
        v = self.visit
        if self._ports.desk is None or v.procedure is None:
            return False
        return self._ports.procedures.offers_paper_form(v.procedure)

    def paper_form(self) -> None:
        """The paper route from any page of a procedure with a form: a form to sign at the
        counter, pre-filled with what is known (blank without a card). The visit goes on."""
        v = self.visit
        desk = self._ports.desk
        if desk is None or v.procedure is None or not self.paper_form_offered():
            return
        self.touch()
        try:
            desk.print_form(v)
        except KnownError as e:
            self.view.show_message(e.message_id)
            return
        self._audit("handoff", purpose=v.procedure, procedure=v.procedure, reason="paper_route",
                    ticket=self._ports.counter.issue_ticket())  # fmt: skip
        self.view.show_message("ui.paper.printed")

    def back(self) -> None:
        """One step back inside a procedure (or from the review to the last question)."""
        self.touch()
        v = self.visit
        v.photo_token = None
        if self.page in (Page.QUESTION, Page.REVIEW) and v.asked:
            v.current = v.asked.pop()
            v.answers.pop(v.current.id, None)
            v.submission_key = None
            self._go(Page.QUESTION)
        elif self.page is Page.QUESTION:
            v.leave_procedure()
            self._go(Page.SERVICES)
        elif self.page in (Page.REVIEW, Page.CONSENT):
            self._go(Page.SERVICES)

    def resident_alone(self) -> None:
        """From the step-away page: the supporter has stepped back and is signed out."""
        if self.page is not Page.STEP_AWAY:
            return
        self.touch()
        self.visit.staff = None
        v = self.visit
        if v.current is not None:
            v.step_away_done_for = v.current.id
            self._go(Page.QUESTION)
        else:
            self._go(Page.CONSENT)

    def review_ok(self) -> None:
        if self.page is not Page.REVIEW:
            return
        self.touch()
        if self.role == "supporter":
            # A supporter cannot give consent for the resident: the resident answers alone.
            self.visit.step_away_done_for = None
            self._go(Page.STEP_AWAY)
            return
        self._go(Page.CONSENT)

    def give_consent(self, agree: bool) -> None:
        """The resident's own consent; declining returns to the services, nothing is sent."""
        if self.page is not Page.CONSENT or self.role == "supporter":
            return
        self.touch()
        v = self.visit
        assert v.procedure is not None
        if not agree:
            self._audit("consent.declined", purpose=v.procedure, procedure=v.procedure)
            self._audit(
                "procedure.cancelled",
                purpose=v.procedure,
                procedure=v.procedure,
                reason="resident_choice",
            )
            v.leave_procedure()
            self._go(Page.SERVICES)
            self.view.show_message("ui.consent.declined")
            return
        self._audit("consent.given", purpose=v.procedure, procedure=v.procedure)
        self._submit()

    def _submit(self) -> None:
        """Hand the visit to the procedures; they audit `submission.created` with the store."""
        v = self.visit
        assert v.procedure is not None and v.method is not None
        try:
            outcome = self._ports.procedures.submit(v)
        except KnownError as e:
            self._fail_to_counter(e.message_id)
            return
        if isinstance(outcome, PaperRoute):
            v.ticket = self._ports.counter.issue_ticket()
            self._audit("handoff", purpose=v.procedure, procedure=v.procedure,
                        reason="paper_route", ticket=v.ticket)  # fmt: skip
            self._go(Page.HANDOFF)
            self.view.show_message(outcome.message_id)
            self._ring("handoff")
        elif isinstance(outcome, Refused):
            self._fail_to_counter(outcome.message_id)
        else:
            v.receipt = outcome
            # Audited by the store with the submission; the log says it happened, no more.
            logs.event(log, "session.submitted", page=self.page.value, procedure=v.procedure)
            self._go(Page.RECEIPT)

    def another_procedure(self) -> None:
        """From the receipt: back to the services for the same resident."""
        if self.page is Page.RECEIPT:
            self.visit.leave_procedure()
            self.visit.receipt = None
            self._go(Page.SERVICES)

    def finish(self) -> None:
        """The resident is done (receipt, services, not-me or hand-off page)."""
        if self.page in (Page.RECEIPT, Page.SERVICES, Page.NOT_ME, Page.HANDOFF):
            outcome = "completed" if self.visit.receipt or self.page is Page.SERVICES else "handoff"
            if self.page is Page.NOT_ME:
                outcome = "not_me"
            self.wipe(outcome, "resident_choice")

    def handoff(self) -> None:
        """ "Continue at the counter": a ticket with a number only, then the visit ends there."""
        if self.page in (Page.WELCOME, Page.TAKE_CARD, Page.HANDOFF):
            return
        self.touch()
        v = self.visit
        v.ticket = self._ports.counter.issue_ticket()
        if v.procedure:
            self._audit("handoff", reason="staff_requested", ticket=v.ticket, procedure=v.procedure)
        else:
            self._audit("handoff", reason="staff_requested", ticket=v.ticket)
        self._go(Page.HANDOFF)
        self._ring("handoff")

    def _fail_to_counter(self, message_id: str) -> None:
        v = self.visit
        v.ticket = self._ports.counter.issue_ticket()
        self._audit("handoff", reason="other", ticket=v.ticket)
        self._go(Page.HANDOFF)
        self.view.show_message(message_id)
        self._ring("handoff")

    # -- any time -----------------------------------------------------------------------------

    def set_language(self, language: str) -> None:
        """Switch language without losing anything of the visit."""
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        self.touch()
        self.visit.language = language
        self.view.apply_language(language)

    def set_large_text(self, on: bool) -> None:
        self.touch()
        self.visit.large_text = on

    def call_staff(self) -> None:
        """The resident's call: a visible and audible call covering the page; the visit waits
        (no timeout) until a member of staff signs in."""
        self.touch()
        if self.staff_call_active and self.staff_call_covers:
            return
        self.staff_call_covers = True
        if self.staff_call_active:  # a help path rang already: now it covers the page too
            self.view.show_staff_call(True)
            return
        self._ring("staff_requested")

    def _ring(self, reason: str) -> None:
        """Call staff (audited `staff.called`) and stop every time-out until they sign in."""
        self._hide_warning()
        if self.staff_call_active:
            return
        self.staff_call_active = True
        self._audit("staff.called", purpose="support", reason=reason)
        self._ports.staff_call.call()
        self.view.show_staff_call(True)

    def _call_answered(self) -> None:
        if not self.staff_call_active:
            return
        self.staff_call_active = False
        self.staff_call_covers = False
        self._ports.staff_call.cancel()
        self.view.show_staff_call(False)
        self.touch()
        if self._away_since is not None:  # the grace starts again once staff are here
            self._away_since = self._ports.clock.monotonic()

    def touch(self) -> None:
        """Someone used the screen: the inactivity clock starts again."""
        self._last_activity = self._ports.clock.monotonic()
        if self._warning_since is not None:
            self._hide_warning()

    def keep_going(self) -> None:
        """The big "続ける" on the timeout warning."""
        self.touch()

    def tick(self) -> None:
        """Called about once a second: inactivity warning, then the wipe; a lifted card's
        grace. Every time-out waits while a call to staff is open."""
        if self._away_since is not None:
            if self.card_away_seconds_left() == 0:
                self.wipe("card_removed", "other")
                self.view.show_message("ui.session.card_removed")
            else:
                self.view.show_card_away(True)  # the countdown
            return
        idle_page = self.page is Page.WELCOME and not self.visit.started
        if idle_page or self.page is Page.TAKE_CARD or self.staff_call_active:
            return
        now = self._ports.clock.monotonic()
        if self._warning_since is None:
            if now - self._last_activity >= self.inactivity_s:
                self._warning_since = now
                self.view.show_timeout_warning(self.warning_s)
            return
        left = self.warning_s - (now - self._warning_since)
        if left <= 0:
            self.wipe("timeout", "timeout")
            self.view.show_message("ui.session.timed_out")
        else:
            self.view.show_timeout_warning(int(left + 0.999))

    @property
    def warning_shown(self) -> bool:
        return self._warning_since is not None

    def wipe(self, outcome: str = "abandoned", reason: str = "other") -> None:
        """End the visit: drop everything of it; a card still on the reader must be taken."""
        self._stop_face()
        if self.visit.started:
            self._audit("session.ended", outcome=outcome, reason=reason)
        if self.staff_call_active:
            self.staff_call_active = False
            self.staff_call_covers = False
            self._ports.staff_call.cancel()
            self.view.show_staff_call(False)
        self._hide_warning()
        self._held = None
        if self._away_since is not None:
            self._away_since = None
            self.view.show_card_away(False)
        self.visit.drop()  # photos and printouts of this visit go too
        leaving_language = self.visit.language
        self.visit = self._new_visit()
        self.view.session_wiped()
        # "Please take your card" is said in the language the resident was reading; the
        # next resident's first screen is back in the site's language (card_removed).
        self.view.apply_language(leaving_language if self.card_present else self.visit.language)
        self._go(Page.TAKE_CARD if self.card_present else Page.WELCOME)

    # -- inside -------------------------------------------------------------------------------

    def _new_visit(self) -> Visit:
        v = Visit(language=self.default_language, large_text=self.default_large_text)
        v.pending = None
        return v

    def _begin(self, with_card: bool) -> None:
        v = self.visit
        v.with_card = with_card
        self.touch()
        if not v.started:  # a clerk may have signed in on the first screen already
            v.started = True
            self._audit("session.started", language=v.language)

    def _still_here(
        self, page: Page, fn: Callable[[_T], None], also: Callable[[], bool] = lambda: True
    ) -> Callable[[_T], None]:
        """`fn` for a call that comes back later (the card reader, the camera, a worker): run
        only while this visit is still on `page` and `also()` holds, else dropped unheard."""
        visit = self.visit

        def call(arg: _T) -> None:
            if self.visit is visit and self.page is page and also():
                fn(arg)

        return call

    def _while_reading(self, fn: Callable[..., None]) -> Callable[..., None]:
        """`fn` once the reader is free, only if this visit still waits on READING with its
        card on the reader (taken away, or the visit over: dropped)."""

        def run(args: tuple[object, ...]) -> None:
            fn(*args)

        bound = self._still_here(Page.READING, run, lambda: self.card_present)
        return lambda *args: bound(args)

    def _hide_warning(self) -> None:
        if self._warning_since is not None:
            self._warning_since = None
            self.view.hide_timeout_warning()

    def _go(self, page: Page) -> None:
        if page is not Page.PIN_B:
            self.visit.front_read = None  # a card-front reading is confirmed where it is shown
        self.page = page
        self.view.show_message("")
        self.view.show_page(page)

    def _audit(
        self,
        event: str,
        *,
        categories: Sequence[str] = (),
        purpose: str = "identity",
        **fields: object,
    ) -> None:
        audit_role = self.role
        self._ports.audit.record(
            self.visit.id, event, role=audit_role, categories=categories, purpose=purpose, **fields
        )
        logs.event(log, f"session.{event}", page=self.page.value)


def _reason(message_id: str) -> str:
    return "card_untrusted" if message_id == "card.untrusted" else "other"


def _up_to_municipality(address: str) -> str:
    """ "東京都千代田区千代田1-1" -> "東京都千代田区" (cuts after the first 市, 区, 町 or 村)."""
    start = 0
    for pref_end in ("都", "道", "府", "県"):
        i = address.find(pref_end)
        if 0 < i <= 3:
            start = i + 1
            break
    for i in range(start, len(address)):
        if address[i] in "市区町村郡":
            if address[i] == "郡":
                continue
            return address[: i + 1] + "…"
    return address[:start] + "…" if start else "…"
