"""The pages at the edges of a visit: first screen, reading, hand-off, not-me, take your card."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from kiosk.flows.session import Page, SessionMachine
from kiosk.ui.pages.base import KioskPage
from kiosk.ui.widgets import Illustration


class WelcomePage(KioskPage):
    """The first screen: large and calm, an illustration of the card on the reader."""

    page = Page.WELCOME

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.welcome.title")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.layout_.addStretch(1)
        self.picture = Illustration("card-on-reader", height=380)
        self.layout_.addWidget(self.picture, 10, Qt.AlignmentFlag.AlignHCenter)
        self.hint = self.label("ui.welcome.hint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.layout_.addStretch(1)
        self.no_card = self.button(
            "ui.welcome.no_card", session.continue_without_card, name="noCard"
        )

    def first_focus(self) -> QWidget | None:
        return self.no_card


class ReadingPage(KioskPage):
    page = Page.READING

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.reading.title")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.layout_.addStretch(1)
        self.layout_.addWidget(
            Illustration("reading", height=320), 10, Qt.AlignmentFlag.AlignHCenter
        )
        self.label("ui.reading.keep").setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.layout_.addStretch(1)


class _TicketPage(KioskPage):
    """A page that hands the resident to a person with a numbered ticket (nothing personal on
    it). Subclasses name their texts; the "not me" page explains before it shows the number."""

    title: str
    body: str
    name: str  # object-name prefix: handoffTicket / handoffDone, notMeTicket / notMeDone
    explain_first = False

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message(self.title)
        if self.explain_first:
            self.label(self.body)
        self.ticket = self.label(role="heading")
        self.ticket.setObjectName(f"{self.name}Ticket")
        if not self.explain_first:
            self.label(self.body)
        self.layout_.addStretch(1)
        self.done = self.button(
            "ui.handoff.finish", session.finish, kind="primary", name=f"{self.name}Done"
        )

    def refresh(self) -> None:
        self.ticket.set_message("ui.handoff.ticket", ticket=self.session.ticket or "-")

    def clear(self) -> None:
        self.ticket.set_plain("")

    def first_focus(self) -> QWidget | None:
        return self.done


class HandoffPage(_TicketPage):
    """ "Continue at the counter": a ticket number, nothing personal."""

    page = Page.HANDOFF
    title, body, name = "ui.handoff.title", "ui.handoff.body", "handoff"


class NotMePage(_TicketPage):
    """ "This is not me": the data is not used; staff takes over with a ticket."""

    page = Page.NOT_ME
    title, body, name = "ui.not_me.title", "ui.not_me.body", "notMe"
    explain_first = True


class TakeCardPage(KioskPage):
    """Shown, and spoken again and again, until the card leaves the reader."""

    page = Page.TAKE_CARD

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.take_card.title")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.layout_.addStretch(1)
        self.layout_.addWidget(
            Illustration("take-card", height=380), 10, Qt.AlignmentFlag.AlignHCenter
        )
        self.label("ui.take_card.body").setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.layout_.addStretch(1)
