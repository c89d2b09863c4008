"""Health-insurance confirmation at a clinic: what to show, and what the clinic receives.

The screen shows `display_lines(outcome)` (label message id, value), the outcome's plain
message, and — unless the result is valid — the 資格確認書 / insurance-card route and a
staff call (`outcome.offers`). Never "uninsured".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from kiosk.flows.ports import Choice, ReceiptLine
from kiosk.flows.procedures.common import submission
from kiosk.flows.procedures.procedure import (
    Ask,
    Filing,
    Outcome,
    Paper,
    Site,
    choice_question,
)
from kiosk.flows.qualification import (
    AUDIT_CATEGORY,
    ConsentForm,
    ConsentItem,
    ConsentRecord,
    QualificationOutcome,
    QualificationResult,
)

if TYPE_CHECKING:
    from kiosk.flows.visit import Visit

KIND = "insurance"
SCHEMA = "insurance.v1"
# Without a recorded start, a qualification result written this long ago still counts.
QUALIFICATION_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class DisplayLine:
    label: str  # message id
    text: str = ""  # the value as data (numbers, names, dates)
    message: str = ""  # or a message id for the value
    params: tuple[tuple[str, object], ...] = ()


def _day(d: date | None) -> str:
    return d.isoformat() if d else "—"


def share_line(label: str, percent: int) -> DisplayLine:
    """A copay share: in tenths where it is whole tenths (Japanese says 1割, never 10割)."""
    if percent % 10 == 0:
        return DisplayLine(label, message="insurance.share.tenths",
                           params=(("tenths", percent // 10), ("percent", percent)))  # fmt: skip
    return DisplayLine(label, message="insurance.share.percent", params=(("percent", percent),))


def display_lines(result: QualificationResult) -> list[DisplayLine]:
    """One qualification as label/value lines, in the order a clinic's screen shows them."""
    lines = [
        DisplayLine("insurance.field.insurer", f"{result.insurer_name} ({result.insurer_number})"),
        DisplayLine(
            "insurance.field.symbol-number",
            " ".join(x for x in (result.symbol, result.number) if x)
            + (f" ({result.branch})" if result.branch else ""),
        ),
    ]
    if result.person_type is not None:
        person = f"insurance.person.{result.person_type.name.lower()}"
        lines.append(DisplayLine("insurance.field.person", message=person))
    lines.append(
        DisplayLine("insurance.field.valid", f"{_day(result.valid_from)} – {_day(result.valid_to)}")
    )
    if result.copayment_percent is not None:
        lines.append(share_line("insurance.field.copayment", result.copayment_percent))
    if result.elderly_copayment_percent is not None:
        lines.append(
            share_line("insurance.field.elderly-copayment", result.elderly_copayment_percent)
        )
    lines.append(
        DisplayLine("insurance.field.limit", message=result.limit_category_id or "insurance.none")
    )
    return lines


def payload(
    outcome: QualificationOutcome,
    consent: ConsentRecord | None,
    now: datetime,
    *,
    kiosk_id: str,
    language: str,
) -> dict[str, Any]:
    """What the clinic's reception receives (`docs/schema/insurance.v1.json`).

    The clinic's own terminal already holds the qualification; the kiosk sends only how the
    check ended and the consent decision, never the result's content.
    """
    return {
        "schema": SCHEMA,
        "kind": KIND,
        "created_at": now.isoformat(),
        "kiosk_id": kiosk_id,
        "language": language,
        "qualification": {
            "status": outcome.status,
            "validity": int(outcome.validity) if outcome.validity is not None else None,
            "usable": outcome.usable,
            "offered": list(outcome.offers),
        },
        "consent": consent.to_json() if consent else None,
    }


def next_steps(outcome: QualificationOutcome) -> tuple[str, ...]:
    if outcome.usable:
        return ("procedures.next.insurance",)
    return ("procedures.next.insurance.certificate", "procedures.next.insurance.staff")


def receipt_lines(outcome: QualificationOutcome, consent: ConsentRecord) -> tuple[ReceiptLine, ...]:
    """The qualification as the clinic's screen shows it, or the way forward; never
    "uninsured"; then what the resident agreed to share, valid for 24 hours."""
    out = [ReceiptLine(outcome.message_id, kind="result")]
    if outcome.usable:
        for r in outcome.results:
            for line in display_lines(r):
                if line.message:  # a label, then its value as a message
                    out.append(ReceiptLine(line.label, kind="field"))
                    out.append(ReceiptLine(line.message, line.params, kind="note"))
                else:
                    out.append(ReceiptLine(line.label, value=line.text, kind="field"))
    out += [ReceiptLine(m, kind="note") for m in outcome.offers]
    shared = [i for i in ConsentItem if i in consent.items]
    if shared:
        out.append(ReceiptLine("services.consent.shared", kind="heading"))
        out += [ReceiptLine(i.label_id, kind="note") for i in shared]
        out.append(ReceiptLine("insurance.consent.valid-24h", kind="note"))
    else:
        out.append(ReceiptLine("services.consent.none", kind="note"))
    return tuple(out)


class Insurance:
    """Health-insurance qualification at a clinic: what to share with the clinic, then the
    result the clinic's terminal wrote (オンライン資格確認) and what happens next."""

    id: ClassVar[str] = KIND
    label_id: ClassVar[str] = f"ui.service.{KIND}"
    card_items: ClassVar[tuple[str, ...]] = ("procedures.data.name", "procedures.data.birth-date")
    sent_to: ClassVar[str] = "procedures.sent.clinic"
    needs_card: ClassVar[bool] = True  # without it: the insurance card route at the counter
    paper_form: ClassVar[bool] = False

    def plan(self, site: Site, visit: Visit) -> Iterator[Ask]:
        if visit.holder is None:
            return
        share = (Choice("yes", "services.answer.share"), Choice("no", "services.answer.dont-share"))
        for item in ConsentItem:
            yield Ask(
                choice_question(f"consent.{item.value}", item.label_id, share,
                                help_id=item.explain_id, medical=True)
            )  # fmt: skip

    def request(self, site: Site, visit: Visit, now: datetime) -> ConsentRecord:
        """What the resident agreed to share (the session lets no supporter consent)."""
        form = ConsentForm()
        for item in ConsentItem:
            form.set(item, visit.answers.get(f"consent.{item.value}") == "yes")
        return form.record(now, "resident")

    def file(self, site: Site, visit: Visit, key: str) -> Outcome:
        if visit.holder is None:
            return Paper("services.insurance.no-card")
        now = site.now()
        since = visit.procedure_started or now - QUALIFICATION_WINDOW
        if site.qualification is None:
            outcome = QualificationOutcome("unreadable")  # no source: never "uninsured"
        else:
            outcome = site.qualification.check(visit.holder, since)
        consent = self.request(site, visit, now)
        body = payload(
            outcome, consent, now, kiosk_id=site.settings.site.kiosk_id, language=visit.language
        )
        # What the clinic may see is part of what is stored: its categories go in the audit.
        shared = tuple(sorted(AUDIT_CATEGORY[i.value] for i in consent.items))
        stored = submission(KIND, body, None, ("insurance.qualification", *shared), key)
        return Filing(stored, next_steps(outcome), receipt_lines(outcome, consent))

    def form(self, site: Site, visit: Visit) -> None:
        return None


PROCEDURE = Insurance()
