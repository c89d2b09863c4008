"""Build step: message catalogs (`assets/i18n/*.toml`) -> Qt `.ts` -> compiled `.qm`.

The catalogs are the source of truth (one file per area, every id in every language); the
`.ts` files are generated for Qt's tools and compiled with `pyside6-lrelease`.
Run as `python -m kiosk.ui.i18n_build`; it rebuilds only when a catalog changed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from xml.sax.saxutils import escape

from kiosk.language import LANGUAGES
from kiosk.paths import ASSETS

QT_LOCALE = {
    "ja": "ja_JP", "ja-easy": "ja_JP", "en": "en_US", "zh": "zh_CN",
    "ko": "ko_KR", "vi": "vi_VN", "pt": "pt_BR",
}  # fmt: skip
CONTEXT = "kiosk"
CATALOGS = ASSETS / "i18n"
OUT = ASSETS / "i18n" / "build"


class CatalogError(ValueError):
    """A catalog entry is missing a language or is not a table of strings."""


def load_catalogs(folder: Path = CATALOGS) -> dict[str, dict[str, str]]:
    """All message ids -> {language: text}, checked for completeness and duplicates."""
    messages: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for mid, texts in data.items():
            if not isinstance(texts, dict):
                raise CatalogError(f"{path.name}: [{mid}] must be a table of languages")
            if mid in messages:
                raise CatalogError(f"{path.name}: message id {mid!r} is defined twice")
            missing = [lang for lang in LANGUAGES if not isinstance(texts.get(lang), str)]
            if missing:
                raise CatalogError(f"{path.name}: [{mid}] lacks {', '.join(missing)}")
            messages[mid] = {lang: texts[lang] for lang in LANGUAGES}
    return messages


def ts_document(messages: dict[str, dict[str, str]], lang: str) -> str:
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<!DOCTYPE TS>",
        f'<TS version="2.1" language="{QT_LOCALE[lang]}">',
        "<context>",
        f"    <name>{CONTEXT}</name>",
    ]
    for mid in sorted(messages):
        lines += [
            "    <message>",
            f"        <source>{escape(mid)}</source>",
            f"        <translation>{escape(messages[mid][lang])}</translation>",
            "    </message>",
        ]
    lines += ["</context>", "</TS>", ""]
    return "\n".join(lines)


def qm_path(lang: str, out: Path = OUT) -> Path:
    return out / f"kiosk_{lang}.qm"


def lrelease() -> str:
    here = Path(sys.executable).parent
    for candidate in (here / "pyside6-lrelease", shutil.which("pyside6-lrelease")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise FileNotFoundError("pyside6-lrelease not found (install PySide6-Essentials)")


def build(folder: Path = CATALOGS, out: Path = OUT, force: bool = False) -> list[Path]:
    """Compile every language; skip when all .qm files are newer than every catalog."""
    sources = list(folder.glob("*.toml"))
    newest = max((p.stat().st_mtime for p in sources), default=0.0)
    targets = [qm_path(lang, out) for lang in LANGUAGES]
    if not force and all(t.exists() and t.stat().st_mtime >= newest for t in targets):
        return targets
    messages = load_catalogs(folder)
    out.mkdir(parents=True, exist_ok=True)
    tool = lrelease()
    for lang, target in zip(LANGUAGES, targets, strict=True):
        ts = out / f"kiosk_{lang}.ts"
        ts.write_text(ts_document(messages, lang), encoding="utf-8")
        subprocess.run(
            [tool, "-silent", str(ts), "-qm", str(target)], check=True, capture_output=True
        )
    return targets


def main() -> int:
    try:
        targets = build()
    except (CatalogError, FileNotFoundError, subprocess.CalledProcessError) as e:
        print(f"translations: {e}", file=sys.stderr)
        return 1
    print(f"translations: {len(targets)} languages in {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
