"""The visit as a state machine, driven without widgets through a recording view."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from kiosk.flows.ports import FaceVerdict, PaperRoute, Question, Refused
from kiosk.flows.session import Page, SessionMachine
from tests.helpers.session import (
    CLERK_CARD,
    HANAKO,
    HELPER_CARD,
    PNG,
    TARO,
    Deferred,
    FakeCard,
    Resident,
    World,
)


class View:
    """Records what the session asked to show."""

    def __init__(self) -> None:
        self.pages: list[Page] = []
        self.messages: list[tuple[str, dict[str, object]]] = []
        self.warnings: list[int] = []
        self.warning_visible = False
        self.call_visible = False
        self.card_away = False
        self.face_running = False
        self.languages: list[str] = []
        self.wipes = 0

    def show_page(self, page: Page) -> None:
        self.pages.append(page)

    def show_message(self, message_id: str, **params: object) -> None:
        if message_id:
            self.messages.append((message_id, params))

    def show_timeout_warning(self, seconds_left: int) -> None:
        self.warnings.append(seconds_left)
        self.warning_visible = True

    def hide_timeout_warning(self) -> None:
        self.warning_visible = False

    def show_staff_call(self, active: bool) -> None:
        self.call_visible = active

    def show_card_away(self, active: bool) -> None:
        self.card_away = active

    def show_face_check(self, running: bool) -> None:
        self.face_running = running

    def apply_language(self, language: str) -> None:
        self.languages.append(language)

    def session_wiped(self) -> None:
        self.wipes += 1

    def last_message(self) -> str:
        return self.messages[-1][0] if self.messages else ""


def start(world: World | None = None, **kw: object) -> tuple[SessionMachine, View, World]:
    world = world or World()
    offered = ("risai", "higai", "support-check", "insurance")
    session = SessionMachine(world.ports(), offered, **kw)  # type: ignore[arg-type]
    view = View()
    session.attach(view)
    return session, view, world


def place(session: SessionMachine, world: World, resident: Resident = HANAKO) -> FakeCard:
    card = FakeCard(dataclasses.replace(resident))
    world.reader.card = card
    session.card_inserted()
    return card


def take(session: SessionMachine, world: World) -> None:
    world.reader.card = None
    session.card_removed()


def take_for_good(session: SessionMachine, world: World) -> None:
    """The card is lifted and not put back: the visit ends when the grace runs out."""
    take(session, world)
    world.clock.advance(session.card_grace_s)
    session.tick()


def test_pin_path_to_receipt_and_take_card() -> None:
    session, _view, world = start()
    place(session, world)
    assert session.page is Page.CHOOSE_METHOD
    session.choose_method("pin")
    assert session.page is Page.PIN and session.pin_tries_left() == 3
    session.enter_pin("1234")
    assert session.page is Page.READBACK
    rb = session.readback()
    assert rb is not None and rb.name == "山田\u3000花子"
    session.confirm_identity(True)
    assert session.page is Page.SERVICES
    session.choose_procedure("risai")
    for value in ("yes", "roof", "site"):
        assert session.page is Page.QUESTION
        session.answer(value)
    assert session.page is Page.REVIEW
    session.review_ok()
    session.give_consent(True)
    assert session.page is Page.RECEIPT
    assert session.receipt is not None and session.receipt.reference.startswith("ABCD")
    sub = world.procedures.submissions[0]
    assert sub.holder == HANAKO.holder and sub.answers["damage"] == "roof"
    assert sub.identity_method == "pin"
    session.finish()
    assert session.page is Page.TAKE_CARD  # the card is still on the reader
    assert session.readback() is None
    take(session, world)
    assert session.page is Page.WELCOME
    events = world.audit.events()
    assert events[0] == "session.started" and "consent.given" in events
    # `submission.created` is the store's, written in the submit transaction (test_golden).
    assert "submission.created" not in events
    assert events[-1] == "session.ended"


def test_wrong_pin_counts_down_and_the_last_try_needs_a_clerk() -> None:
    session, view, world = start()
    card = place(session, world)
    session.choose_method("pin")
    session.enter_pin("0000")
    assert view.last_message() == "ui.pin.wrong" and view.messages[-1][1] == {"tries": 2}
    session.enter_pin("1111")
    assert session.page is Page.PIN_LAST_TRY  # one try left: the guard stops here
    assert card.tries == 1
    calls_before = card.verify_calls
    session.enter_pin("1234")  # ignored: not on the PIN page
    assert card.verify_calls == calls_before

    session.allow_last_try()
    assert session.page is Page.STAFF_SIGNIN
    assert not session.staff_sign_in("helper1", "1111")  # a supporter may not allow it
    assert view.last_message() == "ui.staff.needs_clerk"
    assert session.staff_sign_in("clerk1", "9999")
    assert session.page is Page.PIN
    session.enter_pin("1234")
    assert session.page is Page.READBACK and card.tries == 3


def test_guard_also_holds_when_a_card_arrives_with_one_try_left() -> None:
    session, _, world = start()
    card = place(session, world, dataclasses.replace(HANAKO, pin_tries=1))
    session.choose_method("pin")
    assert session.page is Page.PIN_LAST_TRY and card.verify_calls == 0


def test_blocked_pin_offers_the_other_ways() -> None:
    session, view, world = start()
    place(session, world, dataclasses.replace(HANAKO, pin_tries=0))
    session.choose_method("pin")
    assert session.page is Page.CHOOSE_METHOD
    assert view.last_message() == "ui.card.pin_blocked"


def test_face_path_uses_pin_b_then_the_camera() -> None:
    session, _, world = start()
    place(session, world)
    session.choose_method("face")
    assert session.page is Page.PIN_B
    session.enter_pin_b("15040120302285")
    assert session.page is Page.FACE and session.card_photo() == HANAKO.photo
    session.start_face_check()
    assert session.page is Page.READBACK
    assert session.visit.photo is None  # the photo is dropped once compared
    assert world.face.photos_seen == [HANAKO.photo]
    face_lines = [x for x in world.audit.lines if x.event == "auth.attempt"]
    assert face_lines[-1].fields["outcome"] == "ok"
    assert "face.live_image" in face_lines[-1].categories


def test_face_falls_back_after_three_misses() -> None:
    session, view, world = start()
    place(session, world)
    world.face.answers = [FaceVerdict(False, "face_no_match")] * 3
    session.choose_method("face")
    session.enter_pin_b("15040120302285")
    session.start_face_check()
    assert session.page is Page.FACE and view.last_message() == "ui.face.retry"
    session.start_face_check()
    session.start_face_check()
    assert session.page is Page.CHOOSE_METHOD
    assert view.last_message() == "ui.face.fallback"
    assert session.visit.photo is None and session.visit.pending is None
    assert "auth.fallback" in world.audit.events()


def test_no_camera_keeps_the_resident_on_the_choice() -> None:
    world = World(camera=False)
    session, view, _ = start(world)
    place(session, world)
    session.choose_method("face")
    assert session.page is Page.CHOOSE_METHOD and view.last_message() == "ui.face.unavailable"


def test_staff_visual_check_records_who_and_why() -> None:
    session, _, world = start()
    place(session, world)
    session.choose_method("staff")
    assert session.page is Page.STAFF_SIGNIN
    assert not session.staff_sign_in("clerk1", "1234")  # wrong staff PIN
    assert session.staff_sign_in("clerk1", "9999")
    assert session.page is Page.PIN_B
    session.enter_pin_b("15040120302285")
    assert session.page is Page.STAFF_CHECK and session.card_photo() == HANAKO.photo
    session.staff_confirm_check("accessibility")
    assert session.page is Page.READBACK
    check = next(x for x in world.audit.lines if x.event == "staff.check")
    assert check.fields == {"staff_id": "clerk1", "outcome": "ok", "reason": "accessibility"}
    assert check.role == "clerk"
    signins = [x.fields["outcome"] for x in world.audit.lines if x.event == "staff.signin"]
    assert signins == ["failed", "ok"]


def test_not_me_drops_the_data_and_gives_a_ticket() -> None:
    session, _, world = start()
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.confirm_identity(False)
    assert session.page is Page.NOT_ME
    assert session.readback() is None and session.ticket == "101"
    assert "not_me" in world.audit.events()
    session.finish()
    assert session.page is Page.TAKE_CARD


def test_card_pulled_mid_way_wipes_the_visit() -> None:
    session, view, world = start()
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.confirm_identity(True)
    session.choose_procedure("risai")
    session.answer("yes")
    take_for_good(session, world)
    assert session.page is Page.WELCOME
    assert session.visit.answers == {} and session.visit.holder is None
    assert view.last_message() == "ui.session.card_removed" and view.wipes == 1
    ended = world.audit.lines[-1]
    assert ended.event == "session.ended" and ended.fields["outcome"] == "card_removed"


def test_inactivity_warns_for_at_least_20_seconds_then_wipes() -> None:
    session, view, world = start(inactivity_s=60, warning_s=20)
    place(session, world)
    world.clock.advance(59)
    session.tick()
    assert not view.warning_visible
    world.clock.advance(1)
    session.tick()
    assert view.warning_visible and view.warnings[-1] == 20
    world.clock.advance(10)
    session.tick()
    assert view.warnings[-1] == 10
    session.keep_going()  # the big 続ける
    assert not view.warning_visible and session.page is Page.CHOOSE_METHOD
    world.clock.advance(60)
    session.tick()
    world.clock.advance(19.5)
    session.tick()
    assert session.page is Page.CHOOSE_METHOD
    world.clock.advance(0.5)
    session.tick()
    assert session.page is Page.TAKE_CARD  # wiped; the card must still be taken
    assert view.last_message() == "ui.session.timed_out"
    assert world.audit.lines[-1].fields == {"outcome": "timeout", "reason": "timeout"}


def test_warning_shorter_than_20_seconds_is_refused() -> None:
    with pytest.raises(ValueError, match="20"):
        start(warning_s=10)


def test_call_staff_pauses_the_timeout_until_answered() -> None:
    session, view, world = start(inactivity_s=30, warning_s=20)
    place(session, world)
    session.call_staff()
    assert view.call_visible and world.staff_call.calls == ["call"]
    world.clock.advance(600)
    session.tick()
    assert session.page is Page.CHOOSE_METHOD and not view.warning_visible
    assert session.staff_card(CLERK_CARD)  # the clerk who came answers with a staff card
    assert session.staff_call_active  # the card names her; her PIN signs her in
    assert session.staff_sign_in("clerk1", "9999")
    assert session.page is Page.CHOOSE_METHOD and not session.staff_call_active
    assert not view.call_visible and world.staff_call.calls == ["call", "cancel"]
    world.clock.advance(30)
    session.tick()
    assert view.warning_visible


def test_language_switch_keeps_the_visit_and_resets_for_the_next_resident() -> None:
    session, view, world = start()
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.set_language("en")
    assert session.page is Page.READBACK and session.readback() is not None
    assert view.languages[-1] == "en"
    session.confirm_identity(True)
    session.finish()
    # The card is still on the reader: "please take your card" stays in English, while the
    # visit itself is already wiped back to the site's language.
    assert session.page is Page.TAKE_CARD and view.languages[-1] == "en"
    assert session.language == "ja"
    take(session, world)
    assert session.language == "ja" and view.languages[-1] == "ja"


def test_two_residents_back_to_back_share_nothing() -> None:
    session, _, world = start()
    place(session, world, HANAKO)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.set_language("vi")
    session.set_large_text(True)
    session.confirm_identity(True)
    session.choose_procedure("support-check")
    session.answer("2")
    first = session.visit.id
    take_for_good(session, world)

    place(session, world, TARO)
    assert session.visit.id != first
    v = session.visit
    assert (v.holder, v.answers, v.asked, v.staff, v.receipt, v.ticket) == (
        None,
        {},
        [],
        None,
        None,
        None,
    )
    assert (v.language, v.large_text, v.method, v.confirmed) == ("ja", False, None, False)
    session.choose_method("pin")
    assert session.pin_tries_left() == 3
    session.enter_pin("5678")
    rb = session.readback()
    assert rb is not None and rb.name == "佐藤\u3000太郎"
    ids = {x.session_id for x in world.audit.lines}
    assert len(ids) == 2  # each visit has its own audit session id


def test_without_a_card_a_clerk_checks_an_id_document() -> None:
    session, _, world = start()
    session.continue_without_card()
    assert session.page is Page.STAFF_SIGNIN
    assert session.staff_sign_in("clerk1", "9999")
    assert session.page is Page.STAFF_CHECK and session.card_photo() is None
    session.staff_confirm_check("resident_choice")
    assert session.page is Page.SERVICES
    session.choose_procedure("risai")
    for value in ("no", "floor", "self"):
        session.answer(value)
    session.review_ok()
    session.give_consent(True)
    assert world.procedures.submissions[0].holder is None
    assert world.procedures.submissions[0].identity_method == "staff"
    session.finish()
    assert session.page is Page.WELCOME  # no card to take


def test_supporter_sees_no_full_address_no_medical_and_cannot_consent() -> None:
    session, _, world = start()
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.request_staff("assist")
    assert session.staff_sign_in("helper1", "1111")
    assert session.page is Page.READBACK and session.role == "supporter"
    session.confirm_identity(True)
    assert session.visible_address() == "東京都千代田区…"
    session.choose_procedure("insurance")
    assert session.page is Page.STEP_AWAY  # medical question: the supporter steps back
    session.resident_alone()
    assert session.role == "resident" and session.page is Page.QUESTION
    session.answer("yes")
    session.review_ok()
    assert session.page is Page.CONSENT
    assert session.review_items()[1].value == HANAKO.holder.address


def test_supporter_on_review_must_step_away_before_consent() -> None:
    session, _, world = start()
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.confirm_identity(True)
    session.request_staff("assist")
    session.staff_sign_in("helper1", "1111")
    assert session.page is Page.SERVICES
    session.choose_procedure("higai")
    session.answer("flooded")
    values = [i.value for i in session.review_items()]
    assert HANAKO.holder.address not in values
    session.review_ok()
    assert session.page is Page.STEP_AWAY
    session.give_consent(True)  # not on the consent page: nothing happens
    assert world.procedures.submissions == []
    session.resident_alone()
    assert session.page is Page.CONSENT and session.role == "resident"


def test_declined_consent_sends_nothing() -> None:
    session, view, world = start()
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.confirm_identity(True)
    session.choose_procedure("higai")
    session.answer("broken")
    session.review_ok()
    session.give_consent(False)
    assert session.page is Page.SERVICES and world.procedures.submissions == []
    assert view.last_message() == "ui.consent.declined"
    assert "consent.declined" in world.audit.events()


def test_back_goes_one_question_back_and_forgets_that_answer() -> None:
    session, _, world = start()
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.confirm_identity(True)
    session.choose_procedure("risai")
    session.answer("yes")
    session.answer("floor")
    session.back()
    q = session.question()
    assert q is not None and q.id == "damage" and "damage" not in session.visit.answers
    session.answer("roof")
    session.answer("site")
    session.back()  # from the review to the last question
    q = session.question()
    assert q is not None and q.id == "survey"


def test_number_questions_take_digits_only() -> None:
    session, view, world = start()
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.confirm_identity(True)
    session.choose_procedure("support-check")
    session.answer("123")
    assert view.last_message() == "ui.answer.number_digits"
    session.answer("3")
    q = session.question()
    assert q is not None and q.id == "injured"


def test_submit_failure_hands_off_to_the_counter() -> None:
    world = World()
    world.procedures.fail = True
    session, view, _ = start(world)
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.confirm_identity(True)
    session.choose_procedure("higai")
    session.answer("flooded")
    session.review_ok()
    session.give_consent(True)
    assert session.page is Page.HANDOFF and session.ticket is not None
    assert view.last_message() == "store.disk_full"


def test_unreadable_card_goes_to_a_person() -> None:
    session, view, world = start()
    world.reader.card = FakeCard(HANAKO, readable=False)
    session.card_inserted()
    assert session.page is Page.HANDOFF and view.last_message() == "card.not_mynumber"


def test_handoff_ticket_carries_no_personal_data() -> None:
    session, _, world = start()
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.confirm_identity(True)
    session.handoff()
    assert session.page is Page.HANDOFF and session.ticket == "101"
    line = next(x for x in world.audit.lines if x.event == "handoff")
    assert set(line.fields) == {"reason", "ticket"}


def test_no_pin_name_or_birth_date_in_audit_or_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    session, _, world = start()
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("0000")
    session.enter_pin("1234")
    session.confirm_identity(True)
    session.choose_procedure("risai")
    for value in ("yes", "roof", "site"):
        session.answer(value)
    session.review_ok()
    session.give_consent(True)
    dump = repr([dataclasses.asdict(x) for x in world.audit.lines]) + caplog.text
    for secret in ("1234", "0000", "山田", "花子", "1940", "千代田"):
        assert secret not in dump, secret


def test_face_check_runs_off_the_gui_thread_and_a_late_verdict_is_dropped() -> None:
    session, view, world = start()
    world.face.hold = True
    place(session, world)
    session.choose_method("face")
    session.enter_pin_b(HANAKO.pin_b)
    session.start_face_check()
    assert view.face_running and session.page is Page.FACE
    session.start_face_check()  # a second press while looking starts nothing new
    assert world.face.photos_seen == [HANAKO.photo]
    assert world.face.guidance is not None
    world.face.guidance("face.move_closer")
    assert view.last_message() == "face.move_closer"
    late = world.face.pending
    take_for_good(session, world)  # the card leaves while the camera looks
    assert world.face.cancelled == 1 and not view.face_running
    assert late is not None
    late(FaceVerdict(True))  # the matcher answers after the visit ended
    assert session.page is Page.WELCOME and session.readback() is None


def test_face_retry_uses_the_enrolled_photo() -> None:
    session, view, world = start()
    world.face.answers = [FaceVerdict(False, "face_no_match"), FaceVerdict(True)]
    place(session, world)
    session.choose_method("face")
    session.enter_pin_b(HANAKO.pin_b)
    session.start_face_check()
    assert view.last_message() == "ui.face.retry" and not view.face_running
    session.start_face_check()
    assert session.page is Page.READBACK
    assert world.face.photos_seen == [HANAKO.photo]  # enrolled once, retried once


def test_pin_is_checked_after_the_reading_screen_and_not_if_the_card_left() -> None:
    world = World(defer=Deferred(immediate=False))
    session, _, _ = start(world)
    card = place(session, world)
    world.defer.run()
    session.choose_method("pin")
    session.enter_pin("1234")
    assert session.page is Page.READING and card.verify_calls == 0
    take_for_good(session, world)
    world.defer.run()  # the queued check finds the visit gone and does nothing
    assert card.verify_calls == 0 and session.page is Page.WELCOME


def test_wrong_pin_b_twice_goes_to_a_person() -> None:
    session, view, world = start()
    place(session, world)
    session.choose_method("face")
    session.enter_pin_b("1" * 14)
    assert session.page is Page.PIN_B and view.last_message() == "ui.pin_b.wrong"
    session.enter_pin_b("2" * 14)
    assert session.page is Page.HANDOFF and view.last_message() == "ui.pin_b.ask_staff"


def to_services(session: SessionMachine, world: World) -> None:
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.confirm_identity(True)


def test_an_unusable_answer_is_asked_again_with_the_reason() -> None:
    session, view, world = start()
    world.procedures.reject["dwelling"] = ("no", "procedures.error.not-dwelling-use-higai")
    to_services(session, world)
    session.choose_procedure("risai")
    session.answer("no")
    q = session.question()
    assert q is not None and q.id == "dwelling"
    assert view.last_message() == "procedures.error.not-dwelling-use-higai"
    session.answer("yes")
    session.answer("roof")
    session.answer("site")
    labels = [i.label_id for i in session.review_items()]
    assert labels.count("procedures.form.dwelling") == 1  # asked twice, reviewed once


def test_photo_question_take_retake_use() -> None:
    session, view, world = start()
    world.procedures.questions["higai"].append(
        Question("item.1.photo", "services.question.item-photo", kind="photo")
    )
    to_services(session, world)
    session.choose_procedure("higai")
    session.answer("flooded")
    assert session.question() is not None and session.question_photo() is None
    session.use_photo()  # nothing taken yet: nothing happens
    assert session.page is Page.QUESTION
    session.take_photo()
    session.take_photo()  # retake
    assert view.last_message() == "ui.photo.taken" and session.question_photo() is not None
    session.use_photo()
    assert session.page is Page.REVIEW
    review = {i.label_id: i for i in session.review_items()}
    assert review["services.question.item-photo"].value_id == "ui.review.photo_attached"
    session.review_ok()
    session.give_consent(True)
    assert world.procedures.submissions[0].answers["item.1.photo"] == "token1"


def test_no_camera_photo_question_says_so() -> None:
    world = World()
    world.desk.has_camera = False
    session, view, _ = start(world)
    world.procedures.questions["higai"] = [
        Question("item.1.photo", "services.question.item-photo", kind="photo")
    ]
    to_services(session, world)
    session.choose_procedure("higai")
    assert not session.can_take_photos()
    session.take_photo()
    assert view.last_message() == "services.camera-unavailable"


def test_paper_form_from_a_question_keeps_the_visit() -> None:
    session, view, world = start()
    to_services(session, world)
    session.choose_procedure("risai")
    session.answer("yes")
    session.paper_form()
    assert world.desk.forms == [("risai", True, {"dwelling": "yes"})]
    assert view.last_message() == "ui.paper.printed" and session.page is Page.QUESTION
    handoff = world.audit.lines[-1]
    assert handoff.event == "handoff" and handoff.fields["reason"] == "paper_route"


def test_every_wipe_drops_the_visit_whole(tmp_path: Path) -> None:
    session, _, world = start()
    to_services(session, world)
    old = session.visit
    old.photos["photo.front"] = ("token1", PNG)
    folder = old.printouts.folder(tmp_path)
    (folder / "receipt-AAAA-BBBB-CCCC.pdf").write_bytes(b"%PDF-1.4")
    take_for_good(session, world)
    assert session.visit is not old and old.photos == {} and not folder.exists()
    session.continue_without_card()
    old = session.visit
    old.photos["item.1.photo"] = ("token1", PNG)
    session.cancel_staff_signin()  # the bell rang: she waits for the clerk, nothing is lost
    assert session.visit is old and session.page is Page.STAFF_SIGNIN
    assert session.staff_sign_in("clerk1", "9999") and not session.staff_call_active
    for wait in (session.inactivity_s, session.warning_s):  # the time-out runs again
        world.clock.advance(wait)
        session.tick()
    assert session.visit is not old and old.photos == {}


def test_card_front_read_by_the_camera_spares_the_14_digits() -> None:
    world = World(card_front=True)
    session, view, _ = start(world)
    place(session, world)
    session.choose_method("face")
    assert session.can_read_card_front()
    world.front.clear = False
    session.read_card_front()
    assert session.page is Page.PIN_B and view.last_message() == "ui.pin_b.front_unclear"
    world.front.clear = True
    session.read_card_front()
    # What was read is shown to be confirmed first: a misread digit would spend a try.
    assert session.page is Page.PIN_B and world.reader.card is not None
    read = session.front_read()
    assert read is not None and read.birth_as_printed == "昭和15年4月1日"
    assert (read.expiry_year, read.security_code) == (2030, "2285")
    assert "花子" not in repr(read) and "2285" not in repr(read)
    session.confirm_front_read(False)  # "no": the keypad, nothing sent to the card
    assert session.front_read() is None and view.last_message() == "ui.pin_b.type_instead"
    assert world.reader.card.pin_b_calls == 0
    session.read_card_front()
    session.other_method()  # leaving the page drops the reading
    session.choose_method("face")
    assert session.front_read() is None
    session.read_card_front()
    session.confirm_front_read(True)
    assert session.page is Page.FACE and session.card_photo() == HANAKO.photo
    assert world.front.reads == 4


def test_without_a_front_reader_the_keypad_is_the_way() -> None:
    session, _, world = start()
    place(session, world)
    session.choose_method("face")
    assert not session.can_read_card_front()
    session.read_card_front()
    assert session.page is Page.PIN_B


def test_an_administrator_at_an_idle_kiosk_sees_todays_figures() -> None:
    session, _, world = start()
    session.request_staff("assist")
    assert session.staff_sign_in("admin1", "0000")
    assert session.page is Page.ADMIN
    from kiosk.ui.pages.admin import figure_rows  # the page formats what the session holds

    shown = figure_rows(session.statistics())
    rows = {(label, tuple(p.items())): value for label, p, value in shown}
    assert rows[("ui.admin.sessions", ())] == "12"
    assert rows[("ui.admin.completion", ())] == "75%"
    assert rows[("ui.admin.submissions", (("service", "risai"),))] == "5"
    export = world.audit.lines[-1]
    assert export.event == "export" and export.fields["what"] == "stats"
    session.close_statistics()
    assert session.page is Page.WELCOME and session.staff is None


def test_an_administrator_helping_a_resident_stays_on_the_visit() -> None:
    session, _, world = start()
    to_services(session, world)
    session.request_staff("assist")
    assert session.staff_sign_in("admin1", "0000")
    assert session.page is Page.SERVICES and session.statistics() == {}


def test_assisting_on_the_no_card_path_returns_to_the_same_page() -> None:
    session, _, _ = start()
    session.continue_without_card()
    session.staff_sign_in("clerk1", "9999")
    session.staff_confirm_check("resident_choice")
    assert session.page is Page.SERVICES
    session.staff_sign_out()
    session.request_staff("assist")
    assert session.staff_sign_in("helper1", "1111")
    assert session.page is Page.SERVICES


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("東京都千代田区千代田１番１号", "東京都千代田区…"),
        ("北海道札幌市中央区北１条西２丁目", "北海道札幌市…"),
        ("長野県北佐久郡軽井沢町大字軽井沢", "長野県北佐久郡軽井沢町…"),
        ("東京都町田市森野２丁目", "東京都町…"),  # a name with 町 in it: less is shown, never more
        ("どこか１２３", "…"),
    ],
)
def test_a_supporter_sees_the_address_up_to_the_municipality(address: str, shown: str) -> None:
    from kiosk.flows.session import _up_to_municipality

    assert _up_to_municipality(address) == shown


def test_the_card_front_is_read_away_from_the_screen_and_a_late_reading_is_dropped() -> None:
    """OCR takes seconds: it runs on the worker while the screen answers (staff call), and
    what it read after the card was taken never reaches the next visit."""
    world = World(card_front=True)
    session, view, _ = start(world)
    place(session, world)
    session.choose_method("face")
    world.background.hold = True
    session.read_card_front()
    assert session.page is Page.READING and len(world.background.waiting) == 1
    session.call_staff()
    assert view.call_visible  # the screen still answers while the camera looks
    world.background.finish()
    assert session.page is Page.PIN_B and session.front_read() is not None

    session.other_method()
    session.choose_method("face")
    session.read_card_front()
    take(session, world)  # the card leaves while the camera still looks
    place(session, world, TARO)
    world.background.finish()
    assert session.page is Page.CHOOSE_METHOD and session.visit.front_read is None


def test_a_staff_card_chooses_the_id_and_its_pin_still_signs_in() -> None:
    world = World()
    world.staff_cards = True
    session, view, world = start(world)
    assert session.can_use_staff_card()
    place(session, world)
    assert not session.staff_card(CLERK_CARD)  # not on the sign-in page: the screen is not taken
    assert session.page is Page.CHOOSE_METHOD and session.visit.staff is None
    session.choose_method("staff")
    assert not session.staff_card(bytes.fromhex("04000000000000"))  # a card nobody registered
    assert view.last_message() == "ui.staff.card_unknown" and session.page is Page.STAFF_SIGNIN
    assert not session.staff_card(HELPER_CARD)  # a supporter may not do the visual check
    assert view.last_message() == "ui.staff.needs_clerk"
    # The card alone is no credential: it names the member, and the PIN is asked.
    assert session.staff_card(CLERK_CARD)
    assert session.page is Page.STAFF_SIGNIN and session.visit.staff is None
    assert session.staff_card_holder == "clerk1"
    assert view.last_message() == "ui.staff.card_then_pin"
    # A PIN for another id after the card does not sign that id in.
    assert not session.staff_sign_in("helper1", "1111")
    assert view.last_message() == "ui.staff.card_other_id" and session.visit.staff is None
    assert not session.staff_sign_in("clerk1", "0000")  # the card's id with a wrong PIN
    assert view.last_message() == "ui.staff.signin_failed" and session.visit.staff is None
    assert session.staff_sign_in("clerk1", "9999")
    assert session.page is Page.PIN_B and session.visit.staff is not None
    assert session.visit.staff.id == "clerk1"
    signins = [x.fields for x in world.audit.lines if x.event == "staff.signin"]
    assert [f["outcome"] for f in signins] == ["failed", "declined", "failed", "failed", "ok"]
    assert signins[0]["method"] == "staff_card" and signins[-1]["method"] == "staff_card"


def test_a_cancelled_sign_in_forgets_the_staff_card() -> None:
    world = World()
    world.staff_cards = True
    session, _, world = start(world)
    place(session, world)
    session.choose_method("staff")
    assert session.staff_card(CLERK_CARD) and session.staff_card_holder == "clerk1"
    session.cancel_staff_signin()
    session.request_staff()
    assert session.page is Page.STAFF_SIGNIN and session.staff_card_holder is None
    assert session.staff_sign_in("helper1", "1111")  # id and PIN without a card still work


def test_without_a_staff_reader_the_sign_in_page_does_not_mention_cards() -> None:
    session, _, _ = start()
    assert not session.can_use_staff_card()


def _to_review(session: SessionMachine, world: World) -> None:
    to_services(session, world)
    session.choose_procedure("risai")
    for value in ("yes", "roof", "site"):
        session.answer(value)
    assert session.page is Page.REVIEW


def test_one_submission_key_per_review_screen_and_a_new_one_for_changed_answers() -> None:
    session, _, world = start()
    _to_review(session, world)
    key = session.visit.submission_key
    assert key
    session.back()  # the last question again: another request, another key
    assert session.visit.submission_key is None
    session.answer("site")
    assert session.visit.submission_key not in (None, key)
    key = session.visit.submission_key
    session.review_ok()
    session.give_consent(True)
    assert world.procedures.submissions[0].key == key


def test_a_paper_route_at_submit_is_audited_as_such_and_says_why() -> None:
    session, view, world = start()
    world.procedures.outcome = PaperRoute("services.paper.elsewhere")
    _to_review(session, world)
    session.review_ok()
    session.give_consent(True)
    assert session.page is Page.HANDOFF and view.last_message() == "services.paper.elsewhere"
    handoff, called = world.audit.lines[-2:]
    assert called.event == "staff.called" and called.fields == {"reason": "handoff"}
    assert handoff.event == "handoff" and handoff.fields["reason"] == "paper_route"
    assert handoff.fields["procedure"] == "risai" and handoff.purpose == "risai"


def test_a_refused_request_goes_to_the_counter_with_its_reason() -> None:
    session, view, world = start()
    world.procedures.outcome = Refused("procedures.error.items-required")
    _to_review(session, world)
    session.review_ok()
    session.give_consent(True)
    assert session.page is Page.HANDOFF
    assert view.last_message() == "procedures.error.items-required"
    handoff, called = world.audit.lines[-2:]
    assert called.event == "staff.called" and called.fields == {"reason": "handoff"}
    assert handoff.event == "handoff" and handoff.fields["reason"] == "other"


def test_one_consent_event_per_decision() -> None:
    session, _, world = start()
    _to_review(session, world)
    session.review_ok()
    session.give_consent(True)
    assert world.audit.events().count("consent.given") == 1
    assert "consent.declined" not in world.audit.events()
