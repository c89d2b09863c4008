"""Health-insurance qualification (オンライン資格確認) at a clinic, and the information consent.

Where results come from is a `QualificationSource`:
- `FolderQualificationSource` reads the result files a clinic's 資格確認端末 writes into a
  folder. The file format (below, and `docs/schema/qualification-result.md`) is modelled on the
  element names open clinic software uses for the terminal's XML; it is *unconfirmed* against
  the official interface specification, so anything unexpected reads as "unreadable", which
  sends the resident to the 資格確認書 / insurance-card route and calls staff.
- `DemoQualificationSource` serves one case per 資格有効性 code (1–5) from
  `assets/demo/qualification/`.

A failed, missing or invalid result never reads as "uninsured": every outcome except a valid
result offers the 資格確認書 / insurance-card route and a staff call.

The consent for drug and health-check information is one combined consent, each item
explained, every item off by default, valid for 24 hours; it is recorded in the audit log
(`consent.given` / `consent.declined`) by data category only, never with content.
"""

from __future__ import annotations

import tomllib
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any, Literal, Protocol

from kiosk.errors import KnownError
from kiosk.paths import ASSETS

DEMO_DIR = ASSETS / "demo" / "qualification"
CONSENT_VALID_FOR = timedelta(hours=24)


class Validity(IntEnum):
    """資格有効性 as the terminal reports it."""

    VALID = 1  # 有効
    INVALID = 2  # 無効
    INVALID_NEW_EXISTS = 3  # 無効（新しい資格あり）
    NOT_FOUND = 4  # 該当資格なし
    MULTIPLE = 5  # 複数該当

    @property
    def message_id(self) -> str:
        return f"insurance.validity.{self.value}"


# 限度額適用認定証 適用区分 codes → the category printed on the certificate (message ids).
LIMIT_CATEGORIES = (
    "A01", "A02", "A03", "A04", "A05", "A06",
    "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B09", "B10",
)  # fmt: skip


class PersonType(StrEnum):
    INSURED = "1"  # 本人
    DEPENDANT = "2"  # 家族


@dataclass(frozen=True)
class QualificationResult:
    """One qualification from a result file. Personal data: shown, never logged or stored."""

    insurer_number: str
    insurer_name: str
    symbol: str  # 記号
    number: str  # 番号
    branch: str  # 枝番
    person_type: PersonType | None
    name: str
    name_kana: str
    birth_date: date | None
    card_type: str  # 被保険者証区分 code, e.g. "01"
    issued_on: date | None
    valid_from: date | None
    valid_to: date | None
    copayment_percent: int | None  # 一部負担金割合
    preschool: bool | None
    reason_of_loss: str
    limit_category: str  # 限度額適用認定証 適用区分 code, "" if none
    elderly_copayment_percent: int | None  # 高齢受給者証の負担割合

    def __repr__(self) -> str:  # insurance numbers and names stay out of logs
        return "QualificationResult(<personal data>)"

    @property
    def limit_category_id(self) -> str:
        return f"insurance.limit.{self.limit_category}" if self.limit_category else ""


@dataclass(frozen=True)
class ResultFile:
    """A parsed result file: the validity and every qualification it lists."""

    validity: Validity
    results: tuple[QualificationResult, ...]
    birth_date: date | None  # the birth date the query was made with


class UnreadableResult(ValueError):
    """A file that is not a result in the expected format (the format is unconfirmed)."""


Status = Literal["answered", "waiting", "unreadable", "mismatch", "ambiguous"]


@dataclass(frozen=True)
class QualificationOutcome:
    """What the kiosk can tell the resident. Only `usable` means "your insurance is valid"."""

    status: Status
    validity: Validity | None = None
    results: tuple[QualificationResult, ...] = ()

    @property
    def usable(self) -> bool:
        return (
            self.status == "answered" and self.validity is Validity.VALID and len(self.results) > 0
        )

    @property
    def message_id(self) -> str:
        if self.status == "answered" and self.validity is not None:
            return self.validity.message_id
        return f"insurance.outcome.{self.status}"

    @property
    def offers(self) -> tuple[str, ...]:
        """The routes offered next: never "uninsured", always a way forward."""
        if self.usable:
            return ()
        return ("insurance.route.certificate", "insurance.route.staff")


