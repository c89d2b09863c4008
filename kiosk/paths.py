"""Where the kiosk keeps its files. Every path hangs off one data dir so tests never share state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "madoguchi-kiosk"
ASSETS = Path(__file__).resolve().parent.parent / "assets"


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "kiosk.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


@dataclass(frozen=True)
class DataDir:
    """The kiosk's own directory tree; created on first use with private modes."""

    root: Path

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def log_file(self) -> Path:
        return self.logs / "kiosk.log"

    @property
    def lock_file(self) -> Path:
        return self.root / "kiosk.lock"

    @property
    def database(self) -> Path:
        return self.root / "kiosk.db"

    @property
    def key_file(self) -> Path:
        return self.root / "master.key"

    @property
    def outbox_dir(self) -> Path:
        return self.root / "outbox"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def ensure(self) -> DataDir:
        for d in (self.root, self.logs, self.tmp):
            d.mkdir(parents=True, exist_ok=True)
            d.chmod(0o700)
        return self
