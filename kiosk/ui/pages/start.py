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


class HandoffPage(KioskPage):
    """ "Continue at the counter": a ticket number, nothing personal."""

    page = Page.HANDOFF

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.handoff.title")
        self.ticket = self.label(role="heading")
        self.ticket.setObjectName("handoffTicket")
        self.label("ui.handoff.body")
        self.layout_.addStretch(1)
        self.done = self.button(
            "ui.handoff.finish", session.finish, kind="primary", name="handoffDone"
        )

    def refresh(self) -> None:
        self.ticket.set_message("ui.handoff.ticket", ticket=self.session.ticket or "-")

    def clear(self) -> None:
        self.ticket.set_plain("")

    def first_focus(self) -> QWidget | None:
        return self.done


class NotMePage(KioskPage):
    """ "This is not me": the data is not used; staff takes over with a ticket."""

    page = Page.NOT_ME

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.not_me.title")
        self.label("ui.not_me.body")
        self.ticket = self.label(role="heading")
        self.ticket.setObjectName("notMeTicket")
        self.layout_.addStretch(1)
        self.done = self.button(
            "ui.handoff.finish", session.finish, kind="primary", name="notMeDone"
        )

    def refresh(self) -> None:
        self.ticket.set_message("ui.handoff.ticket", ticket=self.session.ticket or "-")

    def clear(self) -> None:
        self.ticket.set_plain("")

    def first_focus(self) -> QWidget | None:
        return self.done


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
