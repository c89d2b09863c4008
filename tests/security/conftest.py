"""Fixtures of the security tests: a software TPM (swtpm) on ephemeral ports, settings."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class SoftTpm:
    """A TPM 2.0 simulator; `device` is the TCTI systemd-creds and tpm2-tools take."""

    port: int
    state: Path

    @property
    def device(self) -> str:
        return f"swtpm:port={self.port}"

    def tools(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a tpm2-tools command against this TPM (no resource manager: flush after)."""
        env = {**os.environ, "TPM2TOOLS_TCTI": self.device}
        done = subprocess.run(list(args), env=env, capture_output=True, text=True, timeout=60)
        subprocess.run(["tpm2_flushcontext", "-t"], env=env, capture_output=True, timeout=60)
        return done


def _free_port_pair() -> int:
    """A port P with P+1 free too (swtpm's control channel), both on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port >= 65535:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two free ports in a row")


def start_swtpm(state: Path) -> tuple[SoftTpm, subprocess.Popen[bytes]]:
    for tool in ("swtpm", "systemd-creds", "tpm2_getrandom"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: apt install swtpm swtpm-tools tpm2-tools systemd")
    state.mkdir(parents=True, exist_ok=True)
    port = _free_port_pair()
    proc = subprocess.Popen(
        ["swtpm", "socket", "--tpm2", "--flags", "not-need-init,startup-clear",
         "--tpmstate", f"dir={state}",
         "--server", f"type=tcp,port={port},bindaddr=127.0.0.1",
         "--ctrl", f"type=tcp,port={port + 1},bindaddr=127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    tpm = SoftTpm(port, state)
    for _ in range(200):  # the simulator answers within a few hundred ms
        if proc.poll() is not None:
            raise RuntimeError(f"swtpm exited: {proc.stderr.read() if proc.stderr else b''!r}")
        if tpm.tools("tpm2_getrandom", "4", "--hex").returncode == 0:
            return tpm, proc
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("swtpm did not answer")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stderr is not None:
        proc.stderr.close()


@pytest.fixture
def swtpm(tmp_path: Path) -> Iterator[SoftTpm]:
    tpm, proc = start_swtpm(tmp_path / "tpm-state")
    try:
        yield tpm
    finally:
        stop(proc)


@pytest.fixture
def other_swtpm(tmp_path: Path) -> Iterator[SoftTpm]:
    """A second machine's TPM: the thief's."""
    tpm, proc = start_swtpm(tmp_path / "other-tpm-state")
    try:
        yield tpm
    finally:
        stop(proc)
