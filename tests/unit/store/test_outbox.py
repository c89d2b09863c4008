"""The outbox: offline accumulation, retries with backoff, delivered once."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from kiosk.cli import main
from kiosk.store import DeliveryFailed, FolderSink, verify_envelope
from kiosk.store.outbox import backoff, open_sealed_drop
from tests.helpers.plaintext_scan import scan
from tests.helpers.store import RESIDENT, FakeClock, open_store, submission


class FlakySink:
    """A back office that is down for the first `down` calls, then accepts and dedupes."""

    kind = "https"

    def __init__(self, down: int = 0, permanent: bool = False) -> None:
        self.down = down
        self.permanent = permanent
        self.calls = 0
        self.accepted: dict[str, bytes] = {}

    def deliver(self, document: bytes, idempotency_key: str, reference: str) -> None:
        self.calls += 1
        if self.permanent:
            raise DeliveryFailed("https sink: HTTP 422", retryable=False)
        if self.calls <= self.down:
            raise DeliveryFailed("https sink: ConnectionRefusedError")
        self.accepted.setdefault(idempotency_key, document)


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n, 30, 300).total_seconds() for n in range(1, 7)] == [
        30, 60, 120, 240, 300, 300,
    ]  # fmt: skip


def test_offline_kiosk_accumulates_then_syncs_everything_once(tmp_path: Path) -> None:
    clock = FakeClock()
    sink = FlakySink(down=10**6)
    with open_store(tmp_path, clock) as store:
        refs = [store.submit(submission(i)).reference for i in range(5)]
        for _ in range(3):  # a day without network
            report = store.sync(sink)
            clock.advance(hours=8)
        assert report.delivered == 0 and report.remaining == 5
        assert store.outbox_status().pending == 5
        sink.down = 0  # the network is back
        report = store.sync(sink, force=True)
        assert (report.delivered, report.remaining) == (5, 0)
        assert store.sync(sink, force=True).delivered == 0  # nothing sent twice
        assert store.outbox_status().delivered == 5
    assert len(sink.accepted) == 5
    docs = [json.loads(d) for d in sink.accepted.values()]
    assert sorted(d["reference"] for d in docs) == sorted(refs)
    assert all(verify_envelope(d) for d in docs)


def test_failed_delivery_waits_for_its_backoff(tmp_path: Path) -> None:
    clock = FakeClock()
    sink = FlakySink(down=2)
    with open_store(tmp_path, clock, sink={"retry_base_s": 30, "retry_max_s": 600}) as store:
        store.submit(submission(1))
        assert store.sync(sink).retry_later == 1
        item = store.outbox_status().items[0]
        assert item.attempts == 1 and item.last_error == "https sink: ConnectionRefusedError"
        assert store.sync(sink).retry_later == 0 and sink.calls == 1  # not due yet
        clock.advance(seconds=30)
        assert store.sync(sink).retry_later == 1 and sink.calls == 2
        clock.advance(seconds=59)
        assert store.sync(sink).delivered == 0 and sink.calls == 2  # second wait is 60 s
        clock.advance(seconds=1)
        assert store.sync(sink).delivered == 1 and sink.calls == 3


def test_refused_document_is_held_for_staff(tmp_path: Path) -> None:
    sink = FlakySink(permanent=True)
    with open_store(tmp_path, FakeClock()) as store:
        store.submit(submission(1))
        report = store.sync(sink)
        assert (report.held, report.remaining) == (1, 1)
        assert store.sync(sink, force=True).held == 0  # held ones wait for --retry-held
        sink.permanent = False
        assert store.sync(sink, retry_held=True).delivered == 1


def test_folder_sink_writes_whole_files_and_is_idempotent(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    sink = FolderSink(drop, allow_plaintext=True)
    with open_store(tmp_path / "data", FakeClock()) as store:
        r = store.submit(submission(1))
        document = store.document(r.reference)
        # The kiosk crashed after delivering but before marking: it delivers again.
        sink.deliver(document, r.idempotency_key, r.reference)
        assert store.sync(sink).delivered == 1
    files = sorted(p.name for p in drop.iterdir())
    # One file, no leftovers of the temp name; beside it the signed audit head of the round.
    assert files == sorted([f"{r.idempotency_key}.json", "audit-head.json"])
    assert (drop / f"{r.idempotency_key}.json").read_bytes() == document


def test_folder_sink_on_a_full_disk_is_retryable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(DeliveryFailed) as e:
        FolderSink(blocker / "drop", allow_plaintext=True).deliver(b"{}", "key-00000001", "REF")
    assert e.value.retryable


def test_cli_status_and_sync(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    office = X25519PrivateKey.generate()
    key_file = tmp_path / "office.pem"
    key_file.write_bytes(
        office.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[sink]\nrecipient_public_key = "{key_file}"\n', encoding="utf-8")
    with open_store(tmp_path) as store:
        store.submit(submission(1))
        store.submit(submission(2))
    base = ["--data-dir", str(tmp_path), "--config", str(config)]
    assert main([*base, "outbox", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["pending"], status["delivered"], len(status["items"])) == (2, 0, 2)
    assert main([*base, "outbox", "sync", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["delivered"], report["remaining"], report["sink"]) == (2, 0, "folder")
    drops = {p.name for p in (tmp_path / "outbox").glob("*.json")} - {"audit-head.json"}
    assert len(drops) == 2
    assert main([*base, "outbox", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["delivered"] == 2


def test_delivery_is_recorded_in_the_audit_log(tmp_path: Path) -> None:
    clock = FakeClock()
    with open_store(tmp_path, clock) as store:
        r = store.submit(submission(1))
        clock.advance(minutes=1)
        store.sync(FlakySink())
        events = [(e.event, e.fields.get("reference"), e.role) for e in store.audit_entries()]
    assert events == [
        ("submission.created", r.reference, "system"),  # every stored row is in the chain
        ("submission.delivered", r.reference, "system"),
    ]


def test_one_unreadable_record_is_held_and_the_rest_still_go(tmp_path: Path) -> None:
    sink = FlakySink()
    with open_store(tmp_path, FakeClock()) as store:
        bad = store.submit(submission(1)).reference
        good = store.submit(submission(2)).reference
    con = sqlite3.connect(tmp_path / "kiosk.db")
    con.execute("UPDATE submissions SET document = zeroblob(64) WHERE reference = ?", [bad])
    con.commit()
    con.close()
    with open_store(tmp_path, FakeClock()) as store:
        report = store.sync(sink)
        assert (report.delivered, report.held) == (1, 1)
        held = store.outbox_status().items
    assert [(i.reference, i.status, i.last_error) for i in held] == [
        (bad, "held", "store.record_unreadable")
    ]
    assert [json.loads(d)["reference"] for d in sink.accepted.values()] == [good]


class SlowSink:
    """A slow network: each delivery takes a while, on the sync thread."""

    kind = "folder"

    def __init__(self) -> None:
        self.delivered: list[str] = []

    def deliver(self, document: bytes, idempotency_key: str, reference: str) -> None:
        time.sleep(0.01)
        self.delivered.append(idempotency_key)


def test_sync_on_a_worker_thread_while_submissions_continue(tmp_path: Path) -> None:
    sink = SlowSink()
    with open_store(tmp_path) as store:
        for i in range(20):
            store.submit(submission(i))
        worker = threading.Thread(target=store.sync, args=(sink,))
        worker.start()
        later = [store.submit(submission(100 + i)).reference for i in range(10)]
        worker.join(30)
        assert not worker.is_alive()
        store.sync(sink)
        assert store.outbox_status().delivered == 30
        assert set(later) <= set(store.references())
    assert sorted(sink.delivered) == sorted(set(sink.delivered)) and len(sink.delivered) == 30


def test_folder_drop_sealed_to_the_back_office_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    office_key = X25519PrivateKey.generate()
    pem = tmp_path / "office.pub.pem"
    pem.write_bytes(
        office_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    conf = tmp_path / "kiosk.toml"
    drop = tmp_path / "usb-stick"
    conf.write_text(f'[sink]\nfolder = "{drop}"\nrecipient_public_key = "{pem}"\n')
    with open_store(tmp_path / "data") as store:
        r = store.submit(submission(1))
    argv = ["--config", str(conf), "--data-dir", str(tmp_path / "data"), "outbox", "sync", "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["delivered"] == 1
    sealed = (drop / f"{r.idempotency_key}.json").read_bytes()
    assert scan([drop], list(RESIDENT.values())) == []  # a lost USB stick shows nothing
    doc = json.loads(open_sealed_drop(office_key, sealed))
    assert doc["payload"]["name"] == RESIDENT["name"] and verify_envelope(doc)
    with pytest.raises(InvalidTag):
        open_sealed_drop(X25519PrivateKey.generate(), sealed)
