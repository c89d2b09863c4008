"""The front of a virtual My Number card, drawn with Pillow and Noto CJK, and how a camera sees
it: the demo camera's "card front" scene, and the OCR tests and bench.

The layout follows public photos of the card front only roughly and is *unconfirmed*:
title top-left, name, address, birth date line with sex, photo on the right, an expiry
box, and the 4-digit security code in a box at the bottom. No real card image is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from kiosk.devices.card.virtual.residents import DemoResident
from kiosk.wareki import WarekiDate, to_wareki

FONT_DIR = Path("/usr/share/fonts/opentype/noto")  # Debian's fonts-noto-cjk
SANS = FONT_DIR / "NotoSansCJK-Regular.ttc"
SANS_BOLD = FONT_DIR / "NotoSansCJK-Bold.ttc"
JP_INDEX = 0  # face 0 of the .ttc is "Noto Sans CJK JP"

# 85.6 mm x 54 mm at 10 px/mm.
CARD_W, CARD_H = 856, 540
PHOTO_BOX = (612, 110, 820, 370)


@dataclass(frozen=True)
class CardFace:
    """What is printed on one synthetic card front."""

    name: str
    address: str
    birth: date
    sex: str
    expiry: date
    security_code: str

    @property
    def birth_wareki(self) -> WarekiDate:
        return to_wareki(self.birth)

    def expected_pin_b(self) -> str:
        from kiosk.wareki import pin_b

        return pin_b(self.birth, self.expiry.year, self.security_code)


SERIF = FONT_DIR / "NotoSerifCJK-Regular.ttc"
SERIF_BOLD = FONT_DIR / "NotoSerifCJK-Bold.ttc"
SERIF_JP_INDEX = 0  # face 0 of the serif .ttc is "Noto Serif CJK JP"


def font(size: int, bold: bool = False, serif: bool = False) -> ImageFont.FreeTypeFont:
    if serif:
        return ImageFont.truetype(str(SERIF_BOLD if bold else SERIF), size, index=SERIF_JP_INDEX)
    return ImageFont.truetype(str(SANS_BOLD if bold else SANS), size, index=JP_INDEX)


def render_front(
    face: CardFace, serif: bool = False, photo: Image.Image | None = None
) -> Image.Image:
    """A clean, flat, upright card front as an RGB image of CARD_W x CARD_H.

    `serif` prints the resident's data in a Mincho-style face (the real typeface is unconfirmed);
    `photo` goes in the photo box (a plain drawn figure without one).
    """
    card = Image.new("RGB", (CARD_W, CARD_H), (246, 244, 240))
    draw = ImageDraw.Draw(card)
    # Faint guilloche-like background lines, as printed cards have a pattern.
    for i in range(0, CARD_W + CARD_H, 14):
        draw.line([(i, 0), (i - CARD_H, CARD_H)], fill=(236, 232, 240), width=1)
    draw.rounded_rectangle([0, 0, CARD_W - 1, CARD_H - 1], radius=32, outline=(180, 180, 190))

    small, label, body = font(18), font(20), font(30, serif=serif)
    draw.text((36, 22), "個人番号カード", font=font(30, bold=True), fill=(40, 40, 90))
    draw.text((36, 84), "氏名", font=label, fill=(80, 80, 80))
    draw.text((100, 74), face.name, font=font(36, bold=True, serif=serif), fill=(20, 20, 20))
    draw.text((36, 150), "住所", font=label, fill=(80, 80, 80))
    draw.text((100, 142), face.address, font=font(24, serif=serif), fill=(20, 20, 20))

    wareki = face.birth_wareki
    birth_text = f"{wareki.era.value}{wareki.year_text}年 {wareki.month}月{wareki.day}日生"
    draw.text((100, 214), birth_text, font=body, fill=(20, 20, 20))
    draw.text((430, 220), f"性別 {face.sex}", font=font(26, serif=serif), fill=(20, 20, 20))

    # Expiry box.
    draw.rectangle([36, 280, 560, 340], outline=(120, 120, 120), width=2)
    draw.text((48, 296), "有効期限", font=label, fill=(80, 80, 80))
    e = face.expiry
    draw.text((160, 286), f"{e.year}年 {e.month}月{e.day}日まで有効", font=body, fill=(20, 20, 20))

    # Electronic-certificate expiry boxes, empty (filled in at the counter).
    draw.text((36, 362), "電子証明書の有効期限", font=small, fill=(90, 90, 90))
    draw.rectangle([240, 356, 560, 388], outline=(160, 160, 160), width=1)

    # Security code in a box at the bottom left.
    draw.text((36, 432), "セキュリティコード", font=small, fill=(90, 90, 90))
    draw.rectangle([210, 418, 330, 470], outline=(60, 60, 60), width=2)
    draw.text(
        (222, 420), face.security_code, font=font(34, bold=True, serif=serif), fill=(20, 20, 20)
    )

    if photo is not None:
        left, top, right, bottom = PHOTO_BOX
        card.paste(_cover(photo.convert("RGB"), right - left, bottom - top), (left, top))
    else:  # a drawn figure on a blue background
        draw.rectangle(list(PHOTO_BOX), fill=(190, 205, 225))
        draw.ellipse([660, 150, 772, 290], fill=(205, 180, 160))
        draw.rectangle([640, 290, 792, 370], fill=(70, 70, 90))
    draw.text((606, 470), "臓器提供意思", font=small, fill=(110, 110, 110))
    return card


@dataclass(frozen=True)
class Capture:
    """How the camera sees the card: scale, tilt, perspective, blur, noise, light."""

    scale: float = 1.0
    rotate_deg: float = 0.0
    perspective: float = 0.0  # 0..~0.08, fraction of width the top edge is squeezed
    blur: float = 0.0  # Gaussian radius in px at the final size
    noise: float = 0.0  # standard deviation of added Gaussian noise, in grey levels
    brightness: float = 1.0
    frame: tuple[int, int] = (1280, 720)


def photograph(card: Image.Image, capture: Capture, seed: int = 0) -> np.ndarray:
    """Place the card on a dark tray in a camera frame; RGB uint8 array (H, W, 3)."""
    rng = np.random.default_rng(seed)
    fw, fh = capture.frame
    w = round(CARD_W * capture.scale)
    h = round(CARD_H * capture.scale)
    img = card.resize((w, h), Image.Resampling.LANCZOS).convert("RGBA")

    if capture.perspective:
        # Squeeze the top edge: the camera looks at the card from below.
        d = capture.perspective * w
        coeffs = _perspective_coeffs(
            [(d, 0), (w - d, 0), (w, h), (0, h)], [(0, 0), (w, 0), (w, h), (0, h)]
        )
        img = img.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC)
    if capture.rotate_deg:
        img = img.rotate(capture.rotate_deg, Image.Resampling.BICUBIC, expand=True)

    tray = Image.new("RGBA", (fw, fh), (38, 40, 44, 255))
    x = (fw - img.width) // 2 + int(rng.integers(-20, 21))
    y = (fh - img.height) // 2 + int(rng.integers(-20, 21))
    tray.alpha_composite(img, (max(x, 0), max(y, 0)))
    out = tray.convert("RGB")
    if capture.blur:
        out = out.filter(ImageFilter.GaussianBlur(capture.blur))
    arr = np.asarray(out).astype(np.float32) * capture.brightness
    if capture.noise:
        arr += rng.normal(0.0, capture.noise, arr.shape)
    return np.clip(arr, 0, 255).astype(np.uint8)


def _perspective_coeffs(
    src: list[tuple[float, float]], dst: list[tuple[float, float]]
) -> list[float]:
    """Coefficients for PIL's PERSPECTIVE transform mapping dst corners to src corners."""
    rows = []
    rhs = []
    for (xs, ys), (xd, yd) in zip(src, dst, strict=True):
        rows.append([xd, yd, 1, 0, 0, 0, -xs * xd, -xs * yd])
        rows.append([0, 0, 0, xd, yd, 1, -ys * xd, -ys * yd])
        rhs.extend([xs, ys])
    sol = np.linalg.solve(np.array(rows, dtype=float), np.array(rhs, dtype=float))
    return [float(v) for v in sol]


