"""Read the card front through the camera for 照合番号B: birth date, expiry year, security code.

Uses Debian's `tesseract` (with `tesseract-ocr-jpn`) through a subprocess and OpenCV to find
and flatten the card in the frame. The front layout assumed here (birth date line ending in 生,
expiry line ending in まで, a labelled 4-digit security code) is *unconfirmed*; the reader
therefore never guesses: a field that is unclear, ambiguous between passes or impossible as a
date comes back as None, and the UI shows what was read for confirmation with a keypad
fallback.

The 12-digit My Number is on the back. If any OCR pass sees a 12-digit number, the whole
frame is discarded: the returned reading carries no field and `my_number_side_seen` is True.
No OCR text is logged, stored or returned.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, Literal, TypeVar

# Imported here, at start-up on the main thread, not lazily: cv2's loader edits sys.path while
# it imports, and a thread importing at that moment (or a process spawned then) breaks.
import cv2
import numpy as np

from kiosk.errors import KnownError
from kiosk.logs import event
from kiosk.wareki import Era, WarekiDate, from_wareki, pin_b

__all__ = [
    "CardFrontReader",
    "CardFrontReading",
    "FieldReading",
    "OcrLine",
    "OcrTimeout",
    "TesseractOcr",
    "read_card_front",
]

log = logging.getLogger("kiosk.devices.card.front_ocr")

# Card format ID-1: 85.60 mm x 53.98 mm.
CARD_ASPECT = 85.60 / 53.98
# Flattened card size handed to tesseract: text lines come out 35–50 px tall.
WARP_W, WARP_H = 1284, 810

# A My Number: 12 digits in a row, however they are grouped by spaces or hyphens.
_MY_NUMBER = re.compile(r"\d(?:[\s\-]{0,3}\d){11,}")
_DIGIT_GROUP = re.compile(r"^\d{3,5}$")
_ERA = "|".join(e.value for e in Era)
_BIRTH = re.compile(
    rf"(?P<era>{_ERA})\s*(?P<year>元|\d{{1,2}})\s*年\s*(?P<month>\d{{1,2}})\s*月"
    r"\s*(?P<day>\d{1,2})\s*日\s*生"
)
_EXPIRY = re.compile(
    r"(?<!\d)(?P<year>20\d\d)\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日\s*まで"
)
# Loose shapes of the two date lines, to find them again when the strict pattern failed.
_BIRTH_LINE = re.compile(rf"(?:{_ERA}).*\d.*生|(?:{_ERA})\s*(?:元|\d)")
_EXPIRY_LINE = re.compile(r"20\d\d.*まで|20\d\d\s*年.*月")
_CODE = re.compile(r"(?<!\d)(?P<code>\d{4})(?!\s*\d)(?!\s*[年月日])")
_CODE_LABEL = re.compile(r"リティ|ティコ|コード")
# Ink blobs smaller than this (px, at WARP size) are camera noise, not strokes.
SPECK_AREA = 15
MAX_INK = 0.2
# Reads tesseract is this unsure of are noise, not evidence either way.
NOISE_CONFIDENCE = 0.3
# Cards are issued from 2016 and last at most ten birthdays.
EXPIRY_YEARS = range(2016, 2061)


@dataclass(frozen=True)
class OcrWord:
    """One word tesseract found: text, confidence 0..1 and its box in the image."""

    text: str
    confidence: float
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class OcrLine:
    """One text line: its words in reading order."""

    words: tuple[OcrWord, ...]

    def text_and_spans(self) -> tuple[str, list[tuple[int, int, OcrWord]]]:
        """Line text (NFKC; a space only at wide gaps) and each word's character span."""
        parts: list[str] = []
        spans: list[tuple[int, int, OcrWord]] = []
        pos = 0
        previous: OcrWord | None = None
        for word in self.words:
            text = unicodedata.normalize("NFKC", word.text)
            # Japanese has no spaces: a space only where the print leaves a wide gap.
            if previous is not None and _gap(previous, word):
                parts.append(" ")
                pos += 1
            previous = word
            spans.append((pos, pos + len(text), word))
            parts.append(text)
            pos += len(text)
        return "".join(parts), spans

    def confidence_of(self, start: int, end: int) -> float:
        """The lowest confidence among the words that overlap characters start..end."""
        _, spans = self.text_and_spans()
        confs = [w.confidence for s, e, w in spans if s < end and e > start]
        return min(confs) if confs else 0.0


