"""A PostgreSQL cluster of our own in a directory: initdb, pg_ctl start/stop, no containers.

Debian's server binaries refuse to run as root, so when we are root they run as the `postgres`
user (`runuser`), in a directory that user owns. The cluster listens only on a unix socket in
its directory, with a password (scram-sha-256) kept 0600 beside it.
"""

from __future__ import annotations

import glob
import hashlib
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

PG_USER = "postgres"


def pg_bin(name: str) -> str:
    """The newest Debian server binary `name` (initdb, pg_ctl …), else the one on PATH."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version)
    if found:
        return found[-1]
    path = shutil.which(name)
    if path is None:
        raise FileNotFoundError(f"{name}: install Debian's postgresql package")
    return path


def _version(path: str) -> int:
    try:
        return int(Path(path).parts[-3])
    except ValueError:
        return 0


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", PG_USER, "--", *cmd] if os.geteuid() == 0 else cmd


def _chown(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, PG_USER, PG_USER)


@dataclass(frozen=True)
class Cluster:
    """One cluster in `root`: `root/data` (PGDATA), `root/run` (socket), `root/password`."""

    root: Path
    port: int = 5432  # only names the socket file; nothing listens on TCP

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    def dsn(self, dbname: str = "postgres") -> str:
        password = self.password_file.read_text(encoding="ascii").strip()
        return (
            f"host={self.socket_dir} port={self.port} user={PG_USER} "
            f"password={password} dbname={dbname}"
        )

    @property
    def initialised(self) -> bool:
        return (self.data / "PG_VERSION").exists()

    def init(self) -> None:
        """initdb with a random superuser password, if the cluster does not exist yet."""
        if self.initialised:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # the postgres user must reach data/ and run/
        for d in (self.data, self.socket_dir):
            d.mkdir(exist_ok=True)
            _chown(d)
        self.data.chmod(0o700)
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(24) + "\n")
        pwfile = self.root / ".initdb-pw"
        shutil.copyfile(self.password_file, pwfile)
        _chown(pwfile)
        try:
            _run(
                _as_owner(
                    [
                        pg_bin("initdb"),
                        "-D",
                        str(self.data),
                        "-U",
                        PG_USER,
                        "--auth=scram-sha-256",
                        f"--pwfile={pwfile}",
                        "-E",
                        "UTF8",
                        "--locale=C.UTF-8",
                        "--no-instructions",
                    ]
                )
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as f:
            f.write(
                "\n# madoguchi back office: unix socket only, durable commits\n"
                "listen_addresses = ''\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "unix_socket_permissions = 0770\n"
                "max_connections = 200\n"
                "shared_buffers = 128MB\n"
                "synchronous_commit = on\n"
                "fsync = on\n"
                "log_min_messages = warning\n"
                "log_statement = 'none'\n"  # statements carry personal data: never logged
            )

    def running(self) -> bool:
        r = subprocess.run(
            _as_owner([pg_bin("pg_ctl"), "status", "-D", str(self.data)]),
            capture_output=True,
            check=False,
        )
        return r.returncode == 0

    def start(self) -> None:
        if self.running():
            return
        if not self.log_file.exists():
            self.log_file.touch()
            _chown(self.log_file)
        _run(
            _as_owner(
                [
                    pg_bin("pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.log_file),
                    "-o",
                    f"-p {self.port}",
                ]
            )
        )

    def stop(self) -> None:
        if self.initialised and self.running():
            _run(_as_owner([pg_bin("pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.data)]))

    def create_database(self, name: str, template: str = "template1") -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(template)
                    )
                )


def reachable_by_owner(path: Path) -> bool:
    """Whether the cluster's owner can walk down to `path` (not when we are root in /root)."""
    if os.geteuid() != 0:
        return True
    return all(not d.exists() or d.stat().st_mode & 0o001 for d in [path, *path.parents])


def cluster_root(state: Path) -> Path:
    """Where the cluster of `state` lives: `state/pg`, or, when the `postgres` user cannot
    reach it (a clone in /root), a folder in that user's home linked from `state/pg`."""
    link = state / "pg"
    if link.is_symlink():
        return link.resolve()
    if reachable_by_owner(state):
        return link
    digest = hashlib.sha256(str(state.resolve()).encode()).hexdigest()[:12]
    real = Path("/var/lib/postgresql/madoguchi-backoffice") / digest
    real.mkdir(parents=True, exist_ok=True)
    real.parent.chmod(0o755)
    link.symlink_to(real)
    return real


def _run(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd="/")
    if r.returncode != 0:
        raise RuntimeError(
            f"{Path(cmd[cmd.index('--') + 1] if '--' in cmd else cmd[0]).name} "
            f"failed ({r.returncode}): {r.stderr.strip()[-400:]}"
        )
