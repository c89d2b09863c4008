"""The red team's audit tampering, rerun: every variant is named by `kiosk audit verify`.

Only replacing the data dir *and* the key store together passes here; the back office, which
keeps every head the kiosk sent, catches that (issue «The back office»).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.security import tamper
from tests.security.tamper import Kiosk, build, verdict


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Kiosk:
    return build(tmp_path_factory.mktemp("pristine"))


def fresh(pristine: Kiosk, tmp_path: Path) -> Kiosk:
    root = tmp_path / "kiosk"
    shutil.copytree(pristine.root, root)
    return Kiosk(root, tamper.kiosk_settings(root))


def test_the_untouched_kiosk_verifies_and_starts(pristine: Kiosk, tmp_path: Path) -> None:
    v = verdict(fresh(pristine, tmp_path))
    assert v.report.ok and not v.refused_at_start, v


@pytest.mark.parametrize(
    ("how", "named"), tamper.VARIANTS, ids=[f.__name__ for f, _ in tamper.VARIANTS]
)
def test_tampering_is_named(
    pristine: Kiosk, tmp_path: Path, how: Callable[[Kiosk], None], named: set[str]
) -> None:
    k = fresh(pristine, tmp_path)
    how(k)
    v = verdict(k)
    assert not v.report.ok, f"{how.__name__} passed verify"
    assert v.report.problem in named, v.report


@pytest.mark.parametrize(
    "how",
    [tamper.put_back_an_older_database, tamper.put_back_an_older_data_dir,
     tamper.delete_the_database, tamper.empty_the_database_file,
     tamper.wipe_the_log_and_its_head, tamper.swap_in_another_kiosks_database,
     tamper.truncate_and_restore_an_older_signed_head],
    ids=lambda f: f.__name__,
)  # fmt: skip
def test_the_kiosk_refuses_to_start_on_an_older_emptied_or_other_database(
    pristine: Kiosk, tmp_path: Path, how: Callable[[Kiosk], None]
) -> None:
    k = fresh(pristine, tmp_path)
    how(k)
    existed = k.db.exists()
    v = verdict(k)
    assert v.refused_at_start
    assert k.db.exists() == existed  # no empty database made in a missing one's place


def test_replacing_data_and_keys_together_is_left_to_the_back_office(
    pristine: Kiosk, tmp_path: Path
) -> None:
    k = fresh(pristine, tmp_path)
    now = json.loads((k.keys / "audit-head.json").read_text())
    tamper.replace_data_dir_and_key_store_together(k)
    assert not verdict(k).caught  # consistent with itself: the kiosk alone cannot tell
    # The back office holds the head the kiosk sent last; the restored one is behind it.
    restored = json.loads((k.keys / "audit-head.json").read_text())
    assert restored["database_id"] == now["database_id"] and restored["seq"] < now["seq"]


def _digests(root: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*")) if p.is_file()
    }  # fmt: skip


def _read_only_mount_works() -> bool:
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=30)
    return probe.returncode == 0


def test_verify_reads_an_evidence_copy_without_writing_to_it(
    pristine: Kiosk, tmp_path: Path
) -> None:
    k = fresh(pristine, tmp_path)
    tamper.put_back_an_older_database(k)
    before = _digests(k.root)
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[keys]\nsource = "insecure-file"\ndir = "{k.keys}"\n', encoding="utf-8")
    verify = [sys.executable, "-m", "kiosk", "--config", str(cfg), "--data-dir",
              str(k.data.root), "audit", "verify", "--json"]  # fmt: skip
    if os.geteuid() == 0 and _read_only_mount_works():
        # The evidence as it arrives: a read-only file system (root ignores file modes).
        script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
        args = ["unshare", "-m", "sh", "-c", script, "sh", str(k.root), *verify]
    else:
        for p in [*k.root.rglob("*"), k.root]:
            p.chmod(0o500 if p.is_dir() else 0o400)
        args = verify
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert '"problem": "rolled_back"' in done.stdout and "Traceback" not in done.stderr
    assert _digests(k.root) == before  # nothing written, nothing touched