T = TypeVar("T")


def _gap(left: OcrWord, right: OcrWord) -> bool:
    return right.left - (left.left + left.width) > 0.6 * max(left.height, right.height)


# An OCR engine: grey image and a mode in, lines out. Modes: "page" (sparse text anywhere),
# "line" (one line of Japanese text), "digits" (one line of digits only).
OcrMode = Literal["page", "line", "digits"]
OcrEngine = Callable[[np.ndarray, OcrMode], list[OcrLine]]


@dataclass(frozen=True)
class FieldReading(Generic[T]):
    """One field as read: value (None if unclear) and confidence 0..1."""

    value: T | None
    confidence: float


@dataclass(frozen=True)
class CardFrontReading:
    """What the camera read off the card front. Unclear fields are None, never guessed.

    `birth` is the birth date in the era calendar as printed; `expiry_year` is Gregorian.
    `my_number_side_seen` is True when the frame showed a 12-digit number; then every field
    is None (the frame was discarded, the number was not kept).
    """

    birth: FieldReading[WarekiDate] = field(default_factory=lambda: FieldReading(None, 0.0))
    expiry_year: FieldReading[int] = field(default_factory=lambda: FieldReading(None, 0.0))
    security_code: FieldReading[str] = field(default_factory=lambda: FieldReading(None, 0.0))
    card_found: bool = False
    my_number_side_seen: bool = False
    # The expiry falls on a birthday (cards expire on the 10th/5th birthday after issue);
    # None when either date was not read. A False here is a reason for staff to look.
    birthday_matches_expiry: bool | None = None

    @property
    def complete(self) -> bool:
        """Every field needed for 照合番号B was read clearly."""
        return None not in (self.birth.value, self.expiry_year.value, self.security_code.value)

    @property
    def birth_date(self) -> date | None:
        """The Gregorian birth date, or None if unread."""
        return None if self.birth.value is None else self.birth.value.to_date()

    def pin_b(self) -> str | None:
        """照合番号B (14 digits) if every field was read clearly, else None."""
        b, y, c = self.birth.value, self.expiry_year.value, self.security_code.value
        if b is None or y is None or c is None:
            return None
        return pin_b(b, y, c)

    def __repr__(self) -> str:
        # Birth date and code are personal: keep them out of tracebacks and logs.
        return (
            f"CardFrontReading(birth={'read' if self.birth.value else 'unread'}, "
            f"expiry_year={'read' if self.expiry_year.value else 'unread'}, "
            f"security_code={'read' if self.security_code.value else 'unread'}, "
            f"card_found={self.card_found}, my_number_side_seen={self.my_number_side_seen})"
        )


class OcrTimeout(KnownError):
    """One OCR call took too long (a noisy frame); the reader treats it as nothing read."""


