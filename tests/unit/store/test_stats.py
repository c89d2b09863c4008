"""`kiosk admin stats`: computed from the audit log; fixed labels and numbers only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.store import Store, new_session_id
from tests.helpers.store import RESIDENT, FakeClock, open_store, submission


def _visit(store: Store, clock: FakeClock, i: int, method: str, minutes: float, end: str) -> None:
    sid = new_session_id()
    store.audit("session.started", session_id=sid, language="ja")
    store.audit("card.read", session_id=sid, categories=["card.basic_info"], outcome="ok")
    if method == "pin-after-face":
        store.audit("auth.attempt", session_id=sid, method="face", outcome="failed")
        store.audit("auth.fallback", session_id=sid, method="face", to_method="pin",
                    reason="face_no_match")  # fmt: skip
        store.audit("auth.attempt", session_id=sid, method="pin", outcome="ok")
    else:
        store.audit("auth.attempt", session_id=sid, method=method, outcome="ok")
    if end == "handoff":
        store.audit("handoff", session_id=sid, reason="resident_choice", ticket="17")
        store.audit("session.ended", session_id=sid, outcome="handoff")
        return
    store.audit("procedure.started", session_id=sid, procedure="risai", purpose="risai")
    clock.advance(minutes=minutes)
    store.submit(submission(i), session_id=sid)
    store.audit("session.ended", session_id=sid, outcome="completed")


def test_stats_count_sessions_methods_fallbacks_handoffs_and_medians(tmp_path: Path) -> None:
    clock = FakeClock()
    with open_store(tmp_path, clock) as store:
        _visit(store, clock, 1, "face", 4, "done")
        _visit(store, clock, 2, "pin-after-face", 6, "done")
        _visit(store, clock, 3, "face", 11, "done")
        _visit(store, clock, 4, "staff", 0, "handoff")
        stats = store.stats()
    assert stats["sessions"] == 4
    assert stats["sessions_ended"] == {"completed": 3, "handoff": 1}
    assert stats["completion_rate"] == 0.75
    assert stats["auth_methods"] == {"face": 3, "pin": 1, "staff": 1}
    assert stats["auth_methods_succeeded"] == {"face": 2, "pin": 1, "staff": 1}
    assert (stats["fallbacks"], stats["fallbacks_by_route"]) == (1, {"face->pin": 1})
    assert stats["handoffs"] == 1
    assert stats["submissions"] == {"risai": 3}
    assert stats["median_seconds_per_procedure"] == {"risai": 360.0}


def test_cli_stats_has_no_personal_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    with open_store(tmp_path, clock) as store:
        _visit(store, clock, 1, "face", 3, "done")
    assert main(["--data-dir", str(tmp_path), "admin", "stats", "--json"]) == 0
    text = capsys.readouterr().out
    out = json.loads(text)
    assert out["ok"] and out["sessions"] == 1
    assert not any(v in text for v in RESIDENT.values())
    with open_store(tmp_path) as store:  # the export itself is audited
        assert [e.fields for e in store.audit_entries() if e.event == "export"] == [
            {"what": "stats"}
        ]
