"""Fixtures for the store's tests: a clock the test moves, settings, a store in a data dir."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.config import RetentionSettings, Settings, SinkSettings
from kiosk.paths import DataDir
from kiosk.store import Store, Submission


class FakeClock:
    """A clock that only moves when the test says so (UTC)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 4, 1, 9, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def settings(
    retention: dict[str, Any] | None = None, sink: dict[str, Any] | None = None
) -> Settings:
    s = Settings()
    return replace(
        s,
        retention=replace(RetentionSettings(), **(retention or {})),
        sink=replace(SinkSettings(), **(sink or {})),
    )


def open_store(root: Path, clock: FakeClock | None = None, **kw: Any) -> Store:
    data = DataDir(root)
    if clock is None:
        return Store.open(data, settings(**kw))
    return Store.open(data, settings(**kw), clock=clock)


# A demo resident's details: what must never be found in plaintext on disk.
RESIDENT = {
    "name": "山田 花子",
    "kana": "ヤマダ ハナコ",
    "address": "石川県輪島市河井町二十三部1番地",
    "birth_date": "1940-04-01",
    "phone": "0768-22-0000",
}


def submission(i: int = 0, **kw: Any) -> Submission:
    payload = {**RESIDENT, "damage": "全壊", "household": 2, "n": i}
    return Submission(
        kind=kw.pop("kind", "risai"),
        schema_version=1,
        payload=payload,
        attachments=kw.pop(
            "attachments", [b"\xff\xd8\xff\xe0 demo photo bytes " + bytes([i % 256])]
        ),
        idempotency_key=kw.pop("idempotency_key", f"test-key-{i:06d}"),
        categories=("card.basic_info", "damage.report"),
        **kw,
    )
