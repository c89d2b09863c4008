"""Screenshots of every page (日本語, English, and やさしい日本語 with furigana) taken in a
real X window on a private Xvfb display, at the kiosk's 1920×1080: docs/screenshots/.

Qt's offscreen platform renders differently (its window is never active, so the focus
outline lands elsewhere and the top bar grows), so the pictures come from Xvfb only. The
child run is tests/ui/xvfb_screenshots.py; page checks in every language are in
test_page_fit.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

from kiosk.flows.session import Page
from tests.helpers.screen_walk import PANELS
from tests.helpers.xvfb import display_env, xvfb

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "docs" / "screenshots"
CHILD = Path(__file__).with_name("xvfb_screenshots.py")
LANGUAGES = ("ja", "en", "ja-easy")


def test_every_page_shot_on_xvfb() -> None:
    with xvfb(1920, 1080) as display:
        env = display_env(display)
        env["KIOSK_SHOTS"] = str(SHOTS)
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(CHILD)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=110,
        )  # fmt: skip
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "9 passed" in run.stdout
    for language in LANGUAGES:
        names = [page.value for page in Page] + [f"panel_{p}" for p in PANELS]
        names.append("pin_b_confirm")
        for name in names:
            with Image.open(SHOTS / language / f"{name}.png") as image:
                assert image.size == (1920, 1080)
                colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
                assert colours is None or len(colours) > 20, f"{language}/{name}: blank"
