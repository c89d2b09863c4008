"""A lifted card holds the visit: the same person goes on, anyone else or the grace ends it."""

from __future__ import annotations

import dataclasses
import math

import pytest

from kiosk.config import from_dict
from kiosk.errors import ConfigError
from kiosk.flows.session import Page, SessionMachine
from tests.helpers.session import HANAKO, TARO, FakeCard, World
from tests.unit.session.test_session import View, place, start, take


def _to_a_question() -> tuple[SessionMachine, View, World]:
    session, view, world = start()
    place(session, world)
    session.choose_method("pin")
    session.enter_pin("1234")
    session.confirm_identity(True)
    session.choose_procedure("risai")
    session.answer("yes")
    return session, view, world


def test_the_same_card_back_resumes_where_she_was() -> None:
    session, view, world = _to_a_question()
    visit = session.visit
    take(session, world)
    assert view.card_away and session.page is Page.QUESTION and session.visit is visit
    world.clock.advance(session.card_grace_s - 1)
    session.tick()
    assert session.visit is visit and session.card_away_seconds_left() == 1
    place(session, world)  # the same card
    assert not view.card_away and session.page is Page.CHOOSE_METHOD
    assert view.last_message() == "ui.card.prove_again" and session.visit.holder is None
    session.choose_method("pin")
    session.enter_pin("1234")
    assert session.visit is visit and session.page is Page.QUESTION  # no read-back again
    assert session.visit.answers == {"dwelling": "yes"} and session.visit.confirmed
    assert [x.event for x in world.audit.lines].count("session.started") == 1


def test_another_persons_card_ends_the_held_visit() -> None:
    session, _view, world = _to_a_question()
    visit = session.visit
    take(session, world)
    place(session, world, TARO)
    session.choose_method("pin")
    session.enter_pin(TARO.pin)
    assert session.visit is not visit and session.visit.answers == {}
    assert session.page is Page.TAKE_CARD and session.readback() is None
    ended = [x.fields for x in world.audit.lines if x.event == "session.ended"]
    assert ended == [{"outcome": "card_removed", "reason": "other"}]


def test_the_grace_running_out_ends_the_visit() -> None:
    session, view, world = _to_a_question()
    visit = session.visit
    take(session, world)
    world.clock.advance(60)
    session.tick()
    assert session.card_away_seconds_left() == session.card_grace_s - 60
    world.clock.advance(session.card_grace_s - 60)
    session.tick()
    assert session.visit is not visit and session.page is Page.WELCOME and not view.card_away
    assert view.last_message() == "ui.session.card_removed" and session.visit.answers == {}


def test_finish_on_the_notice_ends_it_now() -> None:
    session, view, world = _to_a_question()
    take(session, world)
    session.end_held_visit()
    assert session.page is Page.WELCOME and not view.card_away
    ended = [x.fields for x in world.audit.lines if x.event == "session.ended"]
    assert ended == [{"outcome": "card_removed", "reason": "resident_choice"}]


def test_an_open_call_stops_the_grace() -> None:
    session, view, world = _to_a_question()
    visit = session.visit
    take(session, world)
    session.call_staff()
    world.clock.advance(10 * session.card_grace_s)
    session.tick()
    assert session.visit is visit and view.card_away


def test_a_flapping_card_is_one_visit_and_one_ticket() -> None:
    """The field report: an unreadable card flapping on the reader issued 7 tickets in 6 s."""
    session, _view, world = start()
    card = FakeCard(dataclasses.replace(HANAKO), readable=False)
    for _ in range(7):
        world.reader.card = card
        session.card_inserted()
        world.clock.advance(0.4)
        world.reader.card = None
        session.card_removed()
        world.clock.advance(0.4)
        session.tick()
    assert world.counter.n == 1
    events = [x.event for x in world.audit.lines]
    assert events.count("session.started") == 1 and events.count("handoff") == 1


def test_a_readable_card_flapping_is_one_visit() -> None:
    session, _view, world = start()
    for _ in range(5):
        place(session, world)
        take(session, world)
    place(session, world)
    assert session.page is Page.CHOOSE_METHOD
    assert [x.event for x in world.audit.lines].count("session.started") == 1


def test_card_grace_setting_is_bounded() -> None:
    assert from_dict({}).session.card_grace_s == 180
    assert from_dict({"session": {"card_grace_s": 60}}).session.card_grace_s == 60
    for bad in (0, 5, 10**6, -1, math.inf, "180", 180.5, True):
        with pytest.raises(ConfigError, match="session"):
            from_dict({"session": {"card_grace_s": bad}})
