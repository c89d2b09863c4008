"""Golden record of every procedure, through the session over the real procedures and a real
store: for every choice of every question (each taken at least once), the questions asked,
what the review shows, the payload stored (without times and references), the receipt lines,
the text of every PDF and the messages shown. A change to any of them shows as a diff of
`golden/*.json`; regenerate only on purpose with `KIOSK_GOLDEN=regenerate`.

Also the audit of one scripted visit per procedure (`golden/audit.json`), the store's own log."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import subprocess
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import Settings, SiteSettings
from kiosk.flows.ports import Question
from kiosk.flows.services import SiteServices
from kiosk.flows.session import Page, SessionMachine
from kiosk.flows.site import StoreAudit
from kiosk.paths import DataDir
from kiosk.store import Store
from tests.helpers.procedures import DISASTERS, Camera
from tests.helpers.session import HANAKO, FakeCard, World

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("KIOSK_GOLDEN") == "regenerate"
JST = timezone(timedelta(hours=9))
PROCEDURES = ("insurance", "risai", "higai", "support-check")
# A number question's answer: a valid one, as a resident would type it.
NUMBERS = {"phone": "09012345678", "flood_depth_cm": "30", "household": "2", "income_yen": "287"}
_REFERENCE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
_TIME_KEYS = {"created_at", "taken_at", "issued_at", "idempotency_key", "reference", "signature"}


class SiteClock:
    """`ports.Clock` at a fixed moment after the demo typhoon."""

    def now(self) -> datetime:
        return datetime(2026, 11, 22, 9, 30, tzinfo=JST)

    def monotonic(self) -> float:
        return 0.0


class View:
    def __init__(self) -> None:
        self.messages: list[list[object]] = []

    def show_page(self, page: Page) -> None: ...

    def show_message(self, message_id: str, **params: object) -> None:
        if message_id:
            self.messages.append([message_id, sorted(params.items())])

    def show_timeout_warning(self, seconds_left: int) -> None: ...

    def hide_timeout_warning(self) -> None: ...

    def show_staff_call(self, active: bool) -> None: ...

    def show_card_away(self, active: bool) -> None: ...

    def show_face_check(self, running: bool) -> None: ...

    def apply_language(self, language: str) -> None: ...

    def session_wiped(self) -> None: ...


@pytest.fixture
def store(tmp_path: Path, qapp: object) -> Iterator[Store]:
    settings = dataclasses.replace(Settings(), site=SiteSettings(kiosk_id="kiosk-07"))
    with Store.open(DataDir(tmp_path / "data"), settings) as s:
        yield s


def _scrub(value: Any, reference: str) -> Any:
    """The document without times, keys and references (they differ at every run)."""
    if isinstance(value, dict):
        return {k: _scrub(v, reference) for k, v in value.items() if k not in _TIME_KEYS}
    if isinstance(value, list):
        return [_scrub(v, reference) for v in value]
    if isinstance(value, str):
        return _REFERENCE.sub("<reference>", value)
    return value


def _pdf_text(path: Path) -> list[str]:
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    lines = [" ".join(unicodedata.normalize("NFKC", line).split()) for line in out.splitlines()]
    return [_REFERENCE.sub("<reference>", line) for line in lines if line]


# Texts of the PDFs by a short hash: most visits print the same receipts, kept once.
TEXTS: dict[str, list[str]] = {}


def _pdfs(paths: Sequence[Path]) -> dict[str, str]:
    out = {}
    for path in paths:
        lines = _pdf_text(path)
        digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]
        TEXTS[digest] = lines
        out[_REFERENCE.sub("<reference>", path.name)] = digest
    return out


# Questions as asked, by a key ("phone", or "damage.2~1" for a second variant): kept once.
QUESTIONS: dict[str, dict[str, Any]] = {}


def _question(q: Question) -> str:
    shown = {
        "message": q.message_id, "kind": q.kind, "choices": [c.value for c in q.choices],
        "problem": q.problem_id, "categories": list(q.categories), "medical": q.medical,
        "help": q.help_id, **({"digits": q.max_digits} if q.kind == "number" else {}),
    }  # fmt: skip
    n = 0
    while (key := q.id if n == 0 else f"{q.id}~{n}") in QUESTIONS and QUESTIONS[key] != shown:
        n += 1
    QUESTIONS[key] = shown
    return key


@dataclasses.dataclass
class Visit:
    """One resident through one procedure: the session, the procedures and what they saw."""

    store: Store
    procedure: str
    camera: bool = True

    def __post_init__(self) -> None:
        self.world = World()
        self.services = SiteServices(
            self.store.settings, self.store, clock=SiteClock(), demo=True, disasters=DISASTERS,
            camera=Camera() if self.camera else None,
        )  # fmt: skip
        ports = dataclasses.replace(
            self.world.ports(), procedures=self.services, desk=self.services,
            audit=StoreAudit(self.store),
        )  # fmt: skip
        self.session = SessionMachine(ports, PROCEDURES)
        self.view = View()
        self.session.attach(self.view)
        self.world.reader.card = FakeCard(dataclasses.replace(HANAKO))
        self.session.card_inserted()
        self.session.choose_method("pin")
        self.session.enter_pin(HANAKO.pin)
        self.session.confirm_identity(True)
        self.session.choose_procedure(self.procedure)
        self.id = self.session.visit.id  # the audit's session id, also after the visit ends
        self.printouts = self.session.visit.printouts

    def walk(self, forced: dict[int, str]) -> tuple[list[Question], list[str]]:
        """Answer until the review: step i takes `forced[i]`, else the first choice."""
        seen: list[Question] = []
        picks: list[str] = []
        while (q := self.session.question()) is not None:
            assert len(seen) < 80, "the questions never end"
            seen.append(q)
            i = len(picks)
            if q.kind == "photo":
                self.session.take_photo()
                picks.append("photo")
                self.session.use_photo()
                continue
            value = forced.get(i) or (q.choices[0].value if q.choices else NUMBERS[q.id])
            picks.append(value)
            self.session.answer(value)
        return seen, picks

    def finish(self) -> dict[str, Any]:
        s = self.session
        review = [[i.label_id, i.value, i.value_id] for i in s.review_items()]
        s.review_ok()
        before = len(self.view.messages)
        s.give_consent(True)
        out: dict[str, Any] = {"review": review, "page": s.page.value}
        receipt = s.receipt
        if receipt is not None:
            out["receipt"] = {
                "next_steps_id": receipt.next_steps_id, "next_steps": list(receipt.next_steps),
                "printed": receipt.printed,
                "lines": [[ln.kind, ln.message_id, [[k, str(v)] for k, v in ln.params], ln.value]
                          for ln in receipt.lines],
            }  # fmt: skip
            doc = self.store.read(receipt.reference)
            out["stored"] = _scrub(
                {"kind": doc["kind"], "payload": doc["payload"],
                 "attachments": len(doc["attachments"])}, receipt.reference,
            )  # fmt: skip
        out["messages"] = self.view.messages[before:]
        out["pdfs"] = _pdfs(self.printouts.pdfs)
        return out

    def audit(self) -> list[list[Any]]:
        entries = [e for e in self.store.audit_entries() if e.session_id == self.id]
        return [
            [e.event, e.role, e.purpose, list(e.categories),
             sorted((k, _REFERENCE.sub("<reference>", str(v))) for k, v in e.fields.items())]
            for e in entries
        ]  # fmt: skip


def _every_choice(store: Store, procedure: str) -> dict[str, Any]:
    """Walks until every choice of every question seen was taken at least once."""
    walks: dict[str, Any] = {}
    covered: set[tuple[str, str]] = set()
    queue: list[dict[int, str]] = [{}]
    while queue:
        forced = queue.pop(0)
        visit = Visit(store, procedure)
        seen, picks = visit.walk(forced)
        for i, q in enumerate(seen):
            covered.add((q.id, picks[i]))
            for c in q.choices:
                if (q.id, c.value) not in covered:
                    covered.add((q.id, c.value))
                    queue.append({**dict(enumerate(picks[:i])), i: c.value})
        name = ", ".join(f"{seen[i].id}={v}" for i, v in sorted(forced.items()) if i in forced
                         and (i == max(forced)))  # fmt: skip
        walks[name or "first choices"] = {
            "questions": [_question(q) for q in seen], "answers": picks, **visit.finish(),
        }  # fmt: skip
        visit.session.finish()
        assert visit.printouts.pdfs == ()  # the visit's printouts go with it
    return walks


def _paper_visits(store: Store) -> dict[str, Any]:
    """The paper route from a question page, and a certificate without the camera."""
    out: dict[str, Any] = {}
    for procedure in ("risai", "higai"):
        visit = Visit(store, procedure)
        visit.walk({})
        visit.session.back()  # from the review to the last question: the paper route is there
        before = len(visit.view.messages)
        visit.session.paper_form()
        out[f"{procedure}: paper form at the last question"] = {
            "messages": visit.view.messages[before:],
            "pdfs": _pdfs(visit.printouts.pdfs),
        }
        visit.session.finish()
        visit = Visit(store, procedure, camera=False)
        seen, picks = visit.walk({})
        out[f"{procedure}: no camera"] = {
            "questions": [_question(q) for q in seen], "answers": picks, **visit.finish(),
        }  # fmt: skip
    return out


def _dump(value: Any, indent: str = "") -> str:
    """JSON, one line per value that fits in 100 characters: short files, readable diffs."""
    flat = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if len(flat) + len(indent) <= 100 or not isinstance(value, dict | list) or not value:
        return flat
    inner = indent + " "
    if isinstance(value, list):
        body = ",\n".join(inner + _dump(v, inner) for v in value)
        return f"[\n{body}\n{indent}]"
    items = sorted(value.items())
    body = ",\n".join(f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dump(v, inner)}"
                       for k, v in items)  # fmt: skip
    return f"{{\n{body}\n{indent}}}"


@pytest.fixture(autouse=True)
def _fresh_tables() -> None:
    QUESTIONS.clear()
    TEXTS.clear()


def _check(name: str, got: Any) -> None:
    """`got` and the texts of the PDFs it names equal `golden/<name>.json`."""
    names = json.dumps(got)
    texts = {k: v for k, v in sorted(TEXTS.items()) if f'"{k}"' in names}
    asked = {k: v for k, v in sorted(QUESTIONS.items()) if f'"{k}"' in names}
    got = {"visits": got, "questions": asked, "pdf texts": texts}
    path = GOLDEN / f"{name}.json"
    text = _dump(got) + "\n"
    if REGENERATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden {path.name}: run with KIOSK_GOLDEN=regenerate"
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(text), (
        f"{path.name} differs: if the change is intended, regenerate and explain it"
    )


@pytest.mark.parametrize("procedure", PROCEDURES)
def test_every_choice_of_every_procedure_matches_its_golden(store: Store, procedure: str) -> None:
    walks = _every_choice(store, procedure)
    assert len(walks) > 1
    _check(procedure, walks)


def test_the_paper_routes_match_their_golden(store: Store) -> None:
    _check("paper", _paper_visits(store))


def test_the_audit_of_one_visit_per_procedure_matches_its_golden(store: Store) -> None:
    """One scripted visit per procedure (the first choices), the store's own audit log."""
    out: dict[str, Any] = {}
    for procedure in PROCEDURES:
        visit = Visit(store, procedure)
        visit.walk({})
        visit.finish()
        visit.session.finish()
        out[procedure] = visit.audit()
    visit = Visit(store, "risai")
    visit.walk({0: "other"})  # a proxy: the paper route at submit
    visit.finish()
    visit.session.finish()
    out["risai (proxy, paper route)"] = visit.audit()
    visit = Visit(store, "risai")
    visit.walk({})
    visit.session.back()
    visit.session.paper_form()
    visit.session.finish()
    out["risai (paper form mid-way)"] = visit.audit()
    _check("audit", out)
