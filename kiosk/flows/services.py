"""The site's procedures behind the session's `ProceduresPort`: one question at a time, the
store, and what the resident takes home.

`SiteServices` asks the procedure named by the visit (`kiosk.flows.procedures.registry`) for
its questions and its outcome, then does what every procedure shares: the answer checks, the
store (`submission.created` written in the same transaction), the printouts (`take_home`).

Callers may rely on:
- An answer that cannot be used is asked again with `Question.problem_id` set.
- Everything of a visit (photos, printouts, the procedure's start) lives in the `Visit`;
  photos are dropped when a procedure starts and once it is stored.
- A retry of the same review screen (the same `visit.submission_key`) files nothing twice.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path

from kiosk.config import Settings
from kiosk.devices.printer import PrintOutcome
from kiosk.errors import KnownError
from kiosk.flows.ports import Clock, PaperRoute, Question, Receipt, Refused
from kiosk.flows.procedures.common import Disaster, PhotoSource, site_disasters
from kiosk.flows.procedures.procedure import Paper, Site
from kiosk.flows.procedures.registry import procedure
from kiosk.flows.qualification import (
    DemoQualificationSource,
    FolderQualificationSource,
    QualificationSource,
)
from kiosk.flows.site import SystemClock
from kiosk.flows.stills import CameraStills
from kiosk.flows.take_home import TakeHome
from kiosk.flows.visit import Visit
from kiosk.store.store import Store, new_idempotency_key


class SiteServices:
    """`ProceduresPort` and `ProcedureDesk` for one kiosk."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        demo: bool = False,
        clock: Clock | None = None,
        qualification: QualificationSource | None = None,
        disasters: list[Disaster] | None = None,
        camera: PhotoSource | None = None,
        print_folder: Path | None = None,
    ) -> None:
        """`demo`: demo qualification results; otherwise the clinic terminal's result folder
        (`[insurance] results_folder`) when set. `camera`: stills for photo questions; without
        one, 自己判定方式 is not offered and 被災証明書 goes to the paper route."""
        if qualification is None and demo:
            qualification = DemoQualificationSource()
        elif qualification is None and settings.insurance.results_folder:
            qualification = FolderQualificationSource(Path(settings.insurance.results_folder))
        if disasters is None:
            disasters = site_disasters(settings.rules.disasters)
        self._site = Site(
            settings, tuple(disasters), clock or SystemClock(), camera is not None, qualification
        )
        self._store = store
        self._camera = camera
        self._take_home = TakeHome(settings, store, print_folder or store.data.tmp)

    def next_question(self, visit: Visit) -> Question | None:
        """The first question not yet answered, or the first answered one whose answer cannot
        be used (with `problem_id` set), or None when everything is asked."""
        proc = procedure(visit.procedure or "")
        if not visit.answers:  # a procedure starts: nothing of another one is carried over
            visit.photos.clear()
            visit.procedure_started = self._site.now()
        for ask in proc.plan(self._site, visit):
            q = ask.question
            if q.id not in visit.answers:
                return q
            problem = ask.check(visit.answers[q.id]) if ask.check else None
            if problem is not None:
                params = tuple(sorted(problem.params.items()))
                return replace(q, problem_id=problem.message_id, problem_params=params)
        return None

    def offers_paper_form(self, procedure_id: str) -> bool:
        return procedure(procedure_id).paper_form

    def submit(self, visit: Visit) -> Receipt | PaperRoute | Refused:
        """Store the request and print the take-home documents, or print the paper route.
        Raises the store's errors (a full disk) and `KnownError` for an unreachable source."""
        proc = procedure(visit.procedure or "")
        outcome = proc.file(self._site, visit, visit.submission_key or new_idempotency_key())
        if isinstance(outcome, Refused):
            return outcome
        if isinstance(outcome, Paper):
            for printout in outcome.printouts:
                self._take_home.output(visit, printout)
            return PaperRoute(outcome.message_id)
        stored = self._store.submit(outcome.submission, session_id=visit.id, role=visit.role)
        visit.photos.clear()
        steps = outcome.next_steps
        printed = self._take_home.documents(
            visit, proc, stored.reference, steps, self._site.now(), outcome.extra
        )
        return Receipt(
            stored.reference,
            next_steps_id=steps[0] if steps else "ui.receipt.next_steps",
            printed=printed,
            next_steps=steps,
            lines=outcome.lines,
        )

    # -- the desk: the camera and the paper form ------------------------------------------------

    @property
    def has_camera(self) -> bool:
        return self._camera is not None

    def take_photo(self, visit: Visit, question_id: str) -> str:
        """Capture a still for a `photo` question (again = retake); returns the answer token.
        The photo lives in the visit, in memory only."""
        if self._camera is None:
            raise KnownError("services.camera-unavailable")
        data = self._camera.capture_jpeg()
        token = secrets.token_hex(8)
        visit.photos[question_id] = (token, data)
        return token

    def print_form(self, visit: Visit) -> PrintOutcome:
        """The paper route from any page: the form pre-filled with what is known so far, or
        blank without a card. The session goes on unchanged."""
        form = procedure(visit.procedure or "").form(self._site, visit)
        if form is None:  # the session offers it only where `offers_paper_form`
            raise ValueError(f"{visit.procedure!r} has no paper form")
        return self._take_home.output(visit, form)


__all__ = ["CameraStills", "SiteServices"]
