"""The site's procedures behind the session's `ProceduresPort`: questions, checks, the store,
and what the resident takes home.

`SiteServices` turns each procedure model (`kiosk.flows.procedures`) into one question at a
time (choices as big buttons, `number` for the keypad, `photo` for the kiosk camera), builds the
procedure's request from the answers and the card holder, validates it, queues it in the store
and prints the receipt and the data-use receipt.

Callers may rely on:
- Name, birth date and address come from the card holder and are never asked (WCAG 3.3.7).
- An answer that cannot be used is asked again with `Question.problem_id` set (the session
  shows the message); a problem found only at submit raises `KnownError(message_id)`, which
  the session turns into a hand-off to the counter.
- `PaperRoute` (a `KnownError`) means a form was printed for the counter instead of a
  submission (no card, the damaged place is elsewhere, no camera for the photos).
- Sectoral separation: a submission holds the answers of its own procedure only; photos are
  dropped when a procedure starts, after it is submitted and when the visit ends.
- Printouts are PDFs under `<data dir>/tmp/print-*`: deleted right after printing, otherwise
  at `visit_ended()` (the session calls it on every wipe), and by the store's tmp purge as a
  last resort.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from kiosk import logs
from kiosk.config import ALL_PROCEDURES, Settings
from kiosk.devices.printer import (
    ApplicationForm,
    Document,
    DocumentPrinter,
    PrintOutcome,
    ProxyLetter,
)
from kiosk.errors import KnownError
from kiosk.flows.ports import (
    CardHolder,
    Choice,
    Clock,
    Question,
    Receipt,
    ReceiptLine,
    Submission,
)
from kiosk.flows.procedures import documents, higai, insurance, risai, support_check
from kiosk.flows.procedures.catalog import CatalogText
from kiosk.flows.procedures.common import (
    FOUR_SIDES,
    MAX_PHOTO_BYTES,
    Disaster,
    FormLine,
    Person,
    PhotoKind,
    PhotoSet,
    PhotoSource,
    Problem,
    Proxy,
    Relationship,
    active_disasters,
    check_disaster,
    check_phone,
    media_type,
    site_disasters,
)
from kiosk.flows.qualification import (
    ConsentForm,
    ConsentItem,
    ConsentRecord,
    DemoQualificationSource,
    FolderQualificationSource,
    QualificationOutcome,
    QualificationSource,
)
from kiosk.flows.rules import DamageGrade, Plan, Relation, RuleBook
from kiosk.flows.site import SystemClock
from kiosk.store import Submission as StoreSubmission
from kiosk.store.store import Store, new_idempotency_key

log = logging.getLogger("kiosk.services")

YES_NO = (Choice("yes", "services.answer.yes"), Choice("no", "services.answer.no"))
MAX_ITEMS = 5  # 被災証明書: items per request at the kiosk; more go on the paper form
# Without a recorded start, a qualification result written this long ago still counts.
QUALIFICATION_WINDOW = timedelta(minutes=15)

Check = Callable[[str], Problem | None]
# Support-check questions that only the 災害援護資金 (loan) estimate uses.
_LOAN_ONLY = ("injured", "goods_lost", "dwelling_lost")
# A proxy's form: the lines of the person applied for, written by hand at the counter.
_PRINCIPAL_LINES = {
    "procedures.form.name", "procedures.form.birth-date", "procedures.form.address",
    "procedures.form.property-address",
}  # fmt: skip
_NOBODY = Person("", date.min, "")  # stands for the principal only to ask `needs_letter`
_AUTH: dict[str, documents.AuthMethod] = {"face": "face", "pin": "pin", "staff": "staff"}


class PaperRoute(KnownError):
    """A form was printed for the counter instead of a submission (the equally good path)."""


class LiveCamera(Protocol):
    """The kiosk camera as `kiosk.devices.camera.Camera` offers it: the newest frame (with
    `rgb`, an (h, w, 3) uint8 RGB array) or None."""

    def latest(self) -> Any: ...


class CameraStills:
    """A `PhotoSource` over the running kiosk camera: the newest frame as JPEG, in memory."""

    def __init__(self, camera: LiveCamera, quality: int = 88) -> None:
        self._camera = camera
        self._quality = quality

    def capture_jpeg(self) -> bytes:
        from PIL import Image

        frame = self._camera.latest()
        if frame is None:
            raise KnownError("services.camera-unavailable")
        buf = io.BytesIO()
        Image.fromarray(frame.rgb, "RGB").save(buf, format="JPEG", quality=self._quality)
        return buf.getvalue()


@dataclass(frozen=True)
class _Ask:
    """One question and the check its answer must pass (None: any listed choice will do)."""

    question: Question
    check: Check | None = None


def _choice_question(
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


def _number_question(
    qid: str, message_id: str, digits: int, *, help_id: str = "", categories: tuple[str, ...] = ()
) -> Question:
    return Question(
        qid, message_id, (), "number", help_id, max_digits=digits, categories=categories
    )


def _photo_kind(question_id: str) -> tuple[PhotoKind, int | None]:
    """ "photo.front" -> (FRONT, None); "item.2.photo" -> (ITEM, 1) (items count from 0)."""
    if question_id.startswith("item."):
        return PhotoKind.ITEM, int(question_id.split(".")[1]) - 1
    return PhotoKind(question_id.removeprefix("photo.")), None


class SiteServices:
    """`ProceduresPort` for one kiosk: every procedure in `kiosk.config.ALL_PROCEDURES`."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        demo: bool = False,
        clock: Clock | None = None,
        qualification: QualificationSource | None = None,
        disasters: Sequence[Disaster] | None = None,
        camera: PhotoSource | None = None,
        print_folder: Path | None = None,
    ) -> None:
        """`demo`: demo qualification results; otherwise the clinic terminal's result folder
        (`[insurance] results_folder`) when set. `camera`: stills for photo questions; without
        one, 自己判定方式 is not offered and 被災証明書 goes to the paper route."""
        self._store = store
        self._settings = settings
        self._clock: Clock = clock or SystemClock()
        if qualification is None:
            folder = settings.insurance.results_folder
            if demo:
                qualification = DemoQualificationSource()
            elif folder:
                qualification = FolderQualificationSource(Path(folder))
        self._qualification = qualification
        self._disasters = (
            list(disasters) if disasters is not None else site_disasters(settings.rules.disasters)
        )
        self._camera = camera
        self._print_root = print_folder or store.data.tmp
        self._photos: dict[str, tuple[str, bytes]] = {}  # question id -> (token, JPEG)
        self._printers: list[DocumentPrinter] = []
        self._folders: list[Path] = []
        self._insurance_since: datetime | None = None

    # -- ProceduresPort -----------------------------------------------------------------------

    def next_question(
        self, procedure: str, holder: CardHolder | None, answers: Mapping[str, str]
    ) -> Question | None:
        """The first question not yet answered, or the first answered one whose answer cannot
        be used (with `problem_id` set), or None when everything is asked."""
        if procedure not in ALL_PROCEDURES:
            raise ValueError(f"unknown procedure {procedure!r}")
        if not answers:  # a procedure starts: nothing of another one is carried over
            self._photos.clear()
            if procedure == "insurance":
                self._insurance_since = self._clock.now()
        for ask in self._plan(procedure, holder, answers):
            q = ask.question
            if q.id not in answers:
                return q
            problem = ask.check(answers[q.id]) if ask.check else None
            if problem is not None:
                params = tuple(sorted(problem.params.items()))
                return replace(q, problem_id=problem.message_id, problem_params=params)
        return None

    def submit(self, submission: Submission) -> Receipt:
        """Validate, queue in the store and print the take-home documents.

        Raises `KnownError` (message id of the first problem) when the request is not
        valid, `PaperRoute` when a form was printed instead, and the store's errors."""
        p = submission.procedure
        if p in ("risai", "higai"):
            return self._submit_certificate(submission)
        if p == "support-check":
            return self._submit_support_check(submission)
        if p == "insurance":
            return self._submit_insurance(submission)
        raise ValueError(f"unknown procedure {p!r}")

    def visit_ended(self) -> None:
        """Forget the visit: photos in memory, and every PDF still on disk."""
        self._photos.clear()
        self._insurance_since = None
        for printer in self._printers:
            printer.discard()
        self._printers.clear()
        for folder in self._folders:
            shutil.rmtree(folder, ignore_errors=True)
        self._folders.clear()

    # -- for the UI ---------------------------------------------------------------------------

    @property
    def has_camera(self) -> bool:
        return self._camera is not None

    def take_photo(self, question_id: str) -> str:
        """Capture a still for a `photo` question (again = retake); returns the answer token
        to pass to `SessionMachine.answer`. The photo lives in memory only."""
        if self._camera is None:
            raise KnownError("services.camera-unavailable")
        _photo_kind(question_id)  # a wrong id is a bug: fail before capturing
        data = self._camera.capture_jpeg()
        token = secrets.token_hex(8)
        self._photos[question_id] = (token, data)
        return token

    def photo(self, question_id: str) -> bytes | None:
        """The still taken for `question_id` (for a thumbnail), or None."""
        kept = self._photos.get(question_id)
        return kept[1] if kept else None

    def print_form(
        self,
        procedure: Literal["risai", "higai"],
        holder: CardHolder | None,
        answers: Mapping[str, str],
        language: str,
    ) -> PrintOutcome:
        """The paper route from any page: the form pre-filled with what is known so far, or
        blank without a card. The session goes on unchanged."""
        now = self._clock.now()
        if holder is None:
            doc = documents.blank_form(procedure, now)
        else:
            doc = self._filled_form(procedure, holder, answers, now)
        return self._output(doc, f"form-{procedure}", language)

    @property
    def pdfs(self) -> tuple[Path, ...]:
        """PDFs of this visit still on disk (none once printed, or after `visit_ended`)."""
        return tuple(p for f in self._folders for p in sorted(f.glob("*.pdf")))

    # -- the questions ------------------------------------------------------------------------

    def _plan(
        self, procedure: str, holder: CardHolder | None, answers: Mapping[str, str]
    ) -> Iterator[_Ask]:
        if procedure == "support-check":
            yield from self._support_plan(answers)
        elif procedure == "insurance":
            if holder is not None:  # without a card: the insurance card route at the counter
                yield from self._insurance_plan()
        elif holder is not None:  # without a card, risai/higai are the blank paper form
            yield from self._certificate_plan(procedure, holder, answers)

    def _today(self) -> date:
        return self._clock.now().date()

    def _disaster_ask(self, categories: tuple[str, ...]) -> _Ask:
        today = self._today()
        choices = [
            # A site's disaster names are data, not catalog ids: shown as given.
            Choice(d.id, f"{d.name}（{d.date.isoformat()}）")
            for d in active_disasters(self._disasters, today)
        ]

        def check(value: str) -> Problem | None:
            _, problems = check_disaster(value, self._disasters, self._today())
            return problems[0] if problems else None

        q = _choice_question(
            "disaster", "services.question.disaster", choices, categories=categories
        )
        return _Ask(q, check)

    def _certificate_plan(
        self, procedure: str, holder: CardHolder, answers: Mapping[str, str]
    ) -> Iterator[_Ask]:
        report = ("damage.report",)
        if not active_disasters(self._disasters, self._today()):
            return  # nothing to pick: `submit` sends the resident to the counter
        yield _Ask(
            _choice_question(
                "applying_for",
                "services.question.applying-for",
                (
                    Choice("self", "services.answer.for-myself"),
                    Choice("other", "services.answer.for-someone-else"),
                ),
                help_id="services.help.applying-for",
            )
        )
        proxy = answers["applying_for"] == "other"
        yield self._disaster_ask(report)
        if proxy:
            # The person applied for is not on this card: their details go on the paper form.
            relations = [Choice(r.value, r.label_id) for r in Relationship]
            yield _Ask(
                _choice_question("relationship", "services.question.relationship", relations)
            )
            if Relationship(answers["relationship"]).is_relative:
                yield _Ask(
                    _choice_question(
                        "same_household",
                        "services.question.same-household",
                        YES_NO,
                        help_id="services.help.same-household",
                    )
                )
        else:
            yield _Ask(
                _choice_question(
                    "property_here",
                    "services.question.property-here",
                    (
                        Choice("yes", "services.answer.yes"),
                        Choice("elsewhere", "services.answer.property-elsewhere"),
                    ),
                    help_id="services.help.property-here",
                    categories=report,
                )
            )
            if answers.get("property_here") == "elsewhere":
                return  # the address is written on the printed form at the counter
        photos = self._camera is not None and not proxy  # a proxy's request goes on paper
        if procedure == "risai":
            yield from self._risai_plan(holder, answers, photos)
        else:
            yield from self._higai_plan(answers, photos)
        yield _Ask(
            _number_question(
                "phone",
                "services.question.phone",
                11,
                help_id="services.help.phone",
                categories=("contact",),
            ),
            lambda v: next(iter(check_phone(v)), None),
        )

    def _risai_plan(
        self, holder: CardHolder, answers: Mapping[str, str], photos: bool
    ) -> Iterator[_Ask]:
        report = ("damage.report",)
        yield _Ask(
            _choice_question("dwelling", "services.question.dwelling", YES_NO, categories=report),
            lambda v: (
                Problem("dwelling", "procedures.error.not-dwelling-use-higai")
                if v == "no"
                else None
            ),
        )
        yield _Ask(
            _choice_question(
                "flooding",
                "services.question.flooding",
                [Choice(f.value, f.label_id) for f in risai.Flooding],
                categories=report,
            )
        )
        flooding = risai.Flooding(answers.get("flooding", "none"))
        flooded = flooding is not risai.Flooding.NONE
        parts: set[risai.DamagedPart] = set()
        n = 1
        while True:  # one part per tap, until "nothing else" or every part is named
            left = [p for p in risai.DamagedPart if p not in parts]
            choices = [Choice(p.value, p.label_id) for p in left]
            if flooded or n > 1:  # flooding alone is damage enough; else name one part first
                choices.append(Choice("none", "services.answer.nothing-else"))
            message = "services.question.damage" if n == 1 else "services.question.damage-more"
            yield _Ask(_choice_question(f"damage.{n}", message, choices, categories=report))
            chosen = answers[f"damage.{n}"]  # answered, or the walk stopped at the yield
            if chosen == "none":
                break
            parts.add(risai.DamagedPart(chosen))
            if len(left) == 1:
                break
            n += 1
        if flooded:
            yield _Ask(
                _number_question(
                    "flood_depth_cm",
                    "services.question.flood-depth",
                    4,
                    help_id="services.help.flood-depth",
                    categories=report,
                ),
                lambda v: (
                    None
                    if 0 <= int(v) <= 2000
                    else Problem("damage.flood_depth_cm", "procedures.error.flood-depth")
                ),
            )
        probe = risai.RisaiRequest(
            Person.from_card(holder),
            damage=risai.Damage(parts, flooding, resident_says_light=True),
        )
        could_be_light = "self" in probe.survey_methods_offered()
        if not photos or not could_be_light:
            return  # 自己判定方式 needs the kiosk camera and damage that may be light
        yield _Ask(
            _choice_question("light", "procedures.damage.light-question", YES_NO, categories=report)
        )
        if answers.get("light") != "yes":
            return
        yield _Ask(
            _choice_question(
                "survey",
                "services.question.survey",
                (
                    Choice("site", "services.answer.survey-site"),
                    Choice("self", "services.answer.survey-self"),
                ),
                help_id="procedures.survey.self.explain",
                categories=report,
            )
        )
        if answers.get("survey") != "self":
            return
        yield _Ask(
            _choice_question(
                "self_consent",
                "services.question.self-consent",
                (
                    Choice("agree", "procedures.survey.self.consent"),
                    Choice("site", "services.answer.survey-site-instead"),
                ),
                help_id="procedures.survey.self.explain",
                categories=report,
            )
        )
        if answers.get("self_consent") != "agree":
            return
        kinds = [*FOUR_SIDES, PhotoKind.CLOSEUP]
        if flooded:
            kinds.append(PhotoKind.FLOOD_DEPTH)
        for kind in kinds:
            yield self._photo_ask(f"photo.{kind.value}", kind.label_id)

    def _photo_ask(self, qid: str, message_id: str) -> _Ask:
        def check(token: str) -> Problem | None:
            kept = self._photos.get(qid)
            if kept is None or kept[0] != token:
                return Problem("photos", "services.error.photo-again")
            data = kept[1]
            if media_type(data) is None:
                return Problem("photos", "procedures.error.photo-not-image")
            if len(data) > MAX_PHOTO_BYTES:
                return Problem("photos", "procedures.error.photo-too-large")
            return None

        q = Question(
            qid, message_id, kind="photo", help_id="services.help.photo",
            categories=("damage.photos",),
        )  # fmt: skip
        return _Ask(q, check)

    def _higai_plan(self, answers: Mapping[str, str], photos: bool) -> Iterator[_Ask]:
        report = ("damage.report",)
        kinds = [Choice(k.value, k.label_id) for k in higai.ItemKind]
        for n in range(1, MAX_ITEMS + 1):
            choices = kinds if n == 1 else [*kinds, Choice("none", "services.answer.no-more")]
            message = "services.question.item" if n == 1 else "services.question.item-more"
            yield _Ask(_choice_question(f"item.{n}.kind", message, choices, categories=report))
            if answers.get(f"item.{n}.kind", "none") == "none":
                return
            yield _Ask(
                _choice_question(
                    f"item.{n}.damage",
                    "services.question.item-damage",
                    [Choice(d.value, d.label_id) for d in higai.ItemDamage],
                    categories=report,
                )
            )
            if photos:
                yield self._photo_ask(f"item.{n}.photo", "services.question.item-photo")

    def _insurance_plan(self) -> Iterator[_Ask]:
        share = (
            Choice("yes", "services.answer.share"),
            Choice("no", "services.answer.dont-share"),
        )
        for item in ConsentItem:
            yield _Ask(
                _choice_question(
                    f"consent.{item.value}", item.label_id, share, help_id=item.explain_id,
                    medical=True,
                )
            )  # fmt: skip

    def _support_plan(self, answers: Mapping[str, str]) -> Iterator[_Ask]:
        if len(active_disasters(self._disasters, self._today())) > 1:
            yield self._disaster_ask(("damage.report",))
        sa = _support_answers(answers)
        asked = support_check.questions(sa)
        # Injury, lost goods and a lost home matter only for the loan: ask about the loan
        # first, and those three only when the resident wants it checked (3 taps fewer).
        loan = [q for q in asked if q.id in _LOAN_ONLY]
        asked = [q for q in asked if q.id not in _LOAN_ONLY]
        if sa.wants_loan_check:
            at = next(i for i, q in enumerate(asked) if q.id == "wants_loan_check") + 1
            asked[at:at] = loan
        for sq in asked:
            cats = {"household": ("household",), "income_yen": ("income",)}.get(
                sq.id, ("damage.report",)
            )
            check: Check | None = None
            if sq.kind == "number":
                digits = 2 if sq.id == "household" else 5
                help_id = "services.help.income" if sq.id == "income_yen" else sq.help_id
                q = _number_question(sq.id, sq.message_id, digits, help_id=help_id,
                                     categories=cats)  # fmt: skip
                if sq.id == "household":
                    check = _household_check
            else:
                choices = (
                    YES_NO if sq.kind == "yes-no" else tuple(Choice(v, m) for v, m in sq.choices)
                )
                q = _choice_question(sq.id, sq.message_id, choices, help_id=sq.help_id,
                                     categories=cats)  # fmt: skip
            yield _Ask(q, check)

    # -- building and submitting --------------------------------------------------------------

    def _certificate_request(
        self,
        procedure: str,
        holder: CardHolder,
        answers: Mapping[str, str],
        now: datetime,
    ) -> risai.RisaiRequest | higai.HigaiRequest:
        """The request as far as the answers go (also for a pre-filled form mid-way)."""
        applicant = Person.from_card(holder)
        if procedure == "risai":
            return self._risai_request(applicant, answers, now)
        return self._higai_request(applicant, answers, now)

    def _risai_request(
        self, applicant: Person, answers: Mapping[str, str], now: datetime
    ) -> risai.RisaiRequest:
        req = risai.RisaiRequest(applicant, disaster_id=answers.get("disaster"))
        if "dwelling" in answers:
            req.dwelling = answers["dwelling"] == "yes"
        req.damage.flooding = risai.Flooding(answers.get("flooding", "none"))
        req.damage.parts = {
            risai.DamagedPart(v)
            for k, v in answers.items()
            if k.startswith("damage.") and v != "none"
        }
        depth = answers.get("flood_depth_cm", "")
        if depth.isdigit():
            req.damage.flood_depth_cm = int(depth)
        req.damage.resident_says_light = answers.get("light") == "yes"
        if answers.get("survey") == "self" and answers.get("self_consent") == "agree":
            req.survey = "self"
            req.self_assessment_consent = True
        req.phone = answers.get("phone", "")
        for qid in sorted(k for k in answers if k.startswith("photo.")):
            kind, _ = _photo_kind(qid)
            self._add_photo(req.photos, qid, answers[qid], kind, None, now)
        return req

    def _higai_request(
        self, applicant: Person, answers: Mapping[str, str], now: datetime
    ) -> higai.HigaiRequest:
        req = higai.HigaiRequest(applicant, disaster_id=answers.get("disaster"))
        for n in range(1, MAX_ITEMS + 1):
            kind = answers.get(f"item.{n}.kind", "none")
            if kind == "none":
                break
            damage = answers.get(f"item.{n}.damage")
            item = higai.DamagedItem(
                higai.ItemKind(kind), {higai.ItemDamage(damage)} if damage else set()
            )
            index = req.add_item(item)
            qid = f"item.{n}.photo"
            if qid in answers:
                self._add_photo(req.photos, qid, answers[qid], PhotoKind.ITEM, index, now)
        req.phone = answers.get("phone", "")
        return req

    def _add_photo(
        self,
        photos: PhotoSet,
        qid: str,
        token: str,
        kind: PhotoKind,
        item: int | None,
        now: datetime,
    ) -> None:
        kept = self._photos.get(qid)
        if kept is not None and kept[0] == token:
            photos.add(kind, kept[1], now, item)

    def _filled_form(
        self,
        procedure: Literal["risai", "higai"],
        holder: CardHolder,
        answers: Mapping[str, str],
        now: datetime,
    ) -> ApplicationForm:
        """The form pre-filled from the card and the answers; for a proxy, the card holder
        goes in the proxy lines and the lines of the person applied for stay blank."""
        request = self._certificate_request(procedure, holder, answers, now)
        form = documents.filled_form(request, self._disasters, now)
        if answers.get("applying_for") != "other":
            return form
        rel = answers.get("relationship")
        lines = [
            FormLine(line.label) if line.label in _PRINCIPAL_LINES else line for line in form.lines
        ]
        lines += [
            FormLine("procedures.form.proxy-name", holder.name),
            FormLine("procedures.form.proxy-address", holder.address),
            FormLine(
                "procedures.form.proxy-relationship",
                messages=(Relationship(rel).label_id,) if rel else (),
            ),
        ]
        return dataclasses.replace(form, lines=tuple(lines))

    def _proxy_paper_route(
        self,
        procedure: Literal["risai", "higai"],
        holder: CardHolder,
        answers: Mapping[str, str],
        language: str,
        now: datetime,
    ) -> PaperRoute:
        """Print the form (and the 委任状 unless a relative in the same household applies);
        the counter takes the request with the principal's details written by hand."""
        self._output(self._filled_form(procedure, holder, answers, now), f"form-{procedure}",
                     language)  # fmt: skip
        rel = Relationship(answers["relationship"])
        proxy = Proxy(_NOBODY, rel, answers.get("same_household") == "yes")
        if not proxy.needs_letter:
            return PaperRoute("services.paper.proxy")
        letter = ProxyLetter(
            procedure=documents.procedure_label(procedure), issued_at=now, principal_name="",
            principal_address="", principal_birth_date="", proxy_name=holder.name,
            proxy_address=holder.address, relationship=rel.label_id,
        )  # fmt: skip
        self._output(letter, f"letter-{procedure}", language)
        return PaperRoute("services.paper.proxy-letter")

    def _submit_certificate(self, s: Submission) -> Receipt:
        proc: Literal["risai", "higai"] = "risai" if s.procedure == "risai" else "higai"
        if s.holder is None:
            self._output(documents.blank_form(proc, self._clock.now()), f"form-{proc}", s.language)
            raise PaperRoute("services.paper.no-card")
        now = self._clock.now()
        if "disaster" not in s.answers:
            raise KnownError("services.no-disaster", proc)
        if s.answers.get("applying_for") == "other":
            raise self._proxy_paper_route(proc, s.holder, s.answers, s.language, now)
        if s.answers.get("property_here") == "elsewhere":
            self.print_form(proc, s.holder, s.answers, s.language)
            raise PaperRoute("services.paper.elsewhere")
        if proc == "higai" and self._camera is None:
            self.print_form(proc, s.holder, s.answers, s.language)
            raise PaperRoute("services.paper.photos")
        request = self._certificate_request(proc, s.holder, s.answers, now)
        problems = request.problems(self._disasters, now.date())
        if problems:
            first = problems[0]
            logs.event(log, "services.invalid", procedure=proc, count=len(problems))
            raise KnownError(first.message_id, first.field, **first.params)
        stored = self._store.submit(
            request.to_submission(
                self._disasters, now, kiosk_id=self._settings.site.kiosk_id,
                language=s.language, idempotency_key=new_idempotency_key(),
            )
        )  # fmt: skip
        self._photos.clear()
        steps = request.next_steps()
        printed = self._take_home(proc, stored.reference, steps, s, now)
        return _receipt(stored.reference, steps, printed, ())

    def _submit_support_check(self, s: Submission) -> Receipt:
        now = self._clock.now()
        sa = _support_answers(s.answers)
        problems = support_check.check_household(sa.household)
        if problems:
            raise KnownError(problems[0], "household")
        disaster = self._support_disaster(s.answers)
        on = support_check.today_for(disaster, now.date())  # the rules of the disaster's day
        book = RuleBook.for_site(self._settings.rules.tables, on)
        result = support_check.results(
            sa, book, disaster=disaster, income_boundary=self._settings.rules.loan_income_limit
        )
        body = support_check.payload(
            sa, result, now, kiosk_id=self._settings.site.kiosk_id, language=s.language,
            disaster=disaster,
        )  # fmt: skip
        cats = ["damage.report", "household"]
        if sa.income_yen is not None:
            cats.append("income")
        stored = self._store.submit(_store_submission(support_check.KIND, body, tuple(cats)))
        steps = support_check.next_steps()
        sheet = documents.support_sheet(result, now, stored.reference)
        printed = self._take_home(
            "support-check",
            stored.reference,
            steps,
            s,
            now,
            [(sheet, f"result-{stored.reference}")],
        )
        return _receipt(stored.reference, steps, printed, support_lines(result))

    def _support_disaster(self, answers: Mapping[str, str]) -> Disaster | None:
        active = active_disasters(self._disasters, self._today())
        chosen = answers.get("disaster")
        if chosen:
            return next((d for d in self._disasters if d.id == chosen), None)
        return active[0] if len(active) == 1 else None

    def _submit_insurance(self, s: Submission) -> Receipt:
        if s.holder is None:
            raise PaperRoute("services.insurance.no-card")
        now = self._clock.now()
        since = self._insurance_since or now - QUALIFICATION_WINDOW
        if self._qualification is None:
            outcome = QualificationOutcome("unreadable")  # no source: never "uninsured"
        else:
            outcome = self._qualification.check(s.holder, since)
        # The session lets only the resident (or a clerk beside them) consent, never a supporter.
        form = ConsentForm()
        for item in ConsentItem:
            form.set(item, s.answers.get(f"consent.{item.value}") == "yes")
        if s.visit_id:  # audited by data category only (consent.given / consent.declined)
            consent = form.submit(now, "resident", self._store, s.visit_id)
        else:
            chosen = frozenset(i for i, on in form.chosen.items() if on)
            consent = ConsentRecord(chosen, now, "resident")
        body = insurance.payload(
            outcome, consent, now, kiosk_id=self._settings.site.kiosk_id, language=s.language
        )
        stored = self._store.submit(
            _store_submission(insurance.KIND, body, ("insurance.qualification",))
        )
        steps = insurance.next_steps(outcome)
        printed = self._take_home("insurance", stored.reference, steps, s, now)
        return _receipt(stored.reference, steps, printed, insurance_lines(outcome, consent))

    # -- printing -----------------------------------------------------------------------------

    def _take_home(
        self,
        procedure: documents.Procedure,
        reference: str,
        steps: Sequence[str],
        s: Submission,
        now: datetime,
        extra: Sequence[tuple[Document, str]] = (),
    ) -> bool:
        """Receipt, data-use receipt and `extra` (e.g. the support check's result sheet);
        a printer fault never undoes a stored submission."""
        method = _AUTH.get(s.identity_method, "none")
        docs: list[tuple[Document, str]] = [
            (documents.receipt(procedure, reference, now, steps, self._settings.site.name),
             f"receipt-{reference}"),
            (documents.data_use(procedure, now, method, self._settings.site.responsible,
                                reference, card_read=s.holder is not None),
             f"data-use-{reference}"),
            *extra,
        ]  # fmt: skip
        printed = True
        for i, (doc, name) in enumerate(docs):
            ok = True
            try:
                printed = self._output(doc, name, s.language).printed and printed
            except KnownError as e:
                logs.event(log, "services.print_failed", logging.WARNING, error=e.message_id)
                printed = ok = False
            if s.visit_id and i < 2:  # the resident's right to know leaves a trace, no content
                self._audit_export(s.visit_id, procedure, reference, i, ok)
        return printed

    def _audit_export(
        self, visit_id: str, procedure: str, reference: str, index: int, ok: bool
    ) -> None:
        try:
            self._store.audit(
                "export", session_id=visit_id, purpose=procedure, reference=reference,
                what="receipt" if index == 0 else "data_use_receipt",
                outcome="ok" if ok else "failed",
            )  # fmt: skip
        except KnownError as e:  # the submission is stored: a full disk must not undo it
            logs.event(log, "services.audit_failed", logging.WARNING, error=e.message_id)

    def _output(self, doc: Document, name: str, language: str) -> PrintOutcome:
        """Write the PDF; print it when `[printer] name` is set, and then delete it at once."""
        folder = self._visit_folder()
        printer = documents.printer_for(
            self._settings.printer, folder, CatalogText(language), language
        )
        self._printers.append(printer)  # before writing: a failed print still gets cleaned up
        outcome = printer.output(doc, name)
        if outcome.printed:
            printer.discard()
        return outcome

    def _visit_folder(self) -> Path:
        if not self._folders:
            self._print_root.mkdir(parents=True, exist_ok=True)
            self._folders.append(Path(tempfile.mkdtemp(prefix="print-", dir=self._print_root)))
        return self._folders[0]


