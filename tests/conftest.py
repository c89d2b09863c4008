"""Shared fixtures. Qt runs offscreen; every test gets its own data dir."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from kiosk.ui.i18n import Translations

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent

pytest_plugins = ["tests.helpers.pcscd"]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private data dir so no test shares state with another or with a running kiosk."""
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture
def translations(qapp: QApplication) -> Iterator[Translations]:
    """Japanese installed; switch with `.use(lang)`; uninstalled after the test."""
    from kiosk.ui.i18n import Translations

    t = Translations(qapp, "ja")
    yield t
    t.close()
