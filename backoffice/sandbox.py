"""A throwaway back office in a temp dir: its own PostgreSQL cluster, PKI and service process.

For the tests and the load bench (the service runs as users run it: `python -m backoffice
serve` in its own process, over real TLS, on ephemeral ports), and for enrolling kiosks
that deliver to it with the kiosk's own Store and HttpsSink.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from backoffice import db, tls
from backoffice import settings as settings_mod
from backoffice.cli import enrol
from backoffice.pgcluster import Cluster

REPO = Path(__file__).resolve().parent.parent
TEMPLATE_DB = "bo_template"


class PgSandbox:
    """A cluster in a fresh /tmp dir (the postgres user must reach it), with a migrated
    template database that `new_database` copies in milliseconds."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="bo-pg-", dir="/tmp"))
        self.root.chmod(0o755)
        self.cluster = Cluster(self.root / "pg")

    def start(self) -> PgSandbox:
        self.cluster.init()
        self.cluster.start()
        self.cluster.create_database(TEMPLATE_DB)
        db.migrate(self.cluster.dsn(TEMPLATE_DB))
        return self

    def new_database(self) -> str:
        name = f"bo_{uuid.uuid4().hex[:12]}"
        self.cluster.create_database(name, template=TEMPLATE_DB)
        return self.cluster.dsn(name)

    def drop_database(self, dsn: str) -> None:
        name = dsn.rsplit("dbname=", 1)[1]
        with psycopg.connect(self.cluster.dsn(), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def stop(self) -> None:
        try:
            self.cluster.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Pki:
    folder: Path
    ca: tls.Pair
    drop_private: Path
    drop_public: Path

    @classmethod
    def make(cls, folder: Path) -> Pki:
        ca = tls.make_ca(folder)
        tls.issue(ca, folder, "server", server=True)
        private, public = tls.make_drop_key(folder)
        return cls(folder, ca, private, public)

    def client(self, name: str) -> tls.Pair:
        return tls.issue(self.ca, self.folder / "clients", name, server=False)


@dataclass
class Service:
    """`python -m backoffice serve` as a child process; restartable on the same ports."""

    settings: settings_mod.Settings
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    ports: dict[str, int] = field(default_factory=dict)

    @property
    def intake_url(self) -> str:
        return f"https://127.0.0.1:{self.ports['intake']}/intake/submissions"

    @property
    def clerk_url(self) -> str:
        return f"https://127.0.0.1:{self.ports['clerk']}"

    @property
    def log_file(self) -> Path:
        return self.workdir / "service.log"

    def start(self, timeout_s: float = 30) -> Service:
        cfg_file = self.workdir / "backoffice.toml"
        cfg_file.write_text(settings_mod.dump(self.settings), encoding="utf-8")
        ports_file = self.workdir / "ports.json"
        ports_file.unlink(missing_ok=True)
        args = [
            sys.executable,
            "-m",
            "backoffice",
            "--config",
            str(cfg_file),
            "serve",
            "--ports-file",
            str(ports_file),
        ]
        if self.ports:
            args += [
                "--intake-port",
                str(self.ports["intake"]),
                "--clerk-port",
                str(self.ports["clerk"]),
            ]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        log = self.log_file.open("ab")
        self.process = subprocess.Popen(
            args, stdout=log, stderr=log, env=env, cwd=REPO, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while not ports_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("back office did not start: " + self.log_text()[-2000:])
            time.sleep(0.05)
        self.ports = json.loads(ports_file.read_text())
        ctx = ssl.create_default_context(cafile=str(self.settings.ca_cert))
        while True:  # ready when the clerk listener answers (the pools are open then)
            try:
                with urllib.request.urlopen(f"{self.clerk_url}/healthz", context=ctx, timeout=2):
                    return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("not ready: " + self.log_text()[-2000:]) from None
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL to every process of the service: no shutdown, no flush (a power cut)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # workers left behind
            self.process.wait(10)
        self.process = None

    def log_text(self) -> str:
        return (
            self.log_file.read_text(encoding="utf-8", errors="replace")
            if (self.log_file.exists())
            else ""
        )


def service_settings(dsn: str, pki: Pki, **more: object) -> settings_mod.Settings:
    return settings_mod.Settings(
        dsn=dsn,
        tls_dir=pki.folder,
        drop_key=pki.drop_private,
        intake_port=0,
        clerk_port=0,
        **more,  # type: ignore[arg-type]
    )


def enrol_kiosk(dsn: str, kiosk_id: str, cert: Path, signing_public_key: bytes) -> str:
    return enrol(dsn, kiosk_id, cert.read_bytes(), signing_public_key)
