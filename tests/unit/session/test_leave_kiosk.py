"""An administrator, and only an administrator, takes the kiosk down; it is audited."""

from __future__ import annotations

import dataclasses

from kiosk.flows.session import Page
from tests.helpers.session import World
from tests.unit.session.test_session import start


class Exit:
    """The service's side: records requests, and may refuse (the stop flag not writable)."""

    def __init__(self, works: bool = True) -> None:
        self.works = works
        self.requests = 0

    def leave(self) -> bool:
        self.requests += 1
        return self.works


def world_with(exit_port: Exit) -> World:
    world = World()
    ports = world.ports
    world.ports = lambda: dataclasses.replace(ports(), kiosk_exit=exit_port)  # type: ignore[method-assign]
    return world


def test_an_administrator_leaves_from_the_figures_page() -> None:
    exit_port = Exit()
    session, _, world = start(world_with(exit_port))
    session.request_staff("assist")
    assert session.staff_sign_in("admin1", "0000")
    assert session.page is Page.ADMIN and session.can_leave_kiosk()
    session.leave_kiosk()
    assert exit_port.requests == 1
    line = world.audit.lines[-1]
    assert (line.event, line.fields["staff_id"], line.fields["outcome"]) == (
        "kiosk.left", "admin1", "ok",
    )  # fmt: skip


def test_a_clerk_cannot_leave_the_kiosk() -> None:
    exit_port = Exit()
    session, _, _ = start(world_with(exit_port))
    session.request_staff("assist")
    assert session.staff_sign_in("clerk1", "9999")
    assert not session.can_leave_kiosk()
    session.leave_kiosk()
    assert exit_port.requests == 0


def test_a_refused_exit_keeps_serving_and_says_so() -> None:
    exit_port = Exit(works=False)
    session, view, world = start(world_with(exit_port))
    session.request_staff("assist")
    session.staff_sign_in("admin1", "0000")
    session.leave_kiosk()
    assert view.last_message() == "ui.admin.leave_failed"
    assert world.audit.lines[-1].fields["outcome"] == "failed"
    assert session.page is Page.ADMIN
