from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.errors import AlreadyRunning
from kiosk.instance import InstanceLock


def test_second_lock_on_the_same_dir_is_refused(data_dir: Path) -> None:
    with InstanceLock(data_dir / "kiosk.lock"), pytest.raises(AlreadyRunning):
        InstanceLock(data_dir / "kiosk.lock").acquire()
    # Released: a new kiosk may start.
    with InstanceLock(data_dir / "kiosk.lock"):
        pass


def test_other_data_dirs_do_not_collide(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with InstanceLock(tmp_path / "a" / "kiosk.lock"), InstanceLock(tmp_path / "b" / "kiosk.lock"):
        pass


def test_deleting_the_lock_file_does_not_let_a_second_kiosk_in(data_dir: Path) -> None:
    with InstanceLock(data_dir / "kiosk.lock"):
        (data_dir / "kiosk.lock").unlink()  # the red team's trick
        with pytest.raises(AlreadyRunning):
            InstanceLock(data_dir / "kiosk.lock").acquire()
