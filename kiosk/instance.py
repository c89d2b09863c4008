"""Single instance per data dir: a second `kiosk run` on the same dir is refused."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from kiosk.errors import AlreadyRunning


class InstanceLock:
    """An exclusive `flock` on the data dir itself, held for the kiosk's lifetime.

    The directory is locked, not only the lock file: deleting `kiosk.lock` (which frees the
    file's name for a new inode) must not let a second kiosk in. The lock file keeps the
    pid for staff. The kernel drops both when the process dies: no stale lock after a crash.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._dir_fd: int | None = None

    def acquire(self) -> InstanceLock:
        dir_fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(dir_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(dir_fd)
            raise AlreadyRunning(
                "error.already_running", f"a kiosk is already running on {self.path.parent}"
            ) from None
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd, self._dir_fd = fd, dir_fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self._dir_fd is not None:
            fcntl.flock(self._dir_fd, fcntl.LOCK_UN)
            os.close(self._dir_fd)
            self._dir_fd = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
