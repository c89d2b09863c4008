"""The audit head kept beside the keys, outside the database: what the log must reach.

After every committed audit entry the store moves this file forward (sequence, hash and
the database's id, signed with the kiosk's key). It never moves back: a database that is
older than the head (put back from a copy), emptied, or another one is noticed at start
and by `kiosk audit verify`, although it verifies fine on its own. Only replacing the
database *and* this file together goes unseen here; the back office, which receives every
head with each sync, catches that.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kiosk.store.keys import _fsync_dir

NAME = "audit-head.json"
FORMAT = "kiosk-audit-head.v1"


@dataclass(frozen=True)
class Head:
    database_id: str
    seq: int
    hash: str

    def message(self) -> bytes:
        return f"kiosk-audit-head-local|{self.database_id}|{self.seq}|{self.hash}".encode("ascii")


class HeadUnreadable(ValueError):
    """The head file is there but garbled or not signed by this kiosk's key."""


class HeadFile:
    """`<state dir>/audit-head.json`, advanced under an flock so two processes never regress it."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / NAME
        self._lock = state_dir / (NAME + ".lock")

    def exists(self) -> bool:
        return self.path.exists()

    def read(self, verify: Callable[[bytes, bytes], bool]) -> Head | None:
        """The head, None when there is none; `HeadUnreadable` when it is not ours."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise HeadUnreadable(f"{self.path}: {type(e).__name__}") from None
        try:
            obj = json.loads(raw)
            if obj.get("format") != FORMAT:
                raise ValueError("format")
            head = Head(str(obj["database_id"]), int(obj["seq"]), str(obj["hash"]))
            signature = base64.b64decode(obj["signature"], validate=True)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise HeadUnreadable(f"{self.path}: not an audit head file") from None
        if not verify(signature, head.message()):
            raise HeadUnreadable(f"{self.path}: not signed by this kiosk's key")
        return head

    def advance(
        self, head: Head, sign: Callable[[bytes], bytes], verify: Callable[[bytes, bytes], bool]
    ) -> None:
        """Write `head` unless the file already holds this database at the same or a later seq."""
        with self._locked():
            try:
                current = self.read(verify)
            except HeadUnreadable:
                current = None  # ours to overwrite: the store checked it at open
            same = current is not None and current.database_id == head.database_id
            if same and current is not None and current.seq >= head.seq:
                return
            obj = {
                "format": FORMAT,
                "database_id": head.database_id,
                "seq": head.seq,
                "hash": head.hash,
                "signature": base64.b64encode(sign(head.message())).decode("ascii"),
            }
            tmp = self.path.with_name(f".{NAME}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            try:
                os.write(fd, json.dumps(obj, sort_keys=True).encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self._lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
