"""What every procedure offers the kiosk: the `Procedure` protocol and the values it returns.

A procedure is a plugin (one module each, listed in `registry`): it names itself, says whether
it needs the card, plans its questions one at a time from the answers so far, builds its
request, and files it — as values, never as exceptions: `Filing` (store this, show and print
that), `Paper` (a form printed for the counter instead) or `Refused` (the first problem, for a
person at the counter). The kiosk around it (`kiosk.flows.services`) stores, prints and audits.

Callers may rely on:
- Name, birth date and address come from the card holder and are never asked (WCAG 3.3.7).
- A plan reads only the visit it is given; it may stop early (the rest goes on paper).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

from kiosk.config import Settings
from kiosk.flows.ports import Choice, Clock, Question, ReceiptLine, Refused
from kiosk.flows.procedures.common import Disaster, Problem, active_disasters, check_disaster
from kiosk.flows.qualification import QualificationSource
from kiosk.store import Submission

if TYPE_CHECKING:
    from kiosk.devices.printer import Document
    from kiosk.flows.visit import Visit

Check = Callable[[str], Problem | None]
YES_NO = (Choice("yes", "services.answer.yes"), Choice("no", "services.answer.no"))


@dataclass(frozen=True)
class Ask:
    """One question and the check its answer must pass (None: any listed choice will do)."""

    question: Question
    check: Check | None = None


def choice_question(
    qid: str,
    message_id: str,
    choices: Sequence[Choice],
    *,
    help_id: str = "",
    categories: tuple[str, ...] = (),
    medical: bool = False,
) -> Question:
    return Question(
        qid, message_id, tuple(choices), "choice", help_id, categories=categories, medical=medical
    )


def number_question(
    qid: str, message_id: str, digits: int, *, help_id: str = "", categories: tuple[str, ...] = ()
) -> Question:
    return Question(
        qid, message_id, (), "number", help_id, max_digits=digits, categories=categories
    )


@dataclass(frozen=True)
class Site:
    """What a procedure knows of the kiosk it runs on."""

    settings: Settings
    disasters: tuple[Disaster, ...]
    clock: Clock
    camera: bool  # stills for photo questions
    qualification: QualificationSource | None = None  # the clinic terminal's results

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return self.clock.now().date()

    def active_disasters(self) -> list[Disaster]:
        return active_disasters(self.disasters, self.today())

    def disaster(self, disaster_id: str | None) -> Disaster | None:
        return next((d for d in self.disasters if d.id == disaster_id), None)

    def disaster_ask(self, categories: tuple[str, ...]) -> Ask:
        """Which disaster: the site's active ones (their names are data, shown as given)."""
        choices = [
            Choice(d.id, f"{d.name}（{d.date.isoformat()}）") for d in self.active_disasters()
        ]

        def check(value: str) -> Problem | None:
            _, problems = check_disaster(value, self.disasters, self.today())
            return problems[0] if problems else None

        q = choice_question(
            "disaster", "services.question.disaster", choices, categories=categories
        )
        return Ask(q, check)


@dataclass(frozen=True)
class Printout:
    """A document to print (or leave as a PDF), and its file name without `.pdf`."""

    document: Document
    name: str


@dataclass(frozen=True)
class Filing:
    """A request to store, and what the resident reads and takes home once it is stored."""

    submission: Submission
    next_steps: tuple[str, ...]
    lines: tuple[ReceiptLine, ...] = ()
    # Printouts that carry the reference (a result sheet), besides the two receipts.
    extra: Callable[[str], Sequence[Printout]] = field(default=lambda reference: ())


@dataclass(frozen=True)
class Paper:
    """A form printed for the counter instead of a submission (the equally good path): the
    kiosk prints `printouts`, and the session hears `ports.PaperRoute(message_id)`."""

    message_id: str
    printouts: tuple[Printout, ...] = ()


Outcome = Filing | Paper | Refused


class Procedure(Protocol):
    """One procedure a resident can do at the kiosk."""

    @property
    def id(self) -> str:
        """The id in the settings, the audit and the payload's `kind`."""
        ...

    @property
    def label_id(self) -> str:
        """Message id of its name on the services page."""
        ...

    @property
    def card_items(self) -> tuple[str, ...]:
        """Message ids of what it reads from the card, for the data-use receipt."""
        ...

    @property
    def sent_to(self) -> str:
        """Message id of where its submission goes, for the data-use receipt."""
        ...

    @property
    def needs_card(self) -> bool:
        """Without the card its questions are not asked: it goes on paper."""
        ...

    @property
    def paper_form(self) -> bool:
        """It offers its form, pre-filled with what is known, from any page."""
        ...

    def plan(self, site: Site, visit: Visit) -> Iterator[Ask]:
        """Its questions in order, given the answers so far (the walk stops at the first one
        not answered yet)."""
        ...

    def request(self, site: Site, visit: Visit, now: datetime) -> object:
        """The request as far as the answers go."""
        ...

    def file(self, site: Site, visit: Visit, key: str) -> Outcome:
        """What becomes of the answered request; `key` is the submission's idempotency key."""
        ...

    def form(self, site: Site, visit: Visit) -> Printout | None:
        """Its paper form, pre-filled (blank without a card), or None when it has none."""
        ...
