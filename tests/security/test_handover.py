"""No plaintext hand-over by default: sealed drops only, private modes, no leftovers."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import replace
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.config import Settings, SinkSettings
from kiosk.paths import DataDir
from kiosk.store import Store
from kiosk.store.outbox import (
    AUDIT_HEAD_FILE,
    FolderSink,
    open_sealed_drop,
    sink_from_settings,
)
from tests.helpers.plaintext_scan import scan
from tests.helpers.store import RESIDENT, FakeClock, open_store, submission


def _office(tmp_path: Path) -> tuple[X25519PrivateKey, Path]:
    key = X25519PrivateKey.generate()
    pem = tmp_path / "office.pem"
    pem.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))  # fmt: skip
    return key, pem


def test_the_default_folder_sink_hands_over_nothing_in_the_clear(tmp_path: Path) -> None:
    data = DataDir(tmp_path / "data")
    with open_store(data.root, FakeClock()) as store:
        store.submit(submission(1))
        sink = sink_from_settings(Settings().sink, data)
        report = store.sync(sink)
        assert (report.delivered, report.remaining) == (0, 1)  # kept, encrypted, in the outbox
        assert "plaintext hand-over is off" in report.errors[0]
    # Only the signed audit head (sequence, hash, signature: no personal data) is written.
    assert [f.name for f in data.outbox_dir.glob("*.json")] == [AUDIT_HEAD_FILE]
    assert scan([data.root], list(RESIDENT.values())) == []


def test_sealed_drops_are_private_and_open_only_for_the_office(tmp_path: Path) -> None:
    office, pem = _office(tmp_path)
    data = DataDir(tmp_path / "data")
    drop = tmp_path / "drop"
    drop.mkdir(mode=0o755)
    drop.chmod(0o755)  # a folder someone made by hand, readable by all
    with open_store(data.root, FakeClock()) as store:
        r = store.submit(submission(2))
        settings = SinkSettings(folder=str(drop), recipient_public_key=str(pem))
        assert store.sync(sink_from_settings(settings, data)).delivered == 1
    files = sorted(drop.iterdir(), key=lambda f: f.name != f"{r.idempotency_key}.json")
    assert [f.name for f in files] == [f"{r.idempotency_key}.json", AUDIT_HEAD_FILE]
    assert stat.S_IMODE(files[1].stat().st_mode) == 0o600
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(drop.stat().st_mode) == 0o700
    assert scan([drop], list(RESIDENT.values())) == []
    assert RESIDENT["name"].encode() in open_sealed_drop(office, files[0].read_bytes())


def test_part_files_a_crash_left_go_at_start_and_at_purge(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    leftover = drop / ".key-00000001.json.4242.part"
    leftover.write_bytes(RESIDENT["name"].encode())  # kill -9 mid-write of a plaintext drop
    FolderSink(drop)  # the kiosk starts
    assert not leftover.exists()
    leftover.write_bytes(RESIDENT["name"].encode())
    s = replace(Settings(), sink=SinkSettings(folder=str(drop)))
    with Store.open(DataDir(tmp_path / "data"), s) as store:
        assert store.purge().drop_files == 1
    assert not leftover.exists()


def test_purge_removes_drops_past_retention(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    old, new = drop / "key-00000001.json", drop / "key-00000002.json"
    old.write_text("{}")
    new.write_text("{}")
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    s = replace(Settings(), sink=SinkSettings(folder=str(drop)))
    with Store.open(DataDir(tmp_path / "data"), s) as store:
        assert store.purge().drop_files == 1
    assert not old.exists() and new.exists()


_WRITER = """
import sys
from pathlib import Path
from kiosk.store.outbox import FolderSink
sink = FolderSink(Path(sys.argv[1]), allow_plaintext=True)
document = b'{"name": "' + "山田 花子".encode() * 4_000_000 + b'"}'
i = 0
while True:
    sink.deliver(document, f"key-{i:08d}", "REF")
    i += 1
"""


def test_a_kill_during_a_drop_leaves_a_part_file_that_the_next_start_removes(
    tmp_path: Path,
) -> None:
    import signal
    import subprocess
    import sys

    drop = tmp_path / "drop"
    drop.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(drop)], env=env)
        try:
            while not list(drop.glob(".*.part")):  # mid-write: the moment the red team hit
                assert proc.poll() is None
                time.sleep(0.01)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert len(list(drop.glob(".*.part"))) >= 1
        FolderSink(drop)  # the kiosk starts again
        assert list(drop.glob(".*.part")) == []
