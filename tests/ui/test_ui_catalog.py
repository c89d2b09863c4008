"""Every message id the screens use exists in all seven languages, with the same placeholders."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from kiosk.flows.session import CHECK_REASONS, LANGUAGES, SignInFor
from kiosk.ui import i18n_build
from kiosk.ui.text import RUBY, base_text, inline_text, spoken_text, tokens

REPO = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((REPO / "kiosk" / "ui").rglob("*.py")), REPO / "kiosk" / "flows" / "session.py"]
UI_CATALOG = REPO / "assets" / "i18n" / "ui.toml"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def used_ids() -> set[str]:
    ids: set[str] = set()
    for path in SOURCES:
        ids |= set(re.findall(r'"(ui\.[a-z0-9_.\-]+[a-z0-9_])"', path.read_text(encoding="utf-8")))
    ids |= {f"ui.service.{p}" for p in ("insurance", "risai", "higai", "support-check")}
    ids |= {f"ui.staff.signin.for.{p.value}" for p in SignInFor}
    ids |= {f"ui.staff_check.reason.{r}" for r in CHECK_REASONS}
    ids |= {f"ui.language.{lang}" for lang in LANGUAGES}
    return ids


def test_every_used_id_is_in_every_language() -> None:
    catalog = i18n_build.load_catalogs()  # raises if any id lacks a language
    missing = sorted(i for i in used_ids() if i not in catalog)
    assert missing == []


# Parameters the code passes that a language may use on top of the Japanese ones.
EXTRA_PARAMS = {"ui.readback.question": {"date"}}  # Gregorian date beside the era date


def test_placeholders_agree_across_languages() -> None:
    data = tomllib.loads(UI_CATALOG.read_text(encoding="utf-8"))
    for mid, texts in data.items():
        expected = set(PLACEHOLDER.findall(texts["ja"]))
        allowed = expected | EXTRA_PARAMS.get(mid, set())
        for lang in LANGUAGES:
            found = set(PLACEHOLDER.findall(RUBY.sub("", texts[lang])))
            assert expected <= found <= allowed, f"{mid} [{lang}]: {found} vs {expected}"
            if lang != "ja-easy":
                assert not RUBY.search(texts[lang]), f"{mid} [{lang}] has ruby marks"


def test_plain_japanese_carries_furigana() -> None:
    data = tomllib.loads(UI_CATALOG.read_text(encoding="utf-8"))
    with_ruby = [mid for mid, t in data.items() if RUBY.search(t["ja-easy"])]
    assert len(with_ruby) >= 10


def test_ruby_forms() -> None:
    text = "カードを　{置|お}いて　ください"
    assert base_text(text) == "カードを　置いて　ください"
    assert inline_text(text) == "カードを　置(お)いて　ください"
    assert spoken_text(text) == "カードを　おいて　ください"
    assert ("置", "お") in tokens(text) and ("カ", "") in tokens(text)
