"""Subcommands of `kiosk`. Each module has `register(subparsers)` and sets `func(args, ctx)`.

To add a command, write `kiosk/commands/<name>.py` and list it here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from kiosk import config as config_mod
from kiosk import paths

COMMAND_MODULES: tuple[str, ...] = (
    "run",
    "rules",
    "audit",
    "outbox",
    "keys",
    "purge",
    "admin",
    "face",
    "card",
    "staff",
    "doctor",
    "demo",
)


@dataclass
class Context:
    """What every command may need: the settings and the data dir, loaded on first use."""

    config_file: Path | None = None
    data_dir: Path | None = None
    verbose: bool = False
    _extra: dict[str, object] = field(default_factory=dict)

    @cached_property
    def settings(self) -> config_mod.Settings:
        if self.config_file is not None:
            return config_mod.load(self.config_file)
        default = paths.default_config_file()
        return config_mod.load(default) if default.exists() else config_mod.Settings()

    @cached_property
    def data(self) -> paths.DataDir:
        from kiosk.store.db import storage_errors

        with storage_errors():  # a file where a folder should be: a message, not a traceback
            return paths.DataDir(self.data_dir or paths.default_data_dir()).ensure()
