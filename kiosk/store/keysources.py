"""Where the kiosk's keys are kept: sealed to the TPM, sealed with a passphrase, or (demo) a file.

`[keys] source` picks one (see `assets/config.example.toml`):

- `tpm2`: the key set is sealed with `systemd-creds encrypt --with-key=tpm2`; the unit's
  `LoadCredentialEncrypted=` hands the kiosk the unsealed copy in `$CREDENTIALS_DIRECTORY`
  (a private ramfs), so the key never lies on a disk in the clear. A copied disk without
  this machine's TPM unseals nothing.
- `passphrase`: sealed with a key stretched from an administrator's passphrase (argon2id);
  `kiosk keys unlock` at boot leaves the stretched key in a tmpfs file the kiosk reads.
- `insecure-file` / `file`: a plain 0600 JSON file (demo and tests; `file` is refused
  when `[site] demo = "off"`).

Each source has a `state_dir` beside the keys; the audit head (`kiosk.store.head`) lives
there, outside the database, so an older or emptied database is noticed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.config import Settings
from kiosk.errors import ConfigError
from kiosk.paths import DataDir
from kiosk.store.errors import KeysLocked, KeyUnreadable, from_os
from kiosk.store.keys import KeyFile, KeySet, KeySource, _fsync_dir

DEFAULT_KEYS_DIR = Path("/var/lib/madoguchi-kiosk-keys")
TIMEOUT_S = 120  # a real TPM answers in about a second; a stuck one must not hang start-up


def key_source(settings: Settings, data: DataDir) -> KeySource:
    """The key source `[keys]` names; `ConfigError` when it may not be used here."""
    k = settings.keys
    if k.source == "file":
        if settings.site.demo == "off":
            raise ConfigError(
                f"{settings.source}: '[keys] source = \"file\"' keeps the keys beside the "
                'database, for demo only: use "tpm2" or "passphrase" (docs/security.md)'
            )
        return KeyFile(data.key_file)
    directory = Path(k.dir) if k.dir else DEFAULT_KEYS_DIR
    if k.source == "insecure-file":
        return KeyFile(directory / "master.key")
    if k.source == "tpm2":
        return Tpm2Keys(directory, k.credential, k.tpm2_device)
    return PassphraseKeys(directory, k.credential, Path(k.unlock_file))


def inside(path: Path, folder: Path) -> bool:
    """True when `path` is `folder` or lies under it (after resolving links)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _write_private(path: Path, data: bytes) -> None:
    """0600, written to a temporary name, fsynced and renamed: never half a key file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except OSError as e:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise (from_os(e) or KeyUnreadable(f"{path}: cannot write")) from None


def _version(path: Path) -> object:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class Tpm2Keys:
    """The key set sealed to this machine's TPM by systemd-creds (`<dir>/<name>.cred`)."""

    def __init__(
        self, directory: Path, name: str, device: str = "auto", credentials: Path | None = None
    ) -> None:
        self.path = directory / f"{name}.cred"
        self.name = name
        self.device = device
        env = os.environ.get("CREDENTIALS_DIRECTORY")
        self.credentials = credentials or (Path(env) if env else None)
        self._loaded_once = False

    @property
    def state_dir(self) -> Path:
        return self.path.parent

    def describe(self) -> str:
        return f"tpm2 {self.path}"

    def version(self) -> object:
        return _version(self.path)

    def _device_args(self) -> list[str]:
        return [] if self.device == "auto" else [f"--tpm2-device={self.device}"]

    def _run(self, args: list[str], data: bytes | None = None) -> bytes:
        exe = shutil.which("systemd-creds")
        if exe is None:
            raise KeyUnreadable("systemd-creds is not installed (Debian package systemd)")
        try:
            done = subprocess.run(
                [exe, *args], input=data, capture_output=True, timeout=TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired:
            raise KeyUnreadable(f"{self.path}: the TPM did not answer in {TIMEOUT_S} s") from None
        if done.returncode != 0:
            why = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise KeyUnreadable(
                f"{self.path}: systemd-creds failed ({why[-1] if why else done.returncode}); "
                "sealed to another machine's TPM, or the TPM is not reachable"
            )
        return done.stdout

    def load(self) -> KeySet | None:
        # The unit's LoadCredentialEncrypted= copy first; after a rotation, the sealed file.
        unsealed = self.credentials / self.name if self.credentials else None
        first, self._loaded_once = not self._loaded_once, True
        if first and unsealed is not None and unsealed.is_file():
            return KeySet.from_json(unsealed.read_bytes(), f"credential {self.name}")
        if not self.path.exists():
            return None
        raw = self._run(["decrypt", f"--name={self.name}", *self._device_args(),
                         str(self.path), "-"])  # fmt: skip
        return KeySet.from_json(raw, self.describe())

    def save(self, keys: KeySet) -> None:
        sealed = self._run(
            ["encrypt", "--with-key=tpm2", f"--name={self.name}", *self._device_args(), "-", "-"],
            keys.to_json(),
        )
        _write_private(self.path, sealed)


ARGON2 = {"time_cost": 4, "memory_cost": 256 * 1024, "parallelism": 1}  # ~1 s: once per boot
_AAD = b"kiosk-keys-passphrase|"


class PassphraseKeys:
    """The key set sealed with AES-256-GCM under a key stretched from a passphrase (argon2id).

    `<dir>/<name>.sealed` holds salt, nonce and ciphertext; `unlock(passphrase)` checks the
    passphrase and leaves the stretched key in `unlock_file` (a tmpfs such as /run) for the
    kiosk to read. Without it `load` raises `KeysLocked` (exit 2; systemd tries again).
    """

    def __init__(self, directory: Path, name: str, unlock_file: Path) -> None:
        self.path = directory / f"{name}.sealed"
        self.name = name
        self.unlock_file = unlock_file

    @property
    def state_dir(self) -> Path:
        return self.path.parent

    def describe(self) -> str:
        return f"passphrase {self.path}"

    def version(self) -> object:
        return _version(self.path)

    def _sealed(self) -> dict[str, str] | None:
        try:
            obj = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            raise KeyUnreadable(
                f"{self.path}: not a sealed key file ({type(e).__name__})"
            ) from None
        if not isinstance(obj, dict) or obj.get("format") != "kiosk-keys-passphrase.v1":
            raise KeyUnreadable(f"{self.path}: not a sealed key file")
        return obj

    def _unlocked_key(self) -> bytes:
        try:
            key = bytes.fromhex(self.unlock_file.read_text(encoding="ascii").strip())
        except FileNotFoundError:
            raise KeysLocked(f"{self.describe()}: locked; run `kiosk keys unlock`") from None
        except (OSError, ValueError, UnicodeDecodeError):
            raise KeysLocked(f"{self.unlock_file}: unreadable; run `kiosk keys unlock`") from None
        if len(key) != 32:
            raise KeysLocked(f"{self.unlock_file}: unreadable; run `kiosk keys unlock`")
        return key

    @staticmethod
    def stretch(passphrase: str, salt: bytes) -> bytes:
        return hash_secret_raw(passphrase.encode("utf-8"), salt, hash_len=32, type=Type.ID,
                               **ARGON2)  # fmt: skip

    def _open(self, key: bytes, sealed: dict[str, str]) -> KeySet:
        try:
            raw = AESGCM(key).decrypt(
                base64.b64decode(sealed["nonce"]),
                base64.b64decode(sealed["ciphertext"]),
                _AAD + self.name.encode(),
            )
        except (InvalidTag, KeyError, ValueError):
            raise KeysLocked(f"{self.describe()}: wrong passphrase") from None
        return KeySet.from_json(raw, self.describe())

    def load(self) -> KeySet | None:
        sealed = self._sealed()
        if sealed is None:
            return None
        return self._open(self._unlocked_key(), sealed)

    def save(self, keys: KeySet) -> None:
        sealed = self._sealed()
        if sealed is None:
            raise KeysLocked(f"{self.describe()}: none yet; run `kiosk keys init`")
        self._seal(self._unlocked_key(), base64.b64decode(sealed["salt"]), keys)

    def _seal(self, key: bytes, salt: bytes, keys: KeySet) -> None:
        nonce = secrets.token_bytes(12)
        ct = AESGCM(key).encrypt(nonce, keys.to_json(), _AAD + self.name.encode())
        obj = {
            "format": "kiosk-keys-passphrase.v1",
            "kdf": {"alg": "argon2id", **ARGON2},
            "salt": base64.b64encode(salt).decode("ascii"),
            "nonce": base64.b64encode(nonce).decode("ascii"),
            "ciphertext": base64.b64encode(ct).decode("ascii"),
        }
        _write_private(self.path, json.dumps(obj, sort_keys=True).encode("ascii"))

    def init(self, passphrase: str, keys: KeySet) -> None:
        """Seal `keys` under a new passphrase (and leave them unlocked)."""
        salt = secrets.token_bytes(16)
        key = self.stretch(passphrase, salt)
        self._seal(key, salt, keys)
        self._write_unlock(key)

    def unlock(self, passphrase: str) -> None:
        """Check `passphrase` and leave the stretched key for the kiosk; `KeysLocked` if wrong."""
        sealed = self._sealed()
        if sealed is None:
            raise KeyUnreadable(f"{self.path}: no sealed keys; run `kiosk keys init`")
        key = self.stretch(passphrase, base64.b64decode(sealed["salt"]))
        self._open(key, sealed)
        self._write_unlock(key)

    def _write_unlock(self, key: bytes) -> None:
        _write_private(self.unlock_file, key.hex().encode("ascii"))
