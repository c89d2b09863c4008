"""A process that writes submissions and says "ack" after each commit, to be SIGKILLed.

Run as `python -m tests.helpers.store_crash zygote`: it imports the store once, then for
each line `run <data dir> <ack file> <first index> <mode>` on stdin forks a writer, prints
`pid <pid>`, waits for it and prints `exit <pid> <signal or code>`. Forking from a warm
parent keeps each kill cheap, so the suite can afford hundreds of them; the writer is still
its own process with its own SQLite connection, killed for real.

A writer opens the store (as a restarted kiosk would), then submits keys `crash-<index>`
from the first index on, and after each `submit` returns appends `<index> <reference>` to
the ack file with one write(2). In mode `rotate` it rotates the master key every 7 commits.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from kiosk.config import Settings
from kiosk.paths import DataDir
from kiosk.store import Store, Submission, new_session_id

PAYLOAD_NAME = "山田 花子"  # must never appear in plaintext on disk


def writer(data_dir: Path, ack_file: Path, first: int, mode: str) -> None:
    ack = os.open(ack_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    store = Store.open(DataDir(data_dir), Settings())
    session = new_session_id()
    i = first
    while i < first + 100_000:
        receipt = store.submit(
            Submission(
                "risai", 1, {"name": PAYLOAD_NAME, "n": i}, [bytes([i % 256]) * 64],
                idempotency_key=f"crash-{i:06d}", categories=("card.basic_info",),
            ),
            session_id=session,
        )  # fmt: skip
        os.write(ack, f"{i} {receipt.reference}\n".encode())
        if mode == "rotate" and i % 7 == 0:
            store.rotate_keys(batch=5)
        i += 1


def zygote() -> None:
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "quit":
            return
        _, data_dir, ack_file, first, mode = parts
        pid = os.fork()
        if pid == 0:  # the writer
            code = 0
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                writer(Path(data_dir), Path(ack_file), int(first), mode)
            except BaseException as e:  # report, then leave without running parent cleanup
                sys.stderr.write(f"writer failed: {type(e).__name__}: {e}\n")
                code = 3
            finally:
                os._exit(code)
        print(f"pid {pid}", flush=True)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            print(f"exit {pid} signal {os.WTERMSIG(status)}", flush=True)
        else:
            print(f"exit {pid} code {os.WEXITSTATUS(status)}", flush=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["zygote"]:
        zygote()
    else:
        raise SystemExit("usage: python -m tests.helpers.store_crash zygote")
