"""Every face message id the code can produce has all seven languages in face.toml."""

from __future__ import annotations

import re
import tomllib

from kiosk.devices import camera
from kiosk.devices.face import matcher, quality
from kiosk.language import LANGUAGES as ALL_LANGUAGES
from tests.conftest import REPO

LANGUAGES = set(ALL_LANGUAGES)
CATALOG = tomllib.loads((REPO / "assets/i18n/face.toml").read_text(encoding="utf-8"))


def ids_in_code() -> set[str]:
    found: set[str] = set()
    for path in [REPO / "kiosk/devices/camera.py", *(REPO / "kiosk/devices/face").glob("*.py")]:
        found |= set(re.findall(r'"(face\.[a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    return found


def test_the_scan_sees_the_known_ids() -> None:
    ids = ids_in_code()
    assert set(quality.ALL_GUIDANCE) <= ids
    assert set(matcher.RESULTS) <= ids
    assert {camera.UNPLUGGED, camera.BUSY, camera.LOST, matcher.PIN_OR_STAFF} <= ids


def test_every_id_has_seven_languages() -> None:
    missing = sorted(ids_in_code() - set(CATALOG))
    assert missing == []
    incomplete = {k: sorted(LANGUAGES - set(v)) for k, v in CATALOG.items() if set(v) != LANGUAGES}
    assert incomplete == {}


def test_no_message_is_empty_and_placeholders_agree() -> None:
    for key, texts in CATALOG.items():
        assert all(t.strip() for t in texts.values()), key
        names = {frozenset(re.findall(r"\{(\w+)\}", t)) for t in texts.values()}
        assert len(names) == 1, key
