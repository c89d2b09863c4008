"""Materialise the licensed face images the demo and the face tests use into assets/faces/.

Run by `make` at setup (never at kiosk run time). It asks the Python package registry for two
packages through pip, without installing them, and extracts only the labelled photos:

- face_recognition 1.3.0 source distribution (MIT): tests/test_images/*
- scikit-image 0.26.0 wheel (BSD-3-Clause; the photo itself is a NASA public-domain image):
  skimage/data/astronaut.png

Every file is checked against a pinned SHA-256, so a changed upstream file fails loudly instead
of silently changing the calibration. A second run with every file in place does nothing and
needs no network. `assets/faces/people/<person>/` holds relative symlinks, one folder per
person, the layout `kiosk face evaluate` reads. See assets/faces/SOURCES.md.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FACES = REPO / "assets" / "faces"
CACHE = REPO / "build" / "faces-cache"


@dataclass(frozen=True)
class FaceFile:
    name: str  # file name under assets/faces/
    person: str  # folder under assets/faces/people/
    package: str  # "face_recognition" or "scikit-image"
    member: str  # path inside the archive
    sha256: str


SDIST_PREFIX = "face_recognition-1.3.0/tests/test_images/"
FILES: tuple[FaceFile, ...] = (
    FaceFile("obama.jpg", "obama", "face_recognition", SDIST_PREFIX + "obama.jpg",
             "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6"),
    FaceFile("obama2.jpg", "obama", "face_recognition", SDIST_PREFIX + "obama2.jpg",
             "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6"),
    FaceFile("obama3.jpg", "obama", "face_recognition", SDIST_PREFIX + "obama3.jpg",
             "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3"),
    FaceFile("obama_partial_face.jpg", "obama", "face_recognition",
             SDIST_PREFIX + "obama_partial_face.jpg",
             "c2d1f09e7ef3042352b41e41286e6eb0522f64f88308be13886991b95db52117"),
    FaceFile("obama_partial_face2.jpg", "obama", "face_recognition",
             SDIST_PREFIX + "obama_partial_face2.jpg",
             "9a812347f97633542b8cd9992de22def11b74f79d82056bc3ee830f13878e028"),
    # The same photo as obama2.jpg, saved as a 32-bit RGBA PNG: kept out of people/ so it
    # does not inflate the genuine pairs with a near-copy.
    FaceFile("32bit.png", "", "face_recognition", SDIST_PREFIX + "32bit.png",
             "44dca895a7d635a4aedddd91a4f37af9a8a5b44e66154282a24645a757b5f627"),
    FaceFile("biden.jpg", "biden", "face_recognition", SDIST_PREFIX + "biden.jpg",
             "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c"),
    FaceFile("astronaut.png", "collins", "scikit-image", "skimage/data/astronaut.png",
             "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"),
)  # fmt: skip

PIP_ARGS = {
    "face_recognition": ["face_recognition==1.3.0", "--no-binary", "face_recognition"],
    "scikit-image": ["scikit-image==0.26.0", "--only-binary", ":all:"],
}
ARCHIVE_PREFIX = {"face_recognition": "face_recognition-1.3.0", "scikit-image": "scikit_image-"}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def in_place(f: FaceFile) -> bool:
    p = FACES / f.name
    return p.is_file() and sha256(p.read_bytes()) == f.sha256


def archive_for(package: str) -> Path:
    """The package's archive in the cache, fetched through pip from the registry if missing."""
    CACHE.mkdir(parents=True, exist_ok=True)
    found = sorted(CACHE.glob(ARCHIVE_PREFIX[package] + "*"))
    if found:
        return found[0]
    print(f"fetch_faces: downloading {package} (no install) ...", file=sys.stderr)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(CACHE)]
    subprocess.run(cmd + PIP_ARGS[package], check=True)
    found = sorted(CACHE.glob(ARCHIVE_PREFIX[package] + "*"))
    if not found:
        raise SystemExit(f"fetch_faces: pip did not leave a {package} archive in {CACHE}")
    return found[0]


def read_member(archive: Path, member: str) -> bytes:
    if archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    with tarfile.open(archive) as t:
        fh = t.extractfile(member)
        if fh is None:
            raise SystemExit(f"fetch_faces: {member} is not a file in {archive.name}")
        return fh.read()


def write_atomically(path: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
        tmp.write(data)
    os.chmod(tmp.name, 0o644)  # a temp file is private by default; these are public assets
    os.replace(tmp.name, path)


def link_people() -> None:
    for f in FILES:
        if not f.person:
            continue
        folder = FACES / "people" / f.person
        folder.mkdir(parents=True, exist_ok=True)
        link = folder / f.name
        target = Path("..") / ".." / f.name
        if link.is_symlink() and Path(os.readlink(link)) == target:
            continue
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to(target)


def main() -> int:
    FACES.mkdir(parents=True, exist_ok=True)
    missing = [f for f in FILES if not in_place(f)]
    for f in missing:
        data = read_member(archive_for(f.package), f.member)
        if sha256(data) != f.sha256:
            raise SystemExit(
                f"fetch_faces: {f.member} has SHA-256 {sha256(data)}, expected {f.sha256}; "
                "the upstream file changed, re-check its licence and the calibration"
            )
        write_atomically(FACES / f.name, data)
    link_people()
    print(
        f"fetch_faces: {len(FILES)} face images in {FACES.relative_to(REPO)} ({len(missing)} new)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
