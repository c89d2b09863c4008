from __future__ import annotations

import json
import logging
from pathlib import Path

from kiosk import logs


def test_json_lines_with_fields_and_redaction(tmp_path: Path) -> None:
    f = tmp_path / "kiosk.log"
    logs.setup(f, stderr=False)
    log = logging.getLogger("kiosk.test")
    logs.event(log, "card.inserted", reader="Virtual PCD 00 00", name="山田 花子", pin="1234")
    for h in logging.getLogger("kiosk").handlers:
        h.flush()
    line = json.loads(f.read_text(encoding="utf-8").strip().splitlines()[-1])
    assert line["event"] == "card.inserted"
    assert line["reader"] == "Virtual PCD 00 00"
    assert line["name"] == "[redacted]" and line["pin"] == "[redacted]"
    assert "山田" not in f.read_text(encoding="utf-8")
    assert (f.stat().st_mode & 0o777) == 0o600
    logs.setup(None, stderr=False)


def test_exceptions_log_type_not_message(tmp_path: Path) -> None:
    f = tmp_path / "kiosk.log"
    logs.setup(f, stderr=False)
    try:
        raise ValueError("山田 花子 1980-02-17")
    except ValueError:
        logging.getLogger("kiosk.test").exception("boom")
    text = f.read_text(encoding="utf-8")
    assert "ValueError" in text and "山田" not in text and "1980" not in text
    logs.setup(None, stderr=False)