class TesseractOcr:
    """Runs the `tesseract` binary on an image and parses its TSV output into lines."""

    def __init__(
        self, binary: str = "tesseract", lang: str = "jpn", timeout_s: float = 10.0
    ) -> None:
        found = shutil.which(binary)
        if found is None:
            raise KnownError("ocr.unavailable", f"{binary} not found on PATH")
        self._binary = found
        self._lang = lang
        self._timeout_s = timeout_s

    def __call__(self, grey: np.ndarray, mode: OcrMode = "page") -> list[OcrLine]:
        """OCR a greyscale image. Raises KnownError if tesseract fails or hangs."""
        ok, png = cv2.imencode(".png", grey)
        if not ok:
            raise KnownError("ocr.failed", "could not encode the frame")
        if mode == "digits":
            args = ["-l", "eng", "--psm", "7", "-c", "tessedit_char_whitelist=0123456789"]
        elif mode == "line":
            args = ["-l", self._lang, "--psm", "7"]
        else:
            args = ["-l", self._lang, "--psm", "11"]
        # One thread: the kiosk shares a small CPU with the camera and the UI.
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            done = subprocess.run(
                [self._binary, "stdin", "stdout", *args, "tsv"],
                input=png.tobytes(),
                capture_output=True,
                timeout=self._timeout_s,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise OcrTimeout("ocr.failed", "tesseract timed out") from exc
        if done.returncode != 0:
            # stderr names the missing language data; it carries no card text.
            raise KnownError("ocr.unavailable", done.stderr.decode(errors="replace")[-300:])
        return parse_tsv(done.stdout.decode("utf-8", errors="replace"))


def parse_tsv(tsv: str) -> list[OcrLine]:
    """Tesseract TSV → lines of words (confidence scaled to 0..1), in reading order."""
    lines: dict[tuple[int, int, int, int], list[OcrWord]] = {}
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        if not text:
            continue
        key = (int(cols[1]), int(cols[2]), int(cols[3]), int(cols[4]))
        word = OcrWord(
            text=text,
            confidence=max(0.0, float(cols[10])) / 100.0,
            left=int(cols[6]),
            top=int(cols[7]),
            width=int(cols[8]),
            height=int(cols[9]),
        )
        lines.setdefault(key, []).append(word)
    return [OcrLine(tuple(words)) for _, words in sorted(lines.items())]


@dataclass(frozen=True)
class _Candidate:
    value: object
    confidence: float


@dataclass
class _PassResult:
    birth: list[_Candidate] = field(default_factory=list)
    expiry: list[_Candidate] = field(default_factory=list)
    code: list[_Candidate] = field(default_factory=list)
    code_label_box: tuple[int, int, int, int] | None = None
    birth_line_box: tuple[int, int, int, int] | None = None
    expiry_line_box: tuple[int, int, int, int] | None = None
    my_number_seen: bool = False


class CardFrontReader:
    """Reads a `CardFrontReading` from an RGB uint8 camera frame.

    `min_confidence` (0..1) is the lowest tesseract confidence a field may have when only
    one pass found it; a field that two passes read differently is None regardless.
    """

    def __init__(self, ocr: OcrEngine | None = None, min_confidence: float = 0.6) -> None:
        self._ocr: OcrEngine = ocr if ocr is not None else TesseractOcr()
        self._min_confidence = min_confidence

    def read(self, frame: np.ndarray) -> CardFrontReading:
        """Read the card front in `frame` (H x W x 3 RGB uint8). Never raises for bad text."""
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError("frame must be an H x W x 3 RGB uint8 array")
        grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        card = find_card(grey)
        card_found = card is not None
        flat = card if card is not None else _upscale(grey)
        reading = self._read_flat(flat, card_found)
        if card_found and not reading.my_number_side_seen and _nothing(reading):
            # The card may lie upside down on the tray.
            reading = self._read_flat(cv2.rotate(flat, cv2.ROTATE_180), card_found)
        return reading

    def _read_flat(self, flat: np.ndarray, card_found: bool) -> CardFrontReading:
        flat = _remove_rules(_flatten_light(flat))
        denoised = cv2.fastNlMeansDenoising(flat, None, 7, 7, 21)
        passes = [_enhance(denoised)]
        binary = _binarize(denoised)
        if binary is not None:
            passes.append(binary)
        results: list[_PassResult] = []
        for image in passes:
            result = _extract(self._lines(image, "page"))
            if result.my_number_seen:
                return CardFrontReading(card_found=card_found, my_number_side_seen=True)
            results.append(result)

        code_votes = [c for r in results for c in r.code]
        label_box = next((r.code_label_box for r in results if r.code_label_box), None)
        if label_box is not None:
            crop = _code_crop(passes[0], label_box)
            if crop is not None:
                for line in self._lines(crop, "digits"):
                    text, _ = line.text_and_spans()
                    if _MY_NUMBER.search(text):
                        return CardFrontReading(card_found=card_found, my_number_side_seen=True)
                    digits = re.sub(r"\s", "", text)
                    if re.fullmatch(r"\d{4}", digits):
                        conf = min(w.confidence for w in line.words)
                        code_votes.append(_Candidate(digits, conf))

        birth_votes = [c for r in results for c in r.birth]
        expiry_votes = [c for r in results for c in r.expiry]
        birth = self._vote(birth_votes)
        expiry = self._vote(expiry_votes)
        # A field the page passes left unclear gets one more look, as a single line.
        for box_of, votes, is_birth in (
            (lambda r: r.birth_line_box, birth_votes, True),
            (lambda r: r.expiry_line_box, expiry_votes, False),
        ):
            if (birth if is_birth else expiry).value is not None:
                continue
            box = next((box_of(r) for r in results if box_of(r)), None)
            if box is None:
                continue
            again = _extract(self._lines(_line_crop(passes[0], box), "line"))
            if again.my_number_seen:
                return CardFrontReading(card_found=card_found, my_number_side_seen=True)
            votes.extend(again.birth if is_birth else again.expiry)
            if is_birth:
                birth = self._vote(votes)
            else:
                expiry = self._vote(votes)
        code = self._vote(code_votes)

        birth_value = birth.value if isinstance(birth.value, WarekiDate) else None
        expiry_value = expiry.value if isinstance(expiry.value, tuple) else None
        matches: bool | None = None
        if birth_value is not None and expiry_value is not None:
            matches = _birthday_matches(birth_value, expiry_value)
        return CardFrontReading(
            birth=FieldReading(birth_value, birth.confidence if birth_value else 0.0),
            expiry_year=FieldReading(
                expiry_value[0] if expiry_value else None,
                expiry.confidence if expiry_value else 0.0,
            ),
            security_code=FieldReading(
                code.value if isinstance(code.value, str) else None,
                code.confidence if isinstance(code.value, str) else 0.0,
            ),
            card_found=card_found,
            birthday_matches_expiry=matches,
        )

    def _lines(self, image: np.ndarray, mode: OcrMode) -> list[OcrLine]:
        try:
            return self._ocr(image, mode)
        except OcrTimeout:
            # A frame too noisy to read in time is no evidence; the other passes still count.
            event(log, "ocr.timeout", level=logging.WARNING, mode=mode)
            return []

    def _vote(self, candidates: Sequence[_Candidate]) -> _Candidate:
        """The value the passes agree on, or None when they disagree in earnest.

        Reads below NOISE_CONFIDENCE are ignored. A dissenting read blocks the majority
        unless the majority has two or more votes and every dissent is below
        `min_confidence`. A single read must reach `min_confidence`.
        """
        heard = [c for c in candidates if c.confidence >= NOISE_CONFIDENCE]
        if not heard:
            return _Candidate(None, 0.0)
        tally: dict[object, list[float]] = {}
        for c in heard:
            tally.setdefault(c.value, []).append(c.confidence)
        winner, confs = max(tally.items(), key=lambda kv: (len(kv[1]), max(kv[1])))
        dissent = [conf for value, cs in tally.items() if value != winner for conf in cs]
        if dissent:
            runner_up = max(len(cs) for value, cs in tally.items() if value != winner)
            if len(confs) < 2 or runner_up >= len(confs):
                return _Candidate(None, 0.0)
            if max(dissent) >= self._min_confidence:
                return _Candidate(None, 0.0)
        if len(confs) == 1 and confs[0] < self._min_confidence:
            return _Candidate(None, 0.0)
        return _Candidate(winner, max(confs))


def read_card_front(frame: np.ndarray) -> CardFrontReading:
    """Read `frame` with the default tesseract engine (see `CardFrontReader.read`)."""
    return CardFrontReader().read(frame)


def _nothing(reading: CardFrontReading) -> bool:
    return (
        reading.birth.value is None
        and reading.expiry_year.value is None
        and reading.security_code.value is None
    )


def _birthday_matches(birth: WarekiDate, expiry: tuple[int, int, int]) -> bool:
    _, month, day = expiry
    if (birth.month, birth.day) == (2, 29):
        return (month, day) in ((2, 28), (2, 29), (3, 1))
    return (birth.month, birth.day) == (month, day)


def _twelve_digits_across_lines(lines: Sequence[OcrLine]) -> bool:
    """Three or more digit groups side by side: a 4-4-4 number that OCR split into words."""
    groups = [
        w for ln in lines for w in ln.words
        if _DIGIT_GROUP.match(unicodedata.normalize("NFKC", w.text))
    ]  # fmt: skip
    for g in groups:
        middle = g.top + g.height / 2
        band = [h for h in groups if abs(h.top + h.height / 2 - middle) < 0.5 * g.height]
        if sum(len(h.text) for h in band) >= 12 and len(band) >= 3:
            return True
    return False


def _extract(lines: list[OcrLine]) -> _PassResult:
    """Fields from one OCR pass; flags a 12-digit number anywhere."""
    result = _PassResult()
    if _twelve_digits_across_lines(lines):
        result.my_number_seen = True
        return result
    for line in lines:
        text, spans = line.text_and_spans()
        if _MY_NUMBER.search(text):
            result.my_number_seen = True
            return result
        if result.birth_line_box is None and _BIRTH_LINE.search(text):
            result.birth_line_box = _box(line.words)
        if result.expiry_line_box is None and _EXPIRY_LINE.search(text):
            result.expiry_line_box = _box(line.words)
        for m in _BIRTH.finditer(text):
            year = 1 if m["year"] == "元" else int(m["year"])
            try:
                from_wareki(m["era"], year, int(m["month"]), int(m["day"]))
            except ValueError:
                continue  # a date that never existed was misread
            value = WarekiDate(Era(m["era"]), year, int(m["month"]), int(m["day"]))
            result.birth.append(_Candidate(value, line.confidence_of(m.start(), m.end())))
        for m in _EXPIRY.finditer(text):
            y, mo, d = int(m["year"]), int(m["month"]), int(m["day"])
            if y not in EXPIRY_YEARS:
                continue
            try:
                date(y, mo, d)
            except ValueError:
                continue
            result.expiry.append(_Candidate((y, mo, d), line.confidence_of(m.start(), m.end())))
        label = _CODE_LABEL.search(text)
        if label is not None:
            # The whole printed label: every word of the line up to the first digit.
            words = []
            for _, _, w in spans:
                if any(ch.isdigit() for ch in unicodedata.normalize("NFKC", w.text)):
                    break
                words.append(w)
            if words and result.code_label_box is None:
                x0 = min(w.left for w in words)
                y0 = min(w.top for w in words)
                x1 = max(w.left + w.width for w in words)
                y1 = max(w.top + w.height for w in words)
                result.code_label_box = (x0, y0, x1, y1)
            tail = text[label.end() :]
            offset = label.end()
            for m in _CODE.finditer(tail):
                conf = line.confidence_of(offset + m.start(), offset + m.end())
                result.code.append(_Candidate(m["code"], conf))
    return result


def _box(words: Sequence[OcrWord]) -> tuple[int, int, int, int]:
    return (
        min(w.left for w in words),
        min(w.top for w in words),
        max(w.left + w.width for w in words),
        max(w.top + w.height for w in words),
    )


def _line_crop(grey: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """One text line with a margin of half its height, on a white border."""
    x0, y0, x1, y1 = box
    pad = max(4, (y1 - y0) // 2)
    crop = grey[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad]
    return cv2.copyMakeBorder(crop, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=255)


def _code_crop(grey: np.ndarray, label: tuple[int, int, int, int]) -> np.ndarray | None:
    """The area right of the security-code label, where the boxed digits are printed."""
    _, y0, x1, y1 = label
    h = y1 - y0
    top, bottom = max(0, y0 - h), min(grey.shape[0], y1 + h)
    left, right = x1, min(grey.shape[1], x1 + 10 * h)
    if right - left < 2 * h or bottom - top < h:
        return None
    crop = grey[top:bottom, left:right]
    _, binary = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    # Remove the printed box so its edges are not read as 1s.
    lines_h = cv2.morphologyEx(
        255 - binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (h * 2, 1))
    )
    lines_v = cv2.morphologyEx(
        255 - binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, h * 2))
    )
    cleaned = cv2.bitwise_or(binary, cv2.bitwise_or(lines_h, lines_v))
    return cv2.copyMakeBorder(cleaned, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=255)


