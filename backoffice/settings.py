"""The service's settings: one TOML file (`backoffice.toml`, 0600: it holds the DSN)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    dsn: str
    tls_dir: Path  # ca.crt, server.crt/.key (the CA also signs the kiosks' client certs)
    drop_key: Path  # X25519 private key for sealed folder drops
    host: str = "127.0.0.1"
    intake_port: int = 8443  # mutual TLS: kiosks only
    clerk_port: int = 8444  # HTTPS for the clerks' browsers
    city: str = "デモ市"
    mayor: str = "窓口 一郎"
    pool_max: int = 16  # database connections per worker process
    workers: int = 1  # processes sharing the listening sockets (the kernel spreads connections)
    session_hours: int = 8

    @property
    def ca_cert(self) -> Path:
        return self.tls_dir / "ca.crt"

    @property
    def server_cert(self) -> Path:
        return self.tls_dir / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.tls_dir / "server.key"


def load(path: Path) -> Settings:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    known = {f.name for f in fields(Settings)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"{path}: unknown keys {sorted(unknown)}")
    base = path.parent
    for key in ("tls_dir", "drop_key"):
        if key in raw:
            p = Path(raw[key])
            raw[key] = p if p.is_absolute() else base / p
    return Settings(**raw)


def dump(settings: Settings) -> str:
    def q(v: object) -> str:
        if isinstance(v, int):
            return str(v)
        s = str(v).replace("\\", "\\\\").replace('"', '\\"')
        return f'"{s}"'

    return "".join(f"{f.name} = {q(getattr(settings, f.name))}\n" for f in fields(Settings))
