"""Every help path rings: staff are called (audited), time-outs stop, only staff end the call."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kiosk.flows.ports import FaceVerdict
from kiosk.flows.session import Page, SessionMachine
from kiosk.store.audit import EVENTS, FIELD_RULES
from tests.helpers.session import CLERK_CARD, HANAKO, World
from tests.unit.session.test_session import place, start, to_services


def _visual_check(session: SessionMachine, world: World) -> None:
    place(session, world)
    session.choose_method("staff")


def _no_card(session: SessionMachine, world: World) -> None:
    session.continue_without_card()


def _face_failed(session: SessionMachine, world: World) -> None:
    world.face.answers = [FaceVerdict(False, "face_no_match")] * 3
    place(session, world)
    session.choose_method("face")
    session.enter_pin_b(HANAKO.pin_b)
    for _ in range(3):
        session.start_face_check()


def _handoff(session: SessionMachine, world: World) -> None:
    to_services(session, world)
    session.handoff()


def _not_me(session: SessionMachine, world: World) -> None:
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.confirm_identity(False)


def _pressed_call(session: SessionMachine, world: World) -> None:
    to_services(session, world)
    session.call_staff()


PATHS: dict[str, tuple[Callable[[SessionMachine, World], None], str, Page]] = {
    "visual_check": (_visual_check, "visual_check", Page.STAFF_SIGNIN),
    "no_card": (_no_card, "no_card", Page.STAFF_SIGNIN),
    "face_failed": (_face_failed, "face_no_match", Page.CHOOSE_METHOD),
    "handoff": (_handoff, "handoff", Page.HANDOFF),
    "not_me": (_not_me, "not_me", Page.NOT_ME),
    "call_button": (_pressed_call, "staff_requested", Page.SERVICES),
}


@pytest.mark.parametrize("path", list(PATHS))
def test_every_help_path_rings_and_waits_for_staff(path: str) -> None:
    walk, reason, page = PATHS[path]
    session, view, world = start(inactivity_s=30, warning_s=20)
    walk(session, world)
    assert session.page is page and session.staff_call_active and view.call_visible
    assert world.staff_call.calls == ["call"]
    called = [x for x in world.audit.lines if x.event == "staff.called"]
    assert [x.fields for x in called] == [{"reason": reason}]
    visit = session.visit
    # Staff are on their way: ten minutes pass, no warning and no wipe.
    for _ in range(20):
        world.clock.advance(30)
        session.tick()
    assert session.visit is visit and session.page is page and view.warnings == []
    # Nothing the resident can tap ends the call.
    session.keep_going()
    session.call_staff()
    session.cancel_staff_signin()
    assert session.staff_call_active and world.staff_call.calls == ["call"]
    assert not hasattr(session, "staff_call_answered")
    # A clerk's staff card opens the sign-in wherever the resident is; her PIN answers it.
    assert session.staff_card(CLERK_CARD)
    assert session.page is Page.STAFF_SIGNIN and session.staff_call_active
    assert session.staff_sign_in("clerk1", "9999")
    assert not session.staff_call_active and not view.call_visible
    assert world.staff_call.calls == ["call", "cancel"]
    signin = [x.fields for x in world.audit.lines if x.event == "staff.signin"]
    assert signin[-1]["outcome"] == "ok" and signin[-1]["staff_id"] == "clerk1"


def test_a_help_call_ends_only_by_a_staff_signin_with_id_and_pin() -> None:
    session, _view, world = start()
    _visual_check(session, world)
    assert not session.staff_sign_in("clerk1", "0000")  # a wrong PIN ends nothing
    assert session.staff_call_active
    assert session.staff_sign_in("clerk1", "9999")
    assert not session.staff_call_active and session.page is Page.PIN_B


def test_the_call_from_the_timeout_warning_hides_it_and_stops_the_clock() -> None:
    session, view, world = start(inactivity_s=30, warning_s=20)
    to_services(session, world)
    world.clock.advance(30)
    session.tick()
    assert view.warning_visible
    session.call_staff()  # the red button on the warning itself
    assert not view.warning_visible and session.staff_call_active and session.staff_call_covers
    world.clock.advance(600)
    session.tick()
    assert session.page is Page.SERVICES and view.warnings == [20]


def test_a_help_call_is_covered_when_the_resident_presses_call_too() -> None:
    session, _view, world = start()
    _visual_check(session, world)
    assert not session.staff_call_covers  # the sign-in keypad stays usable for the clerk
    session.call_staff()
    assert session.staff_call_covers and world.staff_call.calls == ["call"]
    assert [x.event for x in world.audit.lines].count("staff.called") == 1


def test_staff_called_carries_a_reason_and_nothing_else() -> None:
    assert EVENTS["staff.called"] == frozenset({"reason"})
    rule = FIELD_RULES["reason"]
    for reason in ("visual_check", "no_card", "handoff", "not_me", "staff_requested"):
        assert rule(reason)
    assert not rule("山田花子")


def test_a_staff_card_outside_a_call_does_not_take_over_the_screen() -> None:
    session, _view, world = start()
    to_services(session, world)
    assert not session.staff_card(CLERK_CARD)
    assert session.page is Page.SERVICES and session.staff is None
