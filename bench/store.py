"""Store timings: open, submit (with a 150 kB photo and without), read, key rotation,
folder sync, audit verify, and the crash loop (SIGKILLs per second).

Writes bench/results/store.json. Each submit is durable (fsync) before it returns, so the
submit figures include the disk's flush time.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kiosk.config import Settings
from kiosk.paths import DataDir
from kiosk.store import FolderSink, Store, Submission, new_session_id

RESULTS = Path(__file__).resolve().parent / "results"
REPO = Path(__file__).resolve().parent.parent


def _ms(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)
    return {
        "median_ms": round(statistics.median(s) * 1000, 2),
        "p95_ms": round(s[int(len(s) * 0.95) - 1] * 1000, 2),
        "max_ms": round(s[-1] * 1000, 2),
        "n": len(s),
    }


def _sub(i: int, photo: bytes | None) -> Submission:
    payload = {"name": "山田 花子", "address": "石川県輪島市河井町", "n": i, "damage": "全壊"}
    return Submission(
        "risai", 1, payload, [photo] if photo else [], idempotency_key=f"bench-{i:07d}"
    )


def store_timings(root: Path, n: int) -> dict[str, object]:
    data = DataDir(root)
    t0 = time.perf_counter()
    store = Store.open(data, Settings())
    open_first = time.perf_counter() - t0
    session = new_session_id()
    photo = os.urandom(150_000)
    plain, with_photo, reads = [], [], []
    refs = []
    for i in range(n):
        t = time.perf_counter()
        refs.append(store.submit(_sub(i, None), session_id=session).reference)
        plain.append(time.perf_counter() - t)
    for i in range(n, n + n // 4):
        t = time.perf_counter()
        refs.append(store.submit(_sub(i, photo)).reference)
        with_photo.append(time.perf_counter() - t)
    for r in refs[:: max(1, len(refs) // 100)]:
        t = time.perf_counter()
        store.read(r)
        reads.append(time.perf_counter() - t)
    t = time.perf_counter()
    rotation = store.rotate_keys()
    rotate_s = time.perf_counter() - t
    t = time.perf_counter()
    verify = store.verify_audit()
    verify_s = time.perf_counter() - t
    t = time.perf_counter()
    synced = store.sync(FolderSink(root / "drop", allow_plaintext=True))
    sync_s = time.perf_counter() - t
    store.close()
    t = time.perf_counter()
    Store.open(data, Settings()).close()
    reopen = time.perf_counter() - t
    return {
        "open_new_ms": round(open_first * 1000, 2),
        "open_existing_ms": round(reopen * 1000, 2),
        "submit": _ms(plain),
        "submit_with_150kB_photo": _ms(with_photo),
        "read_and_verify": _ms(reads),
        "rotate_keys": {"records": rotation.rewrapped, "seconds": round(rotate_s, 3)},
        "audit_verify": {"entries": verify.entries, "ok": verify.ok, "seconds": round(verify_s, 3)},
        "folder_sync": {"delivered": synced.delivered, "seconds": round(sync_s, 3)},
        "database_bytes": (root / "kiosk.db").stat().st_size,
    }


def crash_loop(root: Path, kills: int, seed: int = 7) -> dict[str, object]:
    """The crash test's loop without its checks: how fast kills can be had."""
    rng = random.Random(seed)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.store_crash", "zygote"],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    ack = root / "acks.txt"
    first = killed = 0
    t0 = time.perf_counter()
    for _ in range(kills):
        proc.stdin.write(f"run {root / 'data'} {ack} {first} submit\n")
        proc.stdin.flush()
        pid = int(proc.stdout.readline().split()[1])
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(pid, signal.SIGKILL)
        killed += proc.stdout.readline().split()[2] == "signal"
        lines = ack.read_text().splitlines() if ack.exists() else []
        first = int(lines[-1].split()[0]) + 1 if lines else 0
    elapsed = time.perf_counter() - t0
    proc.stdin.write("quit\n")
    proc.stdin.close()
    proc.wait(10)
    proc.stdout.close()
    acked = len(ack.read_text().splitlines()) if ack.exists() else 0
    return {
        "kills": killed,
        "acks": acked,
        "seconds": round(elapsed, 2),
        "kills_per_second": round(killed / elapsed, 1),
    }


def main() -> int:
    with tempfile.TemporaryDirectory() as d:
        timings = store_timings(Path(d) / "a", 400)
    with tempfile.TemporaryDirectory() as d:
        crash = crash_loop(Path(d), 100)
    out = {"store": timings, "crash_loop": crash, "cpu_count": os.cpu_count()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "store.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