class PersonOnCard(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def birth_date(self) -> date | str: ...


class QualificationSource(Protocol):
    """Where qualification results come from for the resident at the kiosk."""

    def check(self, person: PersonOnCard, since: datetime) -> QualificationOutcome:
        """The newest answer for `person` written at or after `since`; never blocks."""
        ...


# ---------------------------------------------------------------------------------------------
# The result file format (unconfirmed; see module docstring)


def _text(el: ET.Element | None, tag: str) -> str:
    if el is None:
        return ""
    found = el.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _day(text: str) -> date | None:
    if not text:
        return None
    if len(text) != 8 or not text.isdigit():
        raise UnreadableResult(f"not a YYYYMMDD date: {text!r}")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise UnreadableResult(f"not a date: {text!r}") from None


def _percent(text: str) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not 0 <= int(text) <= 100:
        raise UnreadableResult(f"not a ratio: {text!r}")
    return int(text)


def parse_result(data: bytes) -> ResultFile:
    """Parse one result file; raise `UnreadableResult` for anything not as documented."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise UnreadableResult(str(e)) from None
    if root.tag != "XmlMsg":
        raise UnreadableResult(f"root element is {root.tag!r}, not XmlMsg")
    header = root.find("MessageHeader")
    body = root.find("MessageBody")
    if body is None or header is None:
        raise UnreadableResult("no MessageHeader or MessageBody")
    if _text(header, "SegmentOfResult") not in ("1", ""):
        raise UnreadableResult("the terminal did not finish normally")
    if _text(body, "ProcessingResultStatus") not in ("1", ""):
        raise UnreadableResult("the terminal reports an error")
    try:
        validity = Validity(int(_text(body, "QualificationValidity")))
    except ValueError:
        raise UnreadableResult("QualificationValidity is not 1-5") from None
    results = []
    for r in body.findall("ResultList/ResultOfQualificationConfirmation"):
        person = _text(r, "PersonalFamilyClassification")
        elderly = r.find("ElderlyRecipientCertificateInfo")
        limit = r.find("LimitApplicationCertificateRelatedInfo")
        category = _text(limit, "LimitApplicationCertificateClassificationFlag")
        if category and category not in LIMIT_CATEGORIES:
            raise UnreadableResult(f"unknown limit category {category!r}")
        preschool = _text(r, "PreschoolClassification")
        results.append(
            QualificationResult(
                insurer_number=_text(r, "InsurerNumber"),
                insurer_name=_text(r, "InsurerName"),
                symbol=_text(r, "InsuredCardSymbol"),
                number=_text(r, "InsuredIdentificationNumber"),
                branch=_text(r, "InsuredBranchNumber"),
                person_type=PersonType(person) if person in ("1", "2") else None,
                name=_text(r, "Name"),
                name_kana=_text(r, "NameKana"),
                birth_date=_day(_text(r, "Birthdate")),
                card_type=_text(r, "InsuredCardClassification"),
                issued_on=_day(_text(r, "InsuredCertificateIssuanceDate")),
                valid_from=_day(_text(r, "InsuredCardValidDate")),
                valid_to=_day(_text(r, "InsuredCardExpirationDate")),
                copayment_percent=_percent(_text(r, "InsuredPartialContributionRatio")),
                preschool=None if not preschool else preschool == "1",
                reason_of_loss=_text(r, "ReasonOfLoss"),
                limit_category=category,
                elderly_copayment_percent=_percent(
                    _text(elderly, "ElderlyRecipientContributionRatio")
                ),
            )
        )
    if validity is Validity.VALID and not results:
        raise UnreadableResult("valid, but no qualification listed")
    query = body.find("QualificationConfirmSearchInfo")
    return ResultFile(validity, tuple(results), _day(_text(query, "Birthdate")))


def _birth(person: PersonOnCard) -> date:
    bd = person.birth_date
    if isinstance(bd, str):
        return date(int(bd[:4]), int(bd[4:6]), int(bd[6:8]))
    return bd


def _same_name(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return "".join(unicodedata.normalize("NFKC", s).split())

    return norm(a) == norm(b)


def _belongs_to(f: ResultFile, person: PersonOnCard) -> bool | None:
    """True if the file is this person's, False if it is someone else's, None if unclear."""
    bd = _birth(person)
    dates = {r.birth_date for r in f.results if r.birth_date} | (
        {f.birth_date} if f.birth_date else set()
    )
    if not dates:
        return None
    if dates != {bd}:
        return False
    names = [r.name for r in f.results if r.name]
    return not names or any(_same_name(n, person.name) for n in names)


def outcome_for(files: Sequence[ResultFile | None], person: PersonOnCard) -> QualificationOutcome:
    """Decide from the result files written since the check began (None = unreadable)."""
    if not files:
        return QualificationOutcome("waiting")
    if any(f is None for f in files):
        return QualificationOutcome("unreadable")
    mine = [f for f in files if f is not None]
    if any(_belongs_to(f, person) is False for f in mine):
        # Another person's result landed at the same time: never show it (wrong-person).
        return QualificationOutcome("mismatch")
    if len(mine) > 1:
        return QualificationOutcome("ambiguous")
    f = mine[0]
    return QualificationOutcome("answered", f.validity, f.results)


class FolderQualificationSource:
    """Reads `*.xml` result files the clinic's terminal writes into `folder`.

    Files are only read, never moved or copied: they belong to the clinic's system.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def check(self, person: PersonOnCard, since: datetime) -> QualificationOutcome:
        if not self.folder.is_dir():  # an unmounted share must not look like "no answer yet"
            raise KnownError("insurance.folder-unavailable", f"{self.folder}: not a folder")
        try:
            paths = sorted(self.folder.glob("*.xml"))
        except OSError as e:
            raise KnownError("insurance.folder-unavailable", str(e)) from None
        stamp = since.timestamp()
        files: list[ResultFile | None] = []
        for p in paths:
            try:
                if p.stat().st_mtime < stamp:
                    continue
                files.append(parse_result(p.read_bytes()))
            except UnreadableResult:
                files.append(None)
            except FileNotFoundError:
                continue  # the terminal replaced it while we looked; the next check sees it
            except OSError as e:
                raise KnownError("insurance.folder-unavailable", str(e)) from None
        return outcome_for(files, person)


class DemoQualificationSource:
    """One case per 資格有効性 code from `assets/demo/qualification/`.

    `cases.toml` maps demo residents' birth dates to a case; anyone else gets `default`. The
    case's result is shown with the resident's own name and birth date (demo only).
    """

    def __init__(self, folder: Path = DEMO_DIR) -> None:
        self.folder = folder
        data = tomllib.loads((folder / "cases.toml").read_text(encoding="utf-8"))
        self._default = str(data.get("default", "valid"))
        table = data.get("by_birth_date", {})
        self._by_birth = {str(k): str(v) for k, v in table.items()}
        self._forced: str | None = None
        self.cases = tuple(sorted(p.stem for p in folder.glob("*.xml")))

    def use_case(self, case: str | None) -> None:
        """Force a case for everyone (the demo tray); None goes back to the table."""
        if case is not None and case not in self.cases:
            raise ValueError(f"unknown demo case {case!r} (known: {', '.join(self.cases)})")
        self._forced = case

    def check(self, person: PersonOnCard, since: datetime) -> QualificationOutcome:
        bd = _birth(person)
        case = self._forced or self._by_birth.get(bd.isoformat(), self._default)
        try:
            f = parse_result((self.folder / f"{case}.xml").read_bytes())
        except (OSError, UnreadableResult):
            return QualificationOutcome("unreadable")
        mine = tuple(replace(r, name=person.name, birth_date=bd) for r in f.results)
        return QualificationOutcome("answered", f.validity, mine)


# ---------------------------------------------------------------------------------------------
# Consent for drug and health-check information


class ConsentItem(StrEnum):
    MEDICATION = "medication"  # 診療・薬剤情報
    HEALTH_CHECK = "health-check"  # 特定健診等情報

    @property
    def label_id(self) -> str:
        return f"insurance.consent.{self.value}"

    @property
    def explain_id(self) -> str:
        return f"insurance.consent.{self.value}.explain"


# Audit data categories (kiosk.store.audit.DATA_CATEGORIES) for each consent item.
AUDIT_CATEGORY = {"medication": "medication", "health-check": "health_check"}


GivenBy = Literal["resident", "clerk", "supporter"]


class ConsentNotAllowed(KnownError):
    """A digital supporter may operate the screens but cannot consent for the resident."""

    def __init__(self) -> None:
        super().__init__("insurance.consent.supporter-cannot")


@dataclass(frozen=True)
class ConsentRecord:
    items: frozenset[ConsentItem]
    given_at: datetime
    given_by: GivenBy

    @property
    def valid_until(self) -> datetime:
        return self.given_at + CONSENT_VALID_FOR

    def allows(self, item: ConsentItem, now: datetime) -> bool:
        return item in self.items and self.given_at <= now < self.valid_until

    def to_json(self) -> dict[str, Any]:
        return {
            "items": sorted(i.value for i in self.items),
            "given_at": self.given_at.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "given_by": self.given_by,
        }


@dataclass
class ConsentForm:
    """One combined consent screen: each item explained, every item off until tapped."""

    chosen: dict[ConsentItem, bool] = field(
        default_factory=lambda: dict.fromkeys(ConsentItem, False)
    )

    @property
    def items(self) -> tuple[ConsentItem, ...]:
        return tuple(ConsentItem)

    def set(self, item: ConsentItem, on: bool) -> None:
        self.chosen[item] = on

    def agree_all(self) -> None:
        for item in ConsentItem:
            self.chosen[item] = True

    def record(self, now: datetime, given_by: GivenBy) -> ConsentRecord:
        """The decision, also "none". It is audited once, with the submission it belongs to
        (its items' `AUDIT_CATEGORY` among the categories of `submission.created`)."""
        if given_by == "supporter":
            raise ConsentNotAllowed()
        return ConsentRecord(frozenset(i for i, on in self.chosen.items() if on), now, given_by)