def find_card(grey: np.ndarray) -> np.ndarray | None:
    """The card flattened to WARP_W x WARP_H if a card-shaped quadrilateral is in view."""
    blurred = cv2.GaussianBlur(grey, (5, 5), 0)
    _, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    biggest = max(contours, key=cv2.contourArea)
    frame_area = grey.shape[0] * grey.shape[1]
    if cv2.contourArea(biggest) < 0.12 * frame_area or cv2.contourArea(biggest) > 0.98 * frame_area:
        return None
    hull = cv2.convexHull(biggest)
    corners = _four_corners(hull)
    tl, tr, br, bl = _order_corners(np.asarray(corners, dtype=np.float32))
    width = float(np.linalg.norm(tr - tl) + np.linalg.norm(br - bl)) / 2
    height = float(np.linalg.norm(bl - tl) + np.linalg.norm(br - tr)) / 2
    if height > width:
        # Portrait in the frame: turn so the long side is horizontal.
        tl, tr, br, bl = bl, tl, tr, br
        width, height = height, width
    aspect = width / max(height, 1.0)
    if not 0.75 * CARD_ASPECT <= aspect <= 1.25 * CARD_ASPECT:
        return None
    src = np.array([tl, tr, br, bl], dtype=np.float32)
    dst = np.array([[0, 0], [WARP_W, 0], [WARP_W, WARP_H], [0, WARP_H]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(grey, matrix, (WARP_W, WARP_H), flags=cv2.INTER_CUBIC)


def _four_corners(hull: np.ndarray) -> np.ndarray:
    """Corners of the card outline: the coarsest polygon with four vertices, else its box."""
    perimeter = cv2.arcLength(hull, True)
    for fraction in (0.01, 0.02, 0.03, 0.04, 0.06, 0.08):
        approx = cv2.approxPolyDP(hull, fraction * perimeter, True)
        if len(approx) == 4:
            return np.asarray(approx.reshape(-1, 2), dtype=np.float32)
    return np.asarray(cv2.boxPoints(cv2.minAreaRect(hull)), dtype=np.float32)


def _order_corners(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    s = pts.sum(axis=1)
    d = np.diff(pts, axis=1).ravel()
    return pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]


def _upscale(grey: np.ndarray) -> np.ndarray:
    scale = max(1.0, WARP_W / grey.shape[1])
    return cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def _enhance(denoised: np.ndarray) -> np.ndarray:
    clahe = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8))
    return clahe.apply(denoised)


