"""Switch the kiosk's language at any time; widgets retranslate on `LanguageChange`."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QTranslator

from kiosk.language import LANGUAGES, fill
from kiosk.ui import i18n_build

__all__ = ["LANGUAGES", "Translations", "tr"]


def tr(message_id: str, **params: object) -> str:
    """The current language's text for `message_id`, placeholders filled (`language.fill`);
    furigana marks `{漢字|かんじ}` are kept for the label to render."""
    return fill(QCoreApplication.translate(i18n_build.CONTEXT, message_id), params)


class Translations:
    """Owns the one installed QTranslator; `use(lang)` swaps it without touching the session."""

    def __init__(self, app: QCoreApplication, language: str = "ja") -> None:
        self._app = app
        self._translator: QTranslator | None = None
        self.language = ""
        i18n_build.build()  # cheap when up to date; a pip-installed tree compiles on first start
        self.use(language)

    def use(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        if language == self.language:
            return
        translator = QTranslator(self._app)
        if not translator.load(str(i18n_build.qm_path(language))):
            raise FileNotFoundError(f"no compiled translations for {language}")
        if self._translator is not None:
            self._app.removeTranslator(self._translator)
        self._app.installTranslator(translator)
        self._translator = translator
        self.language = language

    def close(self) -> None:
        """Uninstall the translator (tests, and a kiosk shutting down)."""
        if self._translator is not None:
            self._app.removeTranslator(self._translator)
            self._translator = None
            self.language = ""
