"""`kiosk demo submit`: demo requests as the kiosk's procedures build them, demo mode only."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from backoffice import SCHEMA_DIR
from kiosk.cli import main
from kiosk.config import Settings
from kiosk.paths import DataDir
from kiosk.store import Store


def test_demo_submit_fills_the_outbox_with_valid_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[site]\nkiosk_id = "demo-k"\ndemo = "on"\n', encoding="utf-8")
    data = tmp_path / "data"
    args = ["--config", str(config), "--data-dir", str(data), "demo", "submit"]
    assert main([*args, "--count", "8", "--seed", "3", "--json"]) == 0
    made = json.loads(capsys.readouterr().out)["submitted"]
    assert sum(made.values()) == 8 and set(made) <= {"risai", "higai"}
    with Store.open(DataDir(data), Settings()) as store:
        refs = store.references()
        assert len(refs) == 8 and store.outbox_status().pending == 8
        for ref in refs:
            doc = store.read(ref)
            schema = json.loads((SCHEMA_DIR / f"{doc['kind']}.v1.json").read_text("utf-8"))
            jsonschema.validate(doc["payload"], schema)
            assert len(doc["attachments"]) == len(doc["payload"]["photos"]) >= 1


def test_demo_submit_refuses_outside_demo_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[site]\nkiosk_id = "real-k"\ndemo = "off"\n', encoding="utf-8")
    code = main(["--config", str(config), "--data-dir", str(tmp_path / "d"), "demo", "submit"])
    assert code == 2 and 'demo = "on"' in capsys.readouterr().err
    assert not (tmp_path / "d" / "kiosk.db").exists()
