"""One list of languages and one placeholder rule for every reader of the catalogs."""

from __future__ import annotations

import tomllib
from pathlib import Path

from kiosk.config import Settings
from kiosk.flows.procedures.catalog import CatalogText
from kiosk.language import LANGUAGES, fill

CATALOGS = Path(__file__).resolve().parents[2] / "assets" / "i18n"


def test_every_catalog_message_is_in_exactly_the_kiosks_languages() -> None:
    for path in CATALOGS.glob("*.toml"):
        for mid, texts in tomllib.loads(path.read_text(encoding="utf-8")).items():
            if isinstance(texts, dict):
                assert set(texts) == set(LANGUAGES), (path.name, mid)


def test_the_settings_accept_each_language() -> None:
    assert Settings().site.language in LANGUAGES
    assert LANGUAGES[0] == "ja" and len(set(LANGUAGES)) == 7


def test_fill_replaces_named_placeholders_and_keeps_furigana_and_unknown_ones() -> None:
    text = "{name}　さん、{wareki}　{生|う}まれ。{missing}"
    assert (
        fill(text, {"name": "花子", "wareki": "昭和15年"})
        == "花子　さん、昭和15年　{生|う}まれ。{missing}"
    )
    assert fill(text, {}) == text
    assert fill("{n} / {total}", {"n": 3, "total": 6}) == "3 / 6"


def test_printed_text_fills_a_message_with_furigana_like_the_screen() -> None:
    """str.format refused this message (the furigana mark is not a field): the printout
    showed the bare template."""
    catalog = CatalogText("ja-easy")
    mid = next(
        mid
        for path in CATALOGS.glob("*.toml")
        for mid, texts in tomllib.loads(path.read_text(encoding="utf-8")).items()
        if isinstance(texts, dict)
        and "{name}" in texts.get("ja-easy", "")
        and "|" in texts["ja-easy"]
    )
    out = catalog(mid, name="花子", wareki="昭和15年")
    assert "花子" in out and "昭和15年" in out and "{生|う}" in out
