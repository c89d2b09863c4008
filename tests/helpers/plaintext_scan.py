"""Scan files for plaintext that must never rest on disk (names, addresses, PINs, photos).

`scan(paths, needles)` reads every file under the given files/dirs (a database, its -wal and
-shm, logs, temp dirs) and reports each needle found in UTF-8, UTF-16 (LE/BE) or, for bytes
needles, as raw bytes. The lead's end-to-end test runs it after a full demo session.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Finding:
    path: Path
    needle: str  # repr of the needle, never printed in full by the caller's assertion
    encoding: str
    offset: int


def encodings(needle: str | bytes) -> Iterator[tuple[str, bytes]]:
    """The byte forms a needle can take on disk."""
    if isinstance(needle, bytes):
        yield "bytes", needle
        return
    yield "utf-8", needle.encode("utf-8")
    yield "utf-16-le", needle.encode("utf-16-le")
    yield "utf-16-be", needle.encode("utf-16-be")


def files_under(paths: Iterable[Path]) -> Iterator[Path]:
    """Every regular file in `paths` (recursing into directories); the DB's -wal/-shm too."""
    seen: set[Path] = set()
    for p in paths:
        candidates = [p, p.with_name(p.name + "-wal"), p.with_name(p.name + "-shm")]
        for c in candidates:
            if c.is_dir():
                for f in sorted(c.rglob("*")):
                    if f.is_file() and f not in seen:
                        seen.add(f)
                        yield f
            elif c.is_file() and c not in seen:
                seen.add(c)
                yield c


def scan(paths: Iterable[Path], needles: Iterable[str | bytes]) -> list[Finding]:
    """Every place a needle occurs. Needles shorter than 4 bytes are refused (false hits)."""
    forms: list[tuple[str, str, bytes]] = []
    for n in needles:
        for enc, b in encodings(n):
            if len(b) < 4:
                raise ValueError("needle too short to scan for meaningfully")
            forms.append((repr(n)[:12], enc, b))
    found: list[Finding] = []
    for f in files_under(paths):
        try:
            data = f.read_bytes()
        except OSError:
            continue
        for label, enc, b in forms:
            at = data.find(b)
            if at >= 0:
                found.append(Finding(f, label, enc, at))
    return found


def scanned_files(paths: Iterable[Path]) -> list[Path]:
    """What `scan` would read: lets a test assert the DB and WAL were really there."""
    return list(files_under(paths))
