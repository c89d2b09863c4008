"""Health-insurance confirmation at a clinic: what to show, and what the clinic receives.

The screen shows `display_lines(outcome)` (label message id, value), the outcome's plain
message, and — unless the result is valid — the 資格確認書 / insurance-card route and a
staff call (`outcome.offers`). Never "uninsured".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kiosk.flows.qualification import ConsentRecord, QualificationOutcome, QualificationResult

KIND = "insurance"
SCHEMA = "insurance.v1"


@dataclass(frozen=True)
class DisplayLine:
    label: str  # message id
    text: str = ""  # the value as data (numbers, names, dates)
    message: str = ""  # or a message id for the value
    params: tuple[tuple[str, object], ...] = ()


def _day(d: date | None) -> str:
    return d.isoformat() if d else "—"


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
        lines.append(
            DisplayLine("insurance.field.copayment", message="insurance.percent",
                        params=(("percent", result.copayment_percent),))
        )  # fmt: skip
    if result.elderly_copayment_percent is not None:
        lines.append(
            DisplayLine("insurance.field.elderly-copayment", message="insurance.percent",
                        params=(("percent", result.elderly_copayment_percent),))
        )  # fmt: skip
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
