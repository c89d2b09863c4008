"""What each procedure prints: receipt, data-use receipt, pre-filled or blank form, 委任状.

Builds the printer's document models (`kiosk.devices.printer`) from a procedure's state; the
UI hands them to a `DocumentPrinter`. Printing never ends or changes the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from kiosk.config import PrinterSettings
from kiosk.devices.printer import (
    ApplicationForm,
    DataUseReceipt,
    DocumentPrinter,
    Line,
    ProxyLetter,
    Receipt,
    ResultSheet,
    Section,
)
from kiosk.flows.procedures.catalog import CatalogText, Translate
from kiosk.flows.procedures.common import Disaster
from kiosk.flows.rules import Estimate, yen

if TYPE_CHECKING:  # the procedures build these documents; only their types are needed here
    from kiosk.flows.procedures.certificate import CertificateRequest
    from kiosk.flows.procedures.support_check import SupportResult

AuthMethod = Literal["face", "pin", "staff", "none"]


class DataUser(Protocol):
    """What the data-use receipt says of a procedure (each `Procedure` is one)."""

    @property
    def id(self) -> str: ...

    @property
    def card_items(self) -> tuple[str, ...]:
        """Message ids of what it reads from the card (never the My Number)."""
        ...

    @property
    def sent_to(self) -> str:
        """Message id of where its submission goes."""
        ...


def procedure_label(procedure: str) -> str:
    return f"procedures.name.{procedure}"


def receipt(
    procedure: str,
    reference: str,
    now: datetime,
    next_steps: Sequence[str],
    site_name: str = "",
) -> Receipt:
    """The receipt: its QR code carries `reference` and nothing else."""
    return Receipt(procedure_label(procedure), reference, now, tuple(next_steps), site_name)


def data_use(
    procedure: DataUser,
    now: datetime,
    auth: AuthMethod,
    responsible: str,
    reference: str = "",
    card_read: bool = True,
) -> DataUseReceipt:
    """Exactly what was read from the card, for which procedure, where it went, who answers.

    With `auth == "face"` the card photo and the live camera image were used for the match
    and discarded at once; they are listed under "not kept".
    """
    items: tuple[str, ...] = procedure.card_items if card_read else ()
    not_kept: tuple[str, ...] = ()
    if card_read and auth == "face":
        items = (*items, "procedures.data.card-photo")
        not_kept = ("procedures.data.card-photo", "procedures.data.live-image")
    if not items:
        items = ("procedures.data.nothing-from-card",)
    return DataUseReceipt(
        procedure=procedure_label(procedure.id),
        issued_at=now,
        items_read=items,
        sent_to=procedure.sent_to,
        responsible=responsible,
        reference=reference,
        not_kept=not_kept,
    )


def filled_form(
    request: CertificateRequest,
    disasters: Sequence[Disaster],
    now: datetime,
    reference: str = "",
) -> ApplicationForm:
    """The paper form with everything the kiosk knows, to check and sign at the counter."""
    return ApplicationForm(
        procedure_label(request.KIND), now, lines=request.form_lines(disasters),
        reference=reference,
    )  # fmt: skip


def blank_form(procedure: str, labels: Sequence[str], now: datetime) -> ApplicationForm:
    """The same form, empty: for residents without a card (the equally good paper route)."""
    return ApplicationForm(procedure_label(procedure), now, blank_labels=tuple(labels))


def proxy_letter(request: CertificateRequest, now: datetime) -> ProxyLetter | None:
    """委任状 to sign, or None when not needed (no proxy, or a relative in the household)."""
    proxy = request.proxy
    if proxy is None or not proxy.needs_letter:
        return None
    p = proxy.principal
    return ProxyLetter(
        procedure=procedure_label(request.KIND),
        issued_at=now,
        principal_name=p.name,
        principal_address=p.address,
        principal_birth_date=p.birth_date.isoformat(),
        proxy_name=request.applicant.name,
        proxy_address=request.applicant.address,
        relationship=proxy.relationship.label_id if proxy.relationship else "",
    )


def printer_for(
    settings: PrinterSettings, folder: Path, translate: Translate, language: str
) -> DocumentPrinter:
    """A printer for one session: resident's language via `translate` (the UI's `tr`), the
    counter's language (`[printer] counter_language`) for form labels. PDFs go to `folder`."""
    counter: Translate = (
        translate
        if language == settings.counter_language
        else CatalogText(settings.counter_language)
    )
    return DocumentPrinter(settings.name, folder, translate, counter)


def _estimate_section(e: Estimate) -> Section:
    hid, hparams = e.headline
    lines = [Line(hid, tuple(hparams.items()))]
    lines += [
        Line("printer.sheet.part", (("amount", yen(p.amount_yen)),), (("label", p.label),))
        for p in e.parts
    ]
    lines += [Line(m, tuple(e.params.items())) for m in e.reasons]
    for r in e.rules:
        lines.append(Line(r.explain, tuple(r.params.items())))
        lines.append(
            Line("printer.sheet.rule-source",
                 (("source", r.source), ("effective", r.effective.isoformat()), ("id", r.id)))
        )  # fmt: skip
    lines += [Line(m, tuple(e.params.items())) for m in e.notes]
    lines += [Line(m, (("date", d.isoformat()),)) for m, d in e.deadlines]
    return Section(Line(e.scheme.label_id), tuple(lines))


def support_sheet(result: SupportResult, now: datetime, reference: str = "") -> ResultSheet:
    """The support check to take to the counter: per scheme the likely amount or "staff will
    look at your case", the rules that applied with their source, and the documents to bring."""
    sections = [_estimate_section(e) for e in result.estimates]
    if result.grade_rule is not None:
        g = result.grade_rule
        sections.insert(0, Section(Line("procedures.sheet.grade"),
                                   (Line(g.explain, tuple(g.params.items())),)))  # fmt: skip
    if result.documents:
        sections.append(Section(Line("rules.documents"), tuple(Line(d) for d in result.documents)))
    return ResultSheet(
        title="procedures.name.support-check",
        issued_at=now,
        sections=tuple(sections),
        footer=(Line("printer.sheet.not-a-decision"),),
        reference=reference,
    )
