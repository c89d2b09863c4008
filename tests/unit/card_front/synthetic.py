"""Synthetic card fronts for the OCR tests and bench: random residents, harsh cameras, and a
card back (whose number the reader must discard). The front itself is drawn by the package's
virtual card (`kiosk.devices.card.virtual.front`), which the demo camera shows too.
"""

from __future__ import annotations

import random
from datetime import date

from PIL import Image, ImageDraw

from kiosk.devices.card.virtual.front import (
    CARD_H,
    CARD_W,
    Capture,
    CardFace,
    font,
    photograph,
    render_front,
)

__all__ = ["Capture", "CardFace", "photograph", "random_capture", "random_face", "render_front"]


def render_back(my_number: str) -> Image.Image:
    """A card back showing a 12-digit number, to prove the reader discards such a frame."""
    card = Image.new("RGB", (CARD_W, CARD_H), (246, 244, 240))
    draw = ImageDraw.Draw(card)
    draw.text((36, 40), "個人番号", font=font(26), fill=(60, 60, 60))
    grouped = f"{my_number[:4]} {my_number[4:8]} {my_number[8:]}"
    draw.text((36, 90), grouped, font=font(48, bold=True), fill=(20, 20, 20))
    draw.text((36, 200), "氏名  山田 花子", font=font(28), fill=(20, 20, 20))
    draw.text((36, 260), "生年月日  昭和55年 2月17日", font=font(28), fill=(20, 20, 20))
    return card


FAMILY = ["山田", "佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤", "中村"]
GIVEN = ["花子", "太郎", "一郎", "美智子", "健", "さくら", "和夫", "幸子"]
PLACES = [
    "東京都千代田区霞が関１丁目２番３号",
    "宮城県仙台市青葉区本町３丁目８番１号",
    "熊本県熊本市中央区水前寺６丁目１８番１号",
    "石川県輪島市河井町２部２８７番地",
]


def random_face(rng: random.Random) -> CardFace:
    """A plausible card: born 1926-12-25..2019-12-31, expiry on a birthday 2026..2036."""
    start, end = date(1926, 12, 25).toordinal(), date(2019, 12, 31).toordinal()
    birth = date.fromordinal(rng.randint(start, end))
    exp_year = rng.randint(2026, 2036)
    day = 28 if (birth.month, birth.day) == (2, 29) else birth.day
    return CardFace(
        name=f"{rng.choice(FAMILY)}　{rng.choice(GIVEN)}",
        address=rng.choice(PLACES),
        birth=birth,
        sex=rng.choice(["男", "女"]),
        expiry=date(exp_year, birth.month, day),
        security_code=f"{rng.randint(0, 9999):04d}",
    )


def random_capture(rng: random.Random, level: str = "mild") -> Capture:
    """A camera capture with mild, hard or harsh degradations.

    mild: a card on a stand under a fixed camera; hard: tilted, blurred, noisy, smaller;
    harsh: beyond what a kiosk camera should deliver (to show failures stay empty, not wrong).
    """
    k = {"mild": 1.0, "hard": 2.0, "harsh": 3.5}[level]
    low, high = {"mild": (0.95, 1.25), "hard": (0.8, 1.1), "harsh": (0.55, 0.8)}[level]
    return Capture(
        scale=rng.uniform(low, high),
        rotate_deg=rng.uniform(-4, 4) * k,
        perspective=rng.uniform(0.0, 0.04) * k,
        blur=rng.uniform(0.0, 1.0) * k,
        noise=rng.uniform(0.0, 6.0) * k,
        brightness=rng.uniform(0.8, 1.1) if level == "mild" else rng.uniform(0.6, 1.15),
    )
