"""The kiosk's keys, kept outside the database.

- Master keys (AES-256) wrap each record's own data key. Several may be held at once while a
  rotation re-wraps; `current` is the one new records use.
- One Ed25519 signing key, its own random seed (not derived from a master key), signs every
  submission document, the audit log's head and its purge anchors.
- The id of the database these keys belong to: a missing, emptied or other database beside
  existing keys is refused, never silently started empty.

Where they are kept is a `KeySource`: sealed to the TPM or with a passphrase
(`kiosk.store.keysources`), or for demo and tests a 0600 JSON file (`KeyFile`). A key file
with looser permissions is refused rather than used.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk.store.errors import KeyUnreadable, RecordUnreadable, from_os

FORMAT = 1
NONCE = 12
MAX_KEY_FILE = 1 << 16  # a key set is under 2 kB even with many retired master keys


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: str) -> bytes:
    return base64.b64decode(s.encode("ascii"), validate=True)


def new_master_key_id() -> str:
    return "mk-" + secrets.token_hex(6)


@dataclass(frozen=True)
class KeySet:
    """The master keys (by id), which one is current, and the signing key seed."""

    current: str
    master_keys: dict[str, bytes]
    signing_seed: bytes
    database_id: str = ""  # "" in key files older than the binding: adopted on next open
    signer: Ed25519PrivateKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.current not in self.master_keys:
            raise ValueError("current master key is not among the keys")
        for k in self.master_keys.values():
            if len(k) != 32:
                raise ValueError("a master key is not 256 bits")
        if len(self.signing_seed) != 32:
            raise ValueError("the signing key is not an Ed25519 seed")
        object.__setattr__(self, "signer", Ed25519PrivateKey.from_private_bytes(self.signing_seed))

    @classmethod
    def generate(cls) -> KeySet:
        kid = new_master_key_id()
        return cls(kid, {kid: AESGCM.generate_key(256)}, secrets.token_bytes(32))

    def bound_to(self, database_id: str) -> KeySet:
        """A copy bound to the database `database_id`."""
        return KeySet(self.current, dict(self.master_keys), self.signing_seed, database_id)

    def with_new_current(self) -> KeySet:
        """A copy that also holds a fresh master key, made current (rotation step 1)."""
        kid = new_master_key_id()
        keys = {**self.master_keys, kid: AESGCM.generate_key(256)}
        return KeySet(kid, keys, self.signing_seed, self.database_id)

    def only_current(self) -> KeySet:
        """A copy without the retired master keys (rotation's last step)."""
        return KeySet(
            self.current,
            {self.current: self.master_keys[self.current]},
            self.signing_seed,
            self.database_id,
        )

    # --- wrapping data keys -------------------------------------------------------------
    def wrap(self, data_key: bytes, context: bytes) -> tuple[str, bytes]:
        """(master key id, nonce||ciphertext) of `data_key`, bound to `context`."""
        nonce = secrets.token_bytes(NONCE)
        aad = b"kiosk-dek|" + self.current.encode() + b"|" + context
        ct = AESGCM(self.master_keys[self.current]).encrypt(nonce, data_key, aad)
        return self.current, nonce + ct

    def unwrap(self, key_id: str, wrapped: bytes, context: bytes) -> bytes:
        key = self.master_keys.get(key_id)
        if key is None:
            raise RecordUnreadable(f"master key {key_id} is not held")
        aad = b"kiosk-dek|" + key_id.encode() + b"|" + context
        try:
            return AESGCM(key).decrypt(wrapped[:NONCE], wrapped[NONCE:], aad)
        except InvalidTag:
            raise RecordUnreadable(f"data key wrapped by {key_id} fails authentication") from None

    # --- signing ------------------------------------------------------------------------
    @property
    def public_key(self) -> bytes:
        return self.signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def signing_key_id(self) -> str:
        return "ed25519-" + hashlib.sha256(self.public_key).hexdigest()[:16]

    def sign(self, message: bytes) -> bytes:
        return self.signer.sign(message)

    # --- serialisation ------------------------------------------------------------------
    def to_json(self) -> bytes:
        obj = {
            "format": FORMAT,
            "current": self.current,
            "master_keys": {k: _b64(v) for k, v in sorted(self.master_keys.items())},
            "signing_key": _b64(self.signing_seed),
            "database_id": self.database_id,
        }
        return json.dumps(obj, indent=1, sort_keys=True).encode("ascii")

    @classmethod
    def from_json(cls, raw: bytes, where: str) -> KeySet:
        try:
            obj = json.loads(raw)
            if obj.get("format") != FORMAT:
                raise ValueError(f"unknown key file format {obj.get('format')!r}")
            return cls(
                str(obj["current"]),
                {str(k): _unb64(v) for k, v in obj["master_keys"].items()},
                _unb64(obj["signing_key"]),
                str(obj.get("database_id", "")),
            )
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as e:
            raise KeyUnreadable(f"{where}: not a kiosk key file ({type(e).__name__})") from None


def verify_signature(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """True when `signature` over `message` was made by the Ed25519 `public_key`."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def seal(data_key: bytes, plaintext: bytes, context: bytes) -> bytes:
    """AES-256-GCM: nonce||ciphertext||tag, bound to `context`."""
    nonce = secrets.token_bytes(NONCE)
    return nonce + AESGCM(data_key).encrypt(nonce, plaintext, b"kiosk-record|" + context)


def open_sealed(data_key: bytes, sealed: bytes, context: bytes) -> bytes:
    try:
        return AESGCM(data_key).decrypt(sealed[:NONCE], sealed[NONCE:], b"kiosk-record|" + context)
    except InvalidTag:
        raise RecordUnreadable("record fails authentication") from None


class KeySource(Protocol):
    """Where the key set is kept. `version()` changes whenever another process saves."""

    def load(self) -> KeySet | None: ...

    def save(self, keys: KeySet) -> None: ...

    def version(self) -> object: ...

    def describe(self) -> str: ...

    @property
    def state_dir(self) -> Path:
        """The folder beside the keys where the audit head is kept (outside the database)."""
        ...


class KeyFile:
    """A 0600 JSON key file, replaced atomically (write, fsync, rename, fsync dir)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return f"file {self.path}"

    @property
    def state_dir(self) -> Path:
        return self.path.parent

    def version(self) -> object:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def load(self) -> KeySet | None:
        try:
            # O_NONBLOCK: a FIFO put in the key file's place must not hang the kiosk.
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise KeyUnreadable(f"{self.path}: {type(e).__name__} errno {e.errno}") from None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise KeyUnreadable(f"{self.path}: not a regular file")
        with os.fdopen(fd, "rb") as f:
            if stat.S_IMODE(st.st_mode) & 0o077:
                mode = oct(stat.S_IMODE(st.st_mode))
                raise KeyUnreadable(f"{self.path}: mode {mode}, expected 0600")
            raw = f.read(MAX_KEY_FILE + 1)
        if len(raw) > MAX_KEY_FILE:
            raise KeyUnreadable(f"{self.path}: too large for a key file")
        return KeySet.from_json(raw, str(self.path))

    def save(self, keys: KeySet) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, keys.to_json())
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
        except OSError as e:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise (from_os(e) or KeyUnreadable(f"{self.path}: cannot write")) from None


class KeyringKeySource:
    """The same JSON in the system keyring (Secret Service, ...), when `keyring` is installed."""

    SERVICE = "madoguchi-kiosk"

    def __init__(self, username: str, state_dir: Path | None = None) -> None:
        import keyring  # optional dependency: only imported when chosen

        self._keyring = keyring
        self.username = username
        self._state_dir = state_dir

    @staticmethod
    def available() -> bool:
        try:
            import keyring  # noqa: F401
        except ImportError:
            return False
        return True

    def describe(self) -> str:
        return f"keyring {self.SERVICE}/{self.username}"

    @property
    def state_dir(self) -> Path:
        if self._state_dir is not None:
            return self._state_dir
        import platformdirs

        return Path(platformdirs.user_state_dir(self.SERVICE)) / self.username

    def version(self) -> object:
        raw = self._keyring.get_password(self.SERVICE, self.username)
        return None if raw is None else hashlib.sha256(raw.encode()).hexdigest()

    def load(self) -> KeySet | None:
        raw = self._keyring.get_password(self.SERVICE, self.username)
        return None if raw is None else KeySet.from_json(raw.encode(), self.describe())

    def save(self, keys: KeySet) -> None:
        self._keyring.set_password(self.SERVICE, self.username, keys.to_json().decode("ascii"))


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
