"""packaging/fetch_faces.py: extracts only the pinned files, checks their hashes, links the
people/ folders, and a second run touches nothing (and needs no network)."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import REPO


def load_script(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("fetch_faces", REPO / "packaging/fetch_faces.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "fetch_faces", module)  # dataclasses look it up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The script pointed at a temp folder, with small stand-in archives in its cache."""
    ff = load_script(monkeypatch)
    cache = tmp_path / "cache"
    cache.mkdir()
    sdist = cache / "face_recognition-1.3.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as t:
        for name, data in (
            ("a.jpg", b"\xff\xd8\xff\xe0 photo a"),
            ("b.jpg", b"\xff\xd8\xff\xe0 b"),
        ):
            info = tarfile.TarInfo(ff.SDIST_PREFIX + name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    with zipfile.ZipFile(cache / "scikit_image-0.26.0-cp311.whl", "w") as z:
        z.writestr("skimage/data/astronaut.png", b"\x89PNG\r\n\x1a\n astronaut")

    def sha(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    files = (
        ff.FaceFile("a.jpg", "anna", "face_recognition", ff.SDIST_PREFIX + "a.jpg",
                    sha(b"\xff\xd8\xff\xe0 photo a")),
        ff.FaceFile("b.jpg", "", "face_recognition", ff.SDIST_PREFIX + "b.jpg",
                    sha(b"\xff\xd8\xff\xe0 b")),
        ff.FaceFile("astronaut.png", "collins", "scikit-image", "skimage/data/astronaut.png",
                    sha(b"\x89PNG\r\n\x1a\n astronaut")),
    )  # fmt: skip
    monkeypatch.setattr(ff, "FILES", files)
    monkeypatch.setattr(ff, "FACES", tmp_path / "faces")
    monkeypatch.setattr(ff, "CACHE", cache)
    monkeypatch.setattr(ff, "REPO", tmp_path)
    return ff


def test_first_run_extracts_and_links_people(fetch: ModuleType, tmp_path: Path) -> None:
    assert fetch.main() == 0
    faces = tmp_path / "faces"
    assert (faces / "a.jpg").read_bytes() == b"\xff\xd8\xff\xe0 photo a"
    assert (faces / "people" / "anna" / "a.jpg").read_bytes() == b"\xff\xd8\xff\xe0 photo a"
    assert (faces / "people" / "collins" / "astronaut.png").is_symlink()
    assert not (faces / "people" / "b.jpg").exists()  # no person: not in the evaluation set


def test_second_run_reads_no_archive(
    fetch: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch.main()

    def no_download(package: str) -> Path:
        raise AssertionError(f"{package} fetched again")

    monkeypatch.setattr(fetch, "archive_for", no_download)
    assert fetch.main() == 0


def test_a_changed_file_is_replaced_and_a_changed_upstream_fails(
    fetch: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fetch.main()
    (tmp_path / "faces" / "a.jpg").write_bytes(b"edited")
    fetch.main()
    assert (tmp_path / "faces" / "a.jpg").read_bytes() == b"\xff\xd8\xff\xe0 photo a"
    bad = fetch.FaceFile(
        "a.jpg", "anna", "face_recognition", fetch.SDIST_PREFIX + "a.jpg", "0" * 64
    )
    monkeypatch.setattr(fetch, "FILES", (bad,))
    (tmp_path / "faces" / "a.jpg").unlink()
    with pytest.raises(SystemExit, match="SHA-256"):
        fetch.main()
