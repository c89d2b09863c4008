"""Today's figures for an administrator: counts from the audit log, nothing personal."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtWidgets import QFormLayout, QWidget

from kiosk.flows.procedures import registry
from kiosk.flows.session import Page, SessionMachine
from kiosk.ui.pages.base import KioskPage
from kiosk.ui.text import base_text
from kiosk.ui.widgets import TrLabel, t


def figure_rows(stats: Mapping[str, object]) -> list[tuple[str, dict[str, object], str]]:
    """Today's figures as (label id, label params, value as shown), in reading order."""
    if not stats:
        return []
    rate = stats.get("completion_rate")
    rows: list[tuple[str, dict[str, object], str]] = [
        ("ui.admin.sessions", {}, str(stats.get("sessions", 0))),
        ("ui.admin.completion", {}, "-" if rate is None else f"{float(str(rate)):.0%}"),
        ("ui.admin.handoffs", {}, str(stats.get("handoffs", 0))),
        ("ui.admin.not_me", {}, str(stats.get("not_me", 0))),
        ("ui.admin.fallbacks", {}, str(stats.get("fallbacks", 0))),
    ]
    submissions = stats.get("submissions", {})
    if isinstance(submissions, dict):
        for service, n in sorted(submissions.items()):
            rows.append(("ui.admin.submissions", {"service": service}, str(n)))
    return rows


class AdminPage(KioskPage):
    page = Page.ADMIN

    def __init__(self, session: SessionMachine) -> None:
        super().__init__(session)
        self.heading.set_message("ui.admin.title")
        self.form = QFormLayout()
        self.form.setVerticalSpacing(12)
        self.scrolling(self.form)
        self.close_button = self.button(
            "ui.admin.close", session.close_statistics, kind="primary", name="adminClose"
        )
        self.leave_button = self.button("ui.admin.leave", session.leave_kiosk, name="adminLeave")

    def refresh(self) -> None:
        self.clear()
        self.leave_button.setVisible(self.session.can_leave_kiosk())
        for label_id, params, value in figure_rows(self.session.statistics()):
            if "service" in params:  # the service's own name, not its id
                known = registry.PROCEDURES.get(str(params["service"]))  # a log may outlive one
                name = base_text(t(known.label_id)) if known else str(params["service"])
                params = {**params, "service": name}
            label = TrLabel(role="muted")
            label.setWordWrap(False)  # one line each: the figures column has room to spare
            label.set_message(label_id, **params)
            shown = TrLabel()
            shown.set_plain(value)
            shown.setObjectName("adminValue")
            self.form.addRow(label, shown)

    def on_language_changed(self) -> None:
        self.refresh()

    def values(self) -> list[str]:
        return [w.text() for w in self.findChildren(TrLabel, "adminValue")]

    def clear(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)

    def first_focus(self) -> QWidget | None:
        return self.close_button