def _binarize(denoised: np.ndarray) -> np.ndarray | None:
    """Black ink on white without noise specks, or None if noise still covers the card."""
    binary = cv2.adaptiveThreshold(
        denoised, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 41, 15
    )
    count, labels, stats, _ = cv2.connectedComponentsWithStats(255 - binary, connectivity=8)
    specks = np.flatnonzero(stats[1:, cv2.CC_STAT_AREA] < SPECK_AREA) + 1
    if count > 1 and specks.size:
        binary[np.isin(labels, specks)] = 255
    # Printed text inks well under a fifth of a card; more is noise tesseract would crawl on.
    if np.count_nonzero(binary == 0) > MAX_INK * binary.size:
        return None
    return binary


def _remove_rules(grey: np.ndarray) -> np.ndarray:
    """Paint printed box edges and rules white: tesseract drops text that touches them."""
    ink = cv2.adaptiveThreshold(
        grey, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 31, 10
    )
    # Longer than any stroke of a character, shorter than a box edge.
    across = max(40, grey.shape[1] // 12)
    down = max(30, grey.shape[0] // 12)
    horizontal = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (across, 1))
    )
    vertical = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, down))
    )
    rules = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((3, 3), np.uint8))
    cleaned = grey.copy()
    cleaned[rules > 0] = 255
    return cleaned


def _flatten_light(grey: np.ndarray) -> np.ndarray:
    """Divide by the paper's own brightness: uneven light and tint become plain white."""
    paper = cv2.medianBlur(cv2.dilate(grey, np.ones((15, 15), np.uint8)), 21)
    return cv2.divide(grey, paper, scale=255)