def _cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """`image` scaled to fill width x height, cut to the middle (an ID photo's framing)."""
    scale = max(width / image.width, height / image.height)
    w, h = round(image.width * scale), round(image.height * scale)
    scaled = image.resize((w, h), Image.Resampling.LANCZOS)
    left, top = (w - width) // 2, max(0, (h - height) // 3)
    return scaled.crop((left, top, left + width, top + height))


def can_draw() -> bool:
    """The fonts are there (a package dependency; a bare test machine may lack them)."""
    return all(p.exists() for p in (SANS, SANS_BOLD, SERIF, SERIF_BOLD))


def face_of(resident: DemoResident) -> CardFace:
    """What a demo resident's card front prints."""
    sex = {"1": "男", "2": "女"}.get(resident.sex, "")
    return CardFace(
        name=resident.name,
        address=resident.address,
        birth=resident.birth_date,
        sex=sex,
        expiry=resident.card_expiry,
        security_code=resident.security_code,
    )


def demo_frames(resident: DemoResident, count: int = 12) -> list[np.ndarray]:
    """The demo camera's "card front on the stand" scene: the resident's card front, with its
    photo, held a little unsteadily under the camera at 640x480 (the demo camera's size)."""
    photo = Image.open(resident.photo_path) if resident.photo else None
    card = render_front(face_of(resident), photo=photo)
    frames = []
    for i in range(count):
        wobble = (i % 4 - 1.5) * 0.4
        capture = Capture(scale=0.72, rotate_deg=wobble, blur=0.3, noise=2.0, frame=(640, 480))
        frames.append(np.ascontiguousarray(photograph(card, capture, seed=i)))
    return frames
