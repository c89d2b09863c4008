"""What every page of the kiosk shares: a heading, a body, and three duties.

`refresh()` pulls what the page shows from the session when the page appears; `clear()` drops
every personal thing the page holds (called when a visit is wiped); `voice_text()` is what the
voice guidance reads — built from message ids only, so it never contains a PIN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLayout,
    QScrollArea,
    QScroller,
    QVBoxLayout,
    QWidget,
)

from kiosk.flows.session import Page, SessionMachine
from kiosk.ui.widgets import BigButton, Keypad, TrLabel, t

if TYPE_CHECKING:
    from kiosk.flows.ports import FrameSource


class KioskPage(QWidget):
    page: Page
    # The voice of this page carries the resident's own data (a name, a birth date): the
    # speaker must not cache its audio, and it is forgotten with the visit.
    personal_voice: bool = False

    def __init__(self, session: SessionMachine) -> None:
        super().__init__()
        self.setObjectName("page")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.session = session
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(64, 20, 64, 20)
        self.layout_.setSpacing(16)
        self.heading = TrLabel(role="heading")
        self.heading.setObjectName(f"{self.page.value}Heading")
        self.layout_.addWidget(self.heading)
        self.spoken: list[TrLabel] = [self.heading]

    # -- building helpers ------------------------------------------------------------------

    def label(self, message_id: str = "", role: str = "body", spoken: bool = True) -> TrLabel:
        lab = TrLabel(message_id, role=role)
        self.layout_.addWidget(lab)
        if spoken:
            self.spoken.append(lab)
        return lab

    def button(
        self,
        message_id: str,
        action: Callable[[], object],
        kind: str = "secondary",
        name: str = "",
        row: QLayout | None = None,
    ) -> BigButton:
        b = BigButton(message_id, kind=kind)
        b.setObjectName(name or message_id.replace(".", "_"))
        b.clicked.connect(lambda: action())
        (row if row is not None else self.layout_).addWidget(b)
        return b

    def scrolling(self, layout: QLayout) -> QLayout:
        """Put `layout` in its own scroll area that takes the free height, so a long list
        scrolls while the page's buttons below it stay in sight."""
        box = QWidget()
        box.setObjectName("page")
        box.setLayout(layout)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(box)
        QScroller.grabGesture(scroll.viewport(), QScroller.ScrollerGestureType.TouchGesture)
        self.layout_.addWidget(scroll, 1)
        return layout

    def row(self) -> QHBoxLayout:
        r = QHBoxLayout()
        r.setSpacing(24)
        self.layout_.addLayout(r)
        return r

    # -- duties ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Pull from the session what this page shows (called each time it appears)."""

    def clear(self) -> None:
        """Drop everything personal (called when the visit is wiped)."""

    def on_language_changed(self) -> None:
        """Texts built from translated parameters are rebuilt here; the rest retranslate alone."""

    def voice_text(self) -> str:
        """The page's texts, then its choices (so a resident who cannot see hears them)."""
        lines = [lab.raw_text() for lab in self.spoken if lab.raw_text()]
        for b in self.findChildren(BigButton):
            inside_keypad = isinstance(b.parentWidget(), Keypad)
            if b.isVisibleTo(self) and b.message_id and not inside_keypad:
                lines.append(t(b.message_id, **b.params))
        return "\n".join(lines)

    def first_focus(self) -> QWidget | None:
        """The control keyboard and switch users land on when the page appears."""
        return None


class PageContext:
    """What pages need beyond the session: the live camera for the face page."""

    def __init__(self, frames: FrameSource | None = None) -> None:
        self.frames = frames
