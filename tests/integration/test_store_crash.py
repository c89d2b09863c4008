"""Crash safety: SIGKILL the store while it writes, restart, and check nothing is lost.

Each kill: a writer process (forked from a warm zygote, see tests/helpers/store_crash.py)
opens the store and submits; it is SIGKILLed after a random 0-50 ms, or (every other time)
0-10 ms after its first acknowledgement, so kills land both while opening and mid-write.
The next writer starts a few indexes before the last acknowledged one, so it also
re-submits keys that are stored
(acknowledged or not) and must get the same reference back. Checks: every acknowledged
submission is there with its reference, no key twice, `PRAGMA integrity_check` is ok, every
row decrypts and its signature verifies, and each submission has exactly one audit entry.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.paths import DataDir
from kiosk.store import Store
from tests.helpers.plaintext_scan import scan
from tests.helpers.store_crash import PAYLOAD_NAME

REPO = Path(__file__).resolve().parents[2]


class Zygote:
    """The warm parent that forks writers (one at a time) for the test to kill."""

    def __init__(self, log: Path) -> None:
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.store_crash", "zygote"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )

    def _line(self) -> list[str]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"zygote died: {self.log.name}"
        return line.split()

    def start(self, data: Path, ack: Path, first: int, mode: str) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"run {data} {ack} {first} {mode}\n")
        self.proc.stdin.flush()
        word, pid = self._line()
        assert word == "pid"
        return int(pid)

    def exited(self) -> tuple[str, int]:
        word, _pid, how, value = self._line()
        assert word == "exit"
        return how, int(value)

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()


@pytest.fixture
def zygote(tmp_path: Path) -> Iterator[Zygote]:
    z = Zygote(tmp_path / "zygote.log")
    yield z
    z.close()


def _acks(ack: Path) -> list[tuple[int, str]]:
    if not ack.exists():
        return []
    out = []
    for line in ack.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2:  # a kill never lands mid-write(2), but be strict anyway
            out.append((int(parts[0]), parts[1]))
    return out


def _check_db(db: Path, acked: dict[int, str]) -> int:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = con.execute("SELECT idempotency_key, reference FROM submissions").fetchall()
    finally:
        con.close()
    stored = dict(rows)
    assert len(stored) == len(rows), "an idempotency key is stored twice"
    for i, ref in acked.items():
        assert stored.get(f"crash-{i:06d}") == ref, f"acknowledged submission {i} lost"
    return len(rows)


def kill_loop(tmp_path: Path, zygote: Zygote, kills: int, seed: int, mode: str) -> dict[str, int]:
    rng = random.Random(seed)
    data = tmp_path / "data"
    ack = tmp_path / "acks.txt"
    acked: dict[int, str] = {}
    killed = finished = resubmitted = 0
    for n in range(kills):
        first = max(0, (max(acked) + 1 if acked else 0) - rng.randint(0, 3))
        resubmitted += sum(1 for i in range(first, first + 4) if i in acked)
        lines_before = len(_acks(ack))
        # Re-submissions of stored keys come first; then at least one new key.
        wanted = lines_before + (max(acked) + 1 - first if acked else 0) + 1
        pid = zygote.start(data, ack, first, mode)
        if n % 2:  # every other kill lands once writing is under way, however slow the disk
            deadline = time.monotonic() + 5
            while len(_acks(ack)) < wanted:
                assert time.monotonic() < deadline, "the writer made no progress"
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.01))
        else:  # anywhere: while opening, recovering, migrating or writing
            time.sleep(rng.uniform(0.0, 0.05))
        os.kill(pid, signal.SIGKILL)
        how, value = zygote.exited()
        if (how, value) == ("signal", signal.SIGKILL):
            killed += 1
        else:
            finished += 1
            assert (how, value) == ("code", 0), (tmp_path / "zygote.log").read_text()
        for i, ref in _acks(ack):
            assert acked.setdefault(i, ref) == ref, f"submission {i} got a second reference"
        if n % 10 == 9:  # not after every kill: the next writer should do the recovery
            _check_db(data / "kiosk.db", acked)
    rows = _check_db(data / "kiosk.db", acked)
    with Store.open(DataDir(data), Settings()) as store:
        refs = store.references()
        assert len(refs) == rows
        assert all(store.read(r)["payload"]["name"] == PAYLOAD_NAME for r in refs)
        created = [e.fields["reference"] for e in store.audit_entries()
                   if e.event == "submission.created"]  # fmt: skip
        assert sorted(created) == sorted(refs)  # submission and its audit entry: both or neither
        assert store.verify_audit().ok
        rotations = sum(1 for e in store.audit_entries() if e.event == "keys.rotated")
        if mode == "rotate":
            assert rotations > 0
            store.rotate_keys()  # finishes a rotation a kill interrupted, if any
            assert len(store.master_key_ids()) == 1
            assert all(store.read(r)["reference"] == r for r in refs)
    assert scan([data], [PAYLOAD_NAME]) == []
    return {"kills": killed, "finished": finished, "acked": len(acked), "stored": rows,
            "resubmitted": resubmitted, "rotations": rotations}  # fmt: skip


KILLS_PER_TEST = 55


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_sigkill_while_submitting_loses_nothing_acknowledged(
    tmp_path: Path, zygote: Zygote, seed: int
) -> None:
    counts = kill_loop(tmp_path, zygote, KILLS_PER_TEST, seed, "submit")
    print(f"\nstore crash seed={seed}: {counts}")
    assert counts["kills"] >= KILLS_PER_TEST - 2  # almost every writer died mid-work
    assert counts["acked"] >= KILLS_PER_TEST // 2  # and it did real work between kills
    assert counts["resubmitted"] > 0


@pytest.mark.slow
def test_sigkill_during_key_rotation_keeps_every_record_readable(
    tmp_path: Path, zygote: Zygote
) -> None:
    counts = kill_loop(tmp_path, zygote, 30, 99, "rotate")
    print(f"\nstore crash rotate: {counts}")
    assert counts["kills"] >= 28 and counts["acked"] >= 15
