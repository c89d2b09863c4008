"""Scan directory trees for anything of a face left behind: image files or face encodings.

`scan(paths)` reads every file under the given files/directories and reports:
- image signatures anywhere in a file (not only at its start, so an image inside a database,
  a log line or a zip counts): JPEG (FF D8 FF + a JFIF/Exif/quantisation/frame marker), PNG
  (89 50 4E 47 0D 0A 1A 0A), JP2 (00 00 00 0C 6A 50 20 20), raw JPEG 2000 codestream
  (FF 4F FF 51);
- binary float arrays the size of a face encoding: 128 consecutive float64 or float32 values
  (little-endian, any byte offset) that look like a dlib encoding (finite, |v| <= 1, not
  zero, many distinct values, L2 norm 0.3-3);
- the same as text: 128 or more numbers in a row (a list printed to a log or JSON).

Used by the face tests and by the lead's and store helper's end-to-end "nothing left
behind" tests. Findings carry a path, an offset and a kind, never the bytes themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ENCODING_SIZE = 128

IMAGE_SIGNATURES: dict[str, bytes] = {
    "png": bytes.fromhex("89504E470D0A1A0A"),
    "jp2": bytes.fromhex("0000000C6A502020"),
    "j2k": bytes.fromhex("FF4FFF51"),
    "jpeg": bytes.fromhex("FFD8FF"),
}
# What follows FF D8 FF in real JPEGs: APP0 (JFIF), APP1 (Exif), APP14, DQT, SOF0, DHT, COM.
_JPEG_NEXT = {0xE0, 0xE1, 0xEE, 0xDB, 0xC0, 0xC4, 0xFE}
_TEXT_NUMBERS = re.compile(
    rb"(?:[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?[\s,;]+){%d,}" % (ENCODING_SIZE - 1)
)


@dataclass(frozen=True)
class Residue:
    path: Path
    offset: int
    kind: str  # "jpeg", "png", "jp2", "j2k", "float64[128]", "float32[128]", "text[128]"


def files_under(paths: Iterable[Path]) -> Iterator[Path]:
    """Every regular file under `paths` (files are taken as they are; symlinks not followed)."""
    seen: set[Path] = set()
    for p in paths:
        found = [p] if p.is_file() else sorted(p.rglob("*")) if p.is_dir() else []
        for f in found:
            if f.is_file() and not f.is_symlink() and f not in seen:
                seen.add(f)
                yield f


def scan(paths: Iterable[Path], images: bool = True, encodings: bool = True) -> list[Residue]:
    """All residues in the files under `paths`; an empty list means nothing was found."""
    found: list[Residue] = []
    for f in files_under(paths):
        try:
            data = f.read_bytes()
        except OSError:
            continue  # vanished while scanning (a temp file): nothing left behind there
        found += [Residue(f, off, kind) for off, kind in scan_bytes(data, images, encodings)]
    return found


def scan_bytes(data: bytes, images: bool = True, encodings: bool = True) -> list[tuple[int, str]]:
    """(offset, kind) of every residue in `data`."""
    hits: list[tuple[int, str]] = []
    if images:
        hits += image_signatures(data)
    if encodings:
        hits += float_arrays(data) + text_arrays(data)
    return sorted(hits)


def image_signatures(data: bytes) -> list[tuple[int, str]]:
    hits = []
    for kind, sig in IMAGE_SIGNATURES.items():
        start = 0
        while (i := data.find(sig, start)) != -1:
            start = i + 1
            if kind == "jpeg" and (i + 3 >= len(data) or data[i + 3] not in _JPEG_NEXT):
                continue
            hits.append((i, kind))
    return hits


def float_arrays(data: bytes) -> list[tuple[int, str]]:
    """Runs of 128 encoding-like floats, at every byte alignment."""
    hits: list[tuple[int, str]] = []
    for dtype, width in (("<f8", 8), ("<f4", 4)):
        if len(data) < ENCODING_SIZE * width:
            continue
        for align in range(width):
            usable = (len(data) - align) // width * width
            values = np.frombuffer(data, dtype=dtype, count=usable // width, offset=align)
            with np.errstate(invalid="ignore", over="ignore"):
                mag = np.abs(values.astype(np.float64))
            plausible = np.isfinite(mag) & (mag <= 1.0) & (mag >= 1e-7)
            for start in _runs(plausible, ENCODING_SIZE):
                window = values[start : start + ENCODING_SIZE].astype(np.float64)
                norm = float(np.linalg.norm(window))
                if 0.3 <= norm <= 3.0 and len(np.unique(window)) >= ENCODING_SIZE // 2:
                    hits.append((align + start * width, f"float{width * 8}[{ENCODING_SIZE}]"))
    return hits


def text_arrays(data: bytes) -> list[tuple[int, str]]:
    return [(m.start(), f"text[{ENCODING_SIZE}]") for m in _TEXT_NUMBERS.finditer(data)]


def _runs(mask: np.ndarray, length: int) -> list[int]:
    """Start indices of non-overlapping windows of `length` True values in a row."""
    if mask.size < length:
        return []
    counts = np.convolve(mask.astype(np.int32), np.ones(length, np.int32), mode="valid")
    starts: list[int] = []
    next_free = 0
    for i in np.flatnonzero(counts == length):
        if i >= next_free:
            starts.append(int(i))
            next_free = int(i) + length
    return starts
