"""`kiosk face evaluate`: false match and false non-match rates of the matcher on a labelled set.

The set is one folder per person with that person's photos (any size, colour or not). Each
photo plays both roles: it becomes a simulated card photo (greyscale, card-like size, JPEG
2000 at card-like bytes) and a simulated live frame (the face at kiosk distance in a 640x480
frame, brought into the card's domain exactly as the kiosk does). Every card is compared with
every live frame of another photo: same person = a genuine pair, different people = an
impostor pair. A photo is never compared with itself.

Encodings live in memory only; the outputs are numbers and a plot, no face.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kiosk.devices.face import card_photo
from kiosk.devices.face.matcher import FaceMatcher

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".jp2", ".webp")
THRESHOLDS = tuple(round(0.30 + 0.01 * i, 2) for i in range(51))  # 0.30 .. 0.80


@dataclass
class Evaluation:
    """Distances of every genuine and impostor pair, and the rates per threshold."""

    people: dict[str, int]  # person -> photos used
    skipped: list[str]  # "person/file: reason"
    genuine: list[float] = field(default_factory=list)
    impostor: list[float] = field(default_factory=list)
    card_format: dict[str, int] = field(default_factory=dict)

    def rates(self, t: float) -> tuple[float | None, float | None]:
        """(FMR, FNMR) at threshold t; None where there are no pairs of that kind."""
        fmr = sum(d <= t for d in self.impostor) / len(self.impostor) if self.impostor else None
        fnmr = sum(d > t for d in self.genuine) / len(self.genuine) if self.genuine else None
        return fmr, fnmr

    def suggested_threshold(self, max_fmr: float = 0.0) -> float | None:
        """The largest threshold whose FMR is at most `max_fmr` on this set (None if no pairs)."""
        ok = [t for t in THRESHOLDS if (r := self.rates(t)[0]) is not None and r <= max_fmr]
        return max(ok) if ok else None

    def summary(self) -> dict[str, Any]:
        rows = []
        for t in THRESHOLDS:
            fmr, fnmr = self.rates(t)
            rows.append({"threshold": t, "fmr": fmr, "fnmr": fnmr})
        return {
            "people": self.people,
            "skipped": self.skipped,
            "pairs": {"genuine": len(self.genuine), "impostor": len(self.impostor)},
            "card_format": self.card_format,
            "genuine_distances": _stats(self.genuine),
            "impostor_distances": _stats(self.impostor),
            "max_threshold_with_zero_fmr": self.suggested_threshold(0.0),
            "rates": rows,
            "caveat": (
                "Rates from a small set say little about a population; an FMR of 0 over a few "
                "hundred impostor pairs bounds the true FMR only at about 1%. Calibrate on a "
                "consented set of the people the kiosk serves."
            ),
        }


def evaluate(dataset: Path, fmt: card_photo.CardPhotoFormat = card_photo.CARD_LIKE) -> Evaluation:
    """Encode every photo of `dataset` as card and as live frame, and pair them up."""
    from kiosk.devices.camera import read_frames
    from kiosk.devices.face import synth

    matcher = FaceMatcher()
    people: dict[str, int] = {}
    skipped: list[str] = []
    cards: list[tuple[str, int, npt.NDArray[np.float64]]] = []
    lives: list[tuple[str, int, npt.NDArray[np.float64]]] = []
    # Every simulated card has the same framing, so the first card's eye distance serves all
    # and each live frame is encoded once, as it is read (N encodings, not N x N; no frames kept).
    card_eye: float | None = None
    index = 0
    for folder in sorted(p for p in dataset.iterdir() if p.is_dir()):
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        for f in files:
            label = f"{folder.name}/{f.name}"
            try:
                rgb = next(read_frames(f))
                enc, eye = matcher.encode_card(card_photo.simulate(rgb, fmt))
                card_eye = card_eye or eye
                live = matcher.encode_frame(synth.fit_frame(rgb), card_eye_px=card_eye)
            except (card_photo.CardPhotoError, ValueError) as e:
                skipped.append(f"{label}: {getattr(e, 'message_id', str(e))}")
                continue
            if live is None:
                skipped.append(f"{label}: face.guide.no_face")
                continue
            cards.append((folder.name, index, enc))
            lives.append((folder.name, index, live))
            people[folder.name] = people.get(folder.name, 0) + 1
            index += 1
    result = Evaluation(people=people, skipped=skipped)
    result.card_format = {"width": fmt.width, "height": fmt.height, "max_bytes": fmt.max_bytes}
    for person, i, card_enc in cards:
        for other, j, live_enc in lives:
            if i != j:
                d = float(np.linalg.norm(live_enc - card_enc))
                (result.genuine if person == other else result.impostor).append(d)
    for _, _, enc in cards + lives:
        enc[:] = 0.0
    return result


def write_report(result: Evaluation, out: Path) -> dict[str, Any]:
    """Write summary.json and det.png into `out`; returns the summary."""
    out.mkdir(parents=True, exist_ok=True)
    summary = result.summary()
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    draw_det(result, out / "det.png")
    summary["files"] = {"summary": str(out / "summary.json"), "det": str(out / "det.png")}
    return summary


def draw_det(result: Evaluation, path: Path, size: tuple[int, int] = (720, 560)) -> None:
    """A DET plot (FNMR against FMR, both on a probit-like log scale) and, under it, where the
    genuine and impostor distances fall on the threshold axis. Drawn with Pillow."""
    from PIL import Image, ImageDraw

    w, h = size
    img = Image.new("RGB", (w, h), "white")
    g = ImageDraw.Draw(img)
    left, top, right, bottom = 70, 30, w - 30, h - 170
    g.rectangle((left, top, right, bottom), outline="black")
    lo = 1e-3

    def axis(v: float) -> float:
        return (math.log10(max(v, lo)) - math.log10(lo)) / -math.log10(lo)

    for v in (0.001, 0.01, 0.1, 1.0):
        x = left + axis(v) * (right - left)
        y = bottom - axis(v) * (bottom - top)
        g.line((x, top, x, bottom), fill=(220, 220, 220))
        g.line((left, y, right, y), fill=(220, 220, 220))
        g.text((x - 12, bottom + 4), f"{v:g}", fill="black")
        g.text((left - 45, y - 6), f"{v:g}", fill="black")
    g.text(((left + right) // 2 - 60, bottom + 20), "false match rate (FMR)", fill="black")
    g.text((5, top - 22), "false non-match rate (FNMR)", fill="black")
    g.text((right - 200, top - 22), "a rate of 0 is drawn at 0.001", fill=(120, 120, 120))
    points = []
    for t in THRESHOLDS:
        fmr, fnmr = result.rates(t)
        if fmr is None or fnmr is None:
            continue
        points.append((left + axis(fmr) * (right - left), bottom - axis(fnmr) * (bottom - top), t))
    if len(points) > 1:
        g.line([(x, y) for x, y, _ in points], fill=(0, 90, 200), width=3)
    for x, y, t in points:
        if abs(t * 10 - round(t * 10)) < 1e-6:
            g.ellipse((x - 3, y - 3, x + 3, y + 3), fill=(0, 90, 200))
            g.text((x + 4, y - 12), f"{t:.1f}", fill=(0, 90, 200))
    # distances strip: genuine above the line, impostor below, on 0.0 .. 1.2
    sl, sr, sy = left, right, h - 80
    g.line((sl, sy, sr, sy), fill="black")
    for v in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2):
        x = sl + v / 1.2 * (sr - sl)
        g.line((x, sy - 3, x, sy + 3), fill="black")
        g.text((x - 8, sy + 30), f"{v:.1f}", fill="black")
    for d in result.genuine:
        x = sl + min(d, 1.2) / 1.2 * (sr - sl)
        g.line((x, sy - 25, x, sy - 4), fill=(0, 150, 60))
    for d in result.impostor:
        x = sl + min(d, 1.2) / 1.2 * (sr - sl)
        g.line((x, sy + 4, x, sy + 25), fill=(200, 40, 40))
    g.text((sl, sy - 45), f"genuine distances ({len(result.genuine)} pairs)", fill=(0, 150, 60))
    g.text((sl, h - 22), f"impostor distances ({len(result.impostor)} pairs)", fill=(200, 40, 40))
    img.save(path, "PNG")


def _stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"count": 0, "min": None, "median": None, "max": None}
    a = np.asarray(values)
    return {
        "count": len(values),
        "min": round(float(a.min()), 4),
        "median": round(float(np.median(a)), 4),
        "max": round(float(a.max()), 4),
    }
