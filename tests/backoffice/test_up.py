"""`make backoffice` = `python -m backoffice up`: on a fresh state dir it makes the cluster,
migrates, creates the first admin and a demo kiosk; a second run reuses all of it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from backoffice import settings as settings_mod
from backoffice.pgcluster import Cluster, cluster_root
from backoffice.sandbox import REPO

pytestmark = pytest.mark.slow


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    # tmp_path sits in a 0700 dir, like a clone in /root: the cluster must live elsewhere.
    s = tmp_path / "state"
    yield s
    if (s / "pg").exists() or (s / "pg").is_symlink():
        root = cluster_root(s)
        Cluster(root).stop()
        if (s / "pg").is_symlink():
            shutil.rmtree(root, ignore_errors=True)


def up(state: Path) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "backoffice", "up", "--state", str(state), "--no-serve",
         "--intake-port", "18999", "--clerk-port", "18998"],
        capture_output=True, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=180,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_up_sets_everything_up_once(state: Path) -> None:
    first = up(state)
    assert "https://127.0.0.1:18998/" in first and "First admin:           admin  password" in first
    assert "demo submit --count 5" in first and "outbox sync" in first
    cfg_file = state / "backoffice.toml"
    assert cfg_file.stat().st_mode & 0o777 == 0o600  # it holds the database password
    cfg = settings_mod.load(cfg_file)
    with psycopg.connect(cfg.dsn) as conn:
        assert [r[0] for r in conn.execute("SELECT version FROM schema_migrations")] == [1, 2]
        assert conn.execute("SELECT username, role FROM staff").fetchall() == [("admin", "admin")]
        assert conn.execute("SELECT kiosk_id FROM kiosks").fetchall() == [("demo-kiosk-01",)]
    kiosk_toml = (state / "demo-kiosk" / "kiosk.toml").read_text(encoding="utf-8")
    assert 'url = "https://127.0.0.1:18999/intake/submissions"' in kiosk_toml

    second = up(state)
    assert "Admin account exists already" in second and "password" not in second
