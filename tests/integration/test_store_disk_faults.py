"""Real disk faults: a tiny tmpfs fills up (`store.full`), a mount turns read-only.

Needs to mount a tmpfs (root, as in the project's CI container and on the kiosk image's
test run); the size cap test in tests/unit/store/test_database.py covers the same path
through SQLite's page limit everywhere else.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store import (
    FolderSink,
    StorageFull,
    StorageReadOnly,
    Submission,
)
from tests.helpers.store import FakeClock, open_store, submission


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "small"
    if not _mount_tmpfs(where, "768k"):
        pytest.skip("cannot mount a tmpfs here (needs root); the page-cap test covers this path")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def test_full_disk_raises_storage_full_and_leaves_nothing_half_written(small_disk: Path) -> None:
    data = small_disk / "data"
    stored: list[str] = []
    failed_key = ""
    with open_store(data, FakeClock()) as store:
        for i in range(100):
            sub = submission(i, attachments=[os.urandom(60_000)])
            try:
                stored.append(store.submit(sub).reference)
            except StorageFull as e:
                assert e.message_id == "store.full"
                failed_key = sub.idempotency_key
                break
        assert failed_key, "the tmpfs never filled"
        assert len(stored) >= 2
        # The store still answers: reads work, and the failed request is not there.
        assert store.references() == stored
        assert [store.read(r)["reference"] for r in stored] == stored
    con = sqlite3.connect(data / "kiosk.db")
    keys = {r[0] for r in con.execute("SELECT idempotency_key FROM submissions")}
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    assert failed_key not in keys and len(keys) == len(stored)


def test_folder_sink_on_a_full_disk_keeps_the_document_pending(
    small_disk: Path, tmp_path: Path
) -> None:
    filler = small_disk / "filler"
    with open_store(tmp_path / "data", FakeClock()) as store:
        store.submit(Submission("risai", 1, {"n": 1}, [os.urandom(200_000)]))
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:  # fill the drop folder's disk
            while os.write(fd, os.urandom(65536)):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        report = store.sync(FolderSink(small_disk / "drop", allow_plaintext=True))
        assert (report.delivered, report.retry_later) == (0, 1)
        assert report.errors[0].startswith("folder sink: store.full")
        assert list((small_disk / "drop").glob("*")) == []  # no partial file left
        filler.unlink()
        sink = FolderSink(small_disk / "drop", allow_plaintext=True)
        assert store.sync(sink, force=True).delivered == 1


def _remount_read_only(where: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)


def test_opening_on_a_read_only_disk_is_a_known_error(small_disk: Path) -> None:
    open_store(small_disk / "data", FakeClock()).close()
    _remount_read_only(small_disk)
    with pytest.raises(StorageReadOnly) as e:
        open_store(small_disk / "data", FakeClock())
    assert e.value.message_id == "store.read_only"
