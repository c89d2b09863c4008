"""Start the real kiosk as a subprocess and wait on its JSON log lines (after qutebrowser)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class KioskProcess:
    """`python -m kiosk ... run` with its own data dir; events are read from its log file."""

    def __init__(self, data_dir: Path, *args: str, env: Mapping[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.log_file = data_dir / "logs" / "kiosk.log"
        full_env = {**os.environ, **(env or {})}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "--data-dir", str(data_dir), *args],
            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def events(self) -> list[dict[str, Any]]:
        if not self.log_file.exists():
            return []
        lines = self.log_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def wait_for(self, event: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.events():
                if e.get("event") == event:
                    return e
            if self.proc.poll() is not None:
                _, err = self.proc.communicate()
                raise AssertionError(f"kiosk exited {self.proc.returncode} before {event}: {err}")
            time.sleep(0.1)
        raise AssertionError(
            f"no {event} within {timeout}s; saw {[e['event'] for e in self.events()]}"
        )

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.communicate()
        return self.proc.returncode