def _household_check(value: str) -> Problem | None:
    ids = support_check.check_household(int(value))
    return Problem("household", ids[0]) if ids else None


def _support_answers(answers: Mapping[str, str]) -> support_check.SupportAnswers:
    """The taps as the support check's model; anything not answered stays at its default."""
    sa = support_check.SupportAnswers()
    bools = (
        "has_certificate", "rented_first", "demolished", "long_term_evacuation", "death",
        "death_main_earner", "closer_relatives", "sibling_lived_with", "disaster_related_death",
        "disability", "disability_main_earner", "injured", "goods_lost", "dwelling_lost",
        "wants_loan_check",
    )  # fmt: skip
    for name in bools:
        if name in answers:
            setattr(sa, name, answers[name] == "yes")
    grade = answers.get("grade")
    if grade and grade != "unknown":
        sa.grade = DamageGrade(grade)
    household = answers.get("household", "")
    if household.isdigit():
        sa.household = int(household)
    if "plan" in answers:
        sa.plan = Plan(answers["plan"])
    if "relation" in answers:
        sa.relation = Relation(answers["relation"])
    income = answers.get("income_yen", "")
    if income.isdigit():
        sa.income_yen = int(income) * 10_000  # asked in 万円: short enough for the keypad
    return sa


def support_lines(result: support_check.SupportResult) -> tuple[ReceiptLine, ...]:
    """What the resident reads after a support check: per scheme its name, the headline
    ("likely eligible, about X円 — staff will confirm"), one line per rule that applied,
    deadlines and notes; then the documents to bring."""
    out: list[ReceiptLine] = []
    if result.grade_rule is not None:
        r = result.grade_rule
        out.append(ReceiptLine(r.explain, tuple(r.params.items()), kind="rule"))
    for e in result.estimates:
        out.append(ReceiptLine(e.scheme.label_id, kind="heading"))
        headline, hparams = e.headline
        out.append(ReceiptLine(headline, tuple(hparams.items()), kind="result"))
        eparams = tuple(e.params.items())
        out += [ReceiptLine(m, eparams, kind="note") for m in e.reasons]
        out += [ReceiptLine(r.explain, tuple(r.params.items()), kind="rule") for r in e.rules]
        out += [ReceiptLine(m, (("date", d.isoformat()),), kind="deadline") for m, d in e.deadlines]
        out += [ReceiptLine(m, eparams, kind="note") for m in e.notes]
    if result.documents:
        out.append(ReceiptLine("rules.documents", kind="heading"))
        out += [ReceiptLine(d, kind="document") for d in result.documents]
    return tuple(out)


def insurance_lines(
    outcome: QualificationOutcome, consent: ConsentRecord
) -> tuple[ReceiptLine, ...]:
    """The qualification as the clinic's screen shows it, or the way forward; never
    "uninsured"; then what the resident agreed to share, valid for 24 hours."""
    out = [ReceiptLine(outcome.message_id, kind="result")]
    if outcome.usable:
        for r in outcome.results:
            for line in insurance.display_lines(r):
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


def _receipt(
    reference: str, steps: Sequence[str], printed: bool, lines: tuple[ReceiptLine, ...]
) -> Receipt:
    return Receipt(
        reference,
        next_steps_id=steps[0] if steps else "ui.receipt.next_steps",
        printed=printed,
        next_steps=tuple(steps),
        lines=lines,
    )


def _store_submission(
    kind: str, body: dict[str, Any], categories: tuple[str, ...]
) -> StoreSubmission:
    return StoreSubmission(kind, 1, body, (), new_idempotency_key(), categories)


__all__ = ["CameraStills", "PaperRoute", "SiteServices", "insurance_lines", "support_lines"]
