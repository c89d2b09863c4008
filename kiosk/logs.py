"""JSON-lines logging to the data dir and to stderr.

Log records carry an event name and non-personal fields only. Callers pass fields with
`log.info("card.inserted", extra={"fields": {...}})`; `PERSONAL_KEYS` are refused at the
formatter so a slip shows up as `[redacted]`, never as a name in a log file.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

PERSONAL_KEYS = frozenset(
    {
        "name", "address", "birth_date", "birthday", "pin", "pin_b", "photo", "my_number",
        "individual_number", "serial", "certificate_serial", "phone", "kana",
    }
)  # fmt: skip


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, event and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for k, v in fields.items():
                entry[k] = "[redacted]" if k.lower() in PERSONAL_KEYS else v
        if record.exc_info and record.exc_info[0] is not None:
            # The type and place only: exception messages may quote data.
            entry["exception"] = record.exc_info[0].__name__
            tb = record.exc_info[2]
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            if tb is not None:
                entry["where"] = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        return json.dumps(entry, ensure_ascii=False, default=str)


def setup(log_file: Path | None, verbose: bool = False, stderr: bool = True) -> None:
    """Route the `kiosk` loggers to `log_file` (0600) and stderr; idempotent."""
    root = logging.getLogger("kiosk")
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for h in list(root.handlers):
        root.removeHandler(h)
        h.close()
    root.propagate = False
    fmt = JsonLines()
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.touch(mode=0o600, exist_ok=True)
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setFormatter(fmt)
        root.addHandler(fh)
    if stderr:
        sh = logging.StreamHandler(sys.stderr)
        sh.setFormatter(fmt)
        root.addHandler(sh)


def event(
    logger: logging.Logger, event_name: str, /, level: int = logging.INFO, **fields: Any
) -> None:
    """Log `event_name` with non-personal `fields`."""
    logger.log(level, event_name, extra={"fields": fields})
