"""Message text outside the Qt UI (printed documents, the `kiosk rules` command, tests).

Reads the same catalogs the UI compiles (`assets/i18n/*.toml`), so a printed receipt says
exactly what the screen says. The UI may pass its own `tr` wherever a `Translate` is asked for.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from kiosk.language import LANGUAGES, Translate, fill
from kiosk.paths import ASSETS

__all__ = ["LANGUAGES", "CatalogText", "Translate"]


@cache
def _messages(folder: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for mid, texts in data.items():
            if isinstance(texts, dict):
                out[mid] = {k: v for k, v in texts.items() if isinstance(v, str)}
    return out


class CatalogText:
    """A `Translate` reading the TOML catalogs; an unknown id comes back as the id itself."""

    def __init__(self, language: str = "ja", folder: Path = ASSETS / "i18n") -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        self.language = language
        self._folder = folder

    def has(self, message_id: str) -> bool:
        return message_id in _messages(self._folder)

    def __call__(self, message_id: str, /, **params: object) -> str:
        texts = _messages(self._folder).get(message_id)
        if texts is None:
            return message_id  # shows staff which id is missing rather than failing a print
        return fill(texts.get(self.language) or texts.get("ja", message_id), params)
