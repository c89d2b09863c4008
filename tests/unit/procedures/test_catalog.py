"""Every message id the procedures, rules and documents can produce has all seven languages."""

from __future__ import annotations

import itertools
import re
import string
from pathlib import Path

import pytest

from kiosk.flows import qualification as q
from kiosk.flows.procedures import common, higai, risai, support_check
from kiosk.flows.procedures.catalog import LANGUAGES, CatalogText
from kiosk.flows.rules import (
    Case,
    DamageGrade,
    DisasterScale,
    Plan,
    Relation,
    RuleBook,
    Scheme,
    estimate,
)
from kiosk.store.audit import DATA_CATEGORIES
from kiosk.ui.i18n_build import load_catalogs

ROOT = Path(__file__).resolve().parents[3]
CATALOG = load_catalogs()
MINE = re.compile(
    r"""["']((?:procedures|rules|insurance|printer|documents|part|grade|scheme)\.[a-z0-9.\-]+[a-z0-9])["']"""
)
SOURCES = [
    *sorted((ROOT / "kiosk" / "flows" / "procedures").glob("*.py")),
    ROOT / "kiosk" / "flows" / "rules.py",
    ROOT / "kiosk" / "flows" / "qualification.py",
    ROOT / "kiosk" / "devices" / "printer.py",
]


def literal_ids() -> set[str]:
    ids: set[str] = set()
    for path in SOURCES:
        ids |= set(MINE.findall(path.read_text(encoding="utf-8")))
    # f-string stems ("procedures.form.survey.{...}") are covered by the enum sweep below
    # audit data categories ("insurance.qualification") and schema names are not messages
    return {i for i in ids if not i.endswith((".", ".v1")) and i not in DATA_CATEGORIES}


def estimate_ids() -> set[str]:
    """Every id any estimate can show, from a sweep over the answers that change them."""
    book = RuleBook.load()
    ids: set[str] = set()
    scales = [
        DisasterScale(),
        DisasterScale(support_act_applied=False, relief_act_applied_in_prefecture=False,
                      dwellings_destroyed_in_municipality=0,
                      municipalities_with_5_destroyed_in_prefecture=0,
                      prefectures_with_relief_act=0),
        DisasterScale(support_act_applied=True, relief_act_applied_in_prefecture=True),
    ]  # fmt: skip
    flag_sets: list[dict[str, object]] = [
        {},
        {"demolished": True, "rented_first": True},
        {"injured": True, "goods_lost": True, "income_yen": 10**9},
        {"dwelling_lost": True, "long_term_evacuation": True},
    ]
    grades = [*DamageGrade, None]
    relations = [None, *Relation]
    for scheme, grade, plan, household, scale, flags, rel, boundary in itertools.product(
        Scheme, grades, Plan, (1, 5), scales, flag_sets, relations, ("inclusive", "exclusive")
    ):
        case = Case(scheme, grade, household, plan, relation=rel, disaster_related_death=True,
                    scale=scale, **flags)  # type: ignore[arg-type]  # fmt: skip
        e = estimate(case, book, income_boundary=boundary)  # type: ignore[arg-type]
        ids |= {e.headline[0], *e.reasons, *e.notes, *e.documents}
        ids |= {p.label for p in e.parts} | {r.explain for r in e.rules}
        ids |= {m for m, _ in e.deadlines}
    return ids


def enum_ids() -> set[str]:
    ids: set[str] = set()
    for enum in (DamageGrade, Scheme, common.Relationship, common.Cause, common.PhotoKind,
                 risai.DamagedPart, risai.Flooding, higai.ItemKind, higai.ItemDamage):  # fmt: skip
        ids |= {m.label_id for m in enum}  # type: ignore[attr-defined]
    ids |= {i.label_id for i in q.ConsentItem} | {i.explain_id for i in q.ConsentItem}
    ids |= {v.message_id for v in q.Validity}
    ids |= {f"insurance.limit.{c}" for c in q.LIMIT_CATEGORIES}
    ids |= {f"insurance.outcome.{s}" for s in ("waiting", "unreadable", "mismatch", "ambiguous")}
    ids |= {f"procedures.form.survey.{m}" for m in ("site", "self")}
    ids |= {f"procedures.name.{p}" for p in ("risai", "higai", "support-check", "insurance")}
    ids |= {f"insurance.person.{p.name.lower()}" for p in q.PersonType}
    everything = support_check.SupportAnswers(
        has_certificate=True, grade=DamageGrade.HANKAI, plan=Plan.BUILD, death=True,
        relation=Relation.SIBLING, disability=True, wants_loan_check=True,
    )  # fmt: skip
    for question in support_check.questions(everything):
        ids |= {question.message_id, *(c.message_id for c in question.choices)}
        if question.help_id:
            ids.add(question.help_id)
    return ids


ALL_IDS = sorted(literal_ids() | estimate_ids() | enum_ids())


def test_the_sweep_found_a_realistic_number_of_ids() -> None:
    assert len(ALL_IDS) > 250


# Ids whose languages pick one of several values the code always passes (each language's own
# form: 1割 in Japanese, 10% elsewhere); every language must still use only these, and some.
ALTERNATIVE_FORMS = {"insurance.share.tenths": {"tenths", "percent"}}


@pytest.mark.parametrize("message_id", ALL_IDS)
def test_message_has_every_language_and_the_same_placeholders(message_id: str) -> None:
    texts = CATALOG.get(message_id)
    assert texts is not None, f"{message_id} missing from assets/i18n"
    fields = {
        lang: {f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f} for lang in LANGUAGES
    }
    assert all(texts[lang].strip() for lang in LANGUAGES)
    if message_id in ALTERNATIVE_FORMS:
        assert all(v and v <= ALTERNATIVE_FORMS[message_id] for v in fields.values()), fields
        return
    assert len({frozenset(v) for v in fields.values()}) == 1, fields


def test_results_never_say_uninsured_or_denied() -> None:
    for mid, texts in CATALOG.items():
        if mid.startswith(("insurance.", "rules.result", "rules.reason")):
            assert "無保険" not in texts["ja"]
            assert "not eligible" not in texts["en"].lower()
            assert "uninsured." not in texts["en"].lower().replace("not mean you are uninsured", "")


def test_catalog_text_fills_placeholders_and_falls_back_to_the_id() -> None:
    t = CatalogText("en")
    assert t("rules.result.likely", amount="1,000,000") == (
        "You are likely eligible: about 1,000,000 yen. Staff will confirm."
    )
    assert t("no.such.id") == "no.such.id"
    with pytest.raises(ValueError):
        CatalogText("fr")
