"""Every card fault has a message in all seven languages."""

from __future__ import annotations

import inspect
import tomllib

import pytest

from kiosk.devices.card import errors
from kiosk.language import LANGUAGES
from kiosk.paths import ASSETS

CATALOG = tomllib.loads((ASSETS / "i18n" / "card.toml").read_text(encoding="utf-8"))
FAULTS = [
    c
    for _, c in inspect.getmembers(errors, inspect.isclass)
    if issubclass(c, errors.CardError) and c.__module__ == errors.__name__
]
MORE_IDS = ["card.demo_residents", "card.demo_unknown", "card.demo_faces_missing"]


@pytest.mark.parametrize("fault", FAULTS, ids=lambda c: c.__name__)
def test_fault_has_all_languages(fault: type[errors.CardError]) -> None:
    texts = CATALOG[fault.message_id_default]
    assert [lang for lang in LANGUAGES if texts.get(lang, "").strip()] == list(LANGUAGES)


@pytest.mark.parametrize("mid", MORE_IDS)
def test_other_card_messages_have_all_languages(mid: str) -> None:
    assert set(CATALOG[mid]) == set(LANGUAGES)


def test_wrong_pin_placeholder_is_in_every_language() -> None:
    assert all("{tries}" in CATALOG["card.wrong_pin"][lang] for lang in LANGUAGES)
    assert errors.WrongCredential(2).params == {"tries": 2}


def test_faults_are_known_errors_with_distinct_ids() -> None:
    ids = [f.message_id_default for f in FAULTS]
    assert len(ids) == len(set(ids)) and len(FAULTS) >= 15
    assert all(
        isinstance(f("x"), errors.KnownError) for f in FAULTS if f is not errors.WrongCredential
    )
