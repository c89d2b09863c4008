"""RSA keys derived from a name, for the virtual card and the test CA only.

The same label always gives the same key, so the demo trust table in assets/trust/ can be
committed and checked, and no private key file ships. Anyone can derive these keys: the
kiosk trusts them only in demo and test configuration.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

_SMALL_PRIMES = [p for p in range(3, 8000) if all(p % d for d in range(2, int(p**0.5) + 1))]
_E = 65537


class _Stream:
    """A SHAKE-256 byte stream: deterministic and good enough for test keys."""

    def __init__(self, seed: bytes) -> None:
        self._seed = seed
        self._counter = 0

    def take(self, n: int) -> bytes:
        self._counter += 1
        return hashlib.shake_256(self._seed + self._counter.to_bytes(8, "big")).digest(n)


def _is_probable_prime(n: int, stream: _Stream, rounds: int = 8) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        a = 2 + int.from_bytes(stream.take(len(n.to_bytes((n.bit_length() + 7) // 8)))) % (n - 3)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, stream: _Stream) -> int:
    while True:
        c = int.from_bytes(stream.take(bits // 8), "big")
        c |= (3 << (bits - 2)) | 1  # top two bits set: the product has exactly 2*bits bits
        if (c - 1) % _E and _is_probable_prime(c, stream):
            return c


def cache_dir() -> Path:
    """Where derived keys are kept between runs (deriving one takes ~0.4 s of pure Python).

    They are the same keys anyone derives from the labels, so caching them exposes nothing.
    `KIOSK_TEST_KEY_CACHE` overrides the place; an empty value turns the cache off.
    """
    env = os.environ.get("KIOSK_TEST_KEY_CACHE")
    if env is not None:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("madoguchi-kiosk")) / "test-keys"


@lru_cache(maxsize=256)
def derived_key(label: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    """The RSA key for `label` (e.g. "issuer/test-jlis", "card/hanako"), same on every run."""
    folder = cache_dir()
    name = hashlib.sha256(f"{bits}:{label}".encode()).hexdigest()[:32] + ".der"
    if str(folder):
        with contextlib.suppress(OSError, ValueError):
            key = serialization.load_der_private_key((folder / name).read_bytes(), None)
            if isinstance(key, rsa.RSAPrivateKey) and key.key_size == bits:
                return key
    key = _derive(label, bits)
    if str(folder):
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{name}.{os.getpid()}"
            tmp.write_bytes(
                key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
            tmp.replace(folder / name)
    return key


def _derive(label: str, bits: int) -> rsa.RSAPrivateKey:
    stream = _Stream(b"madoguchi-kiosk test key\x00" + label.encode())
    p = _prime(bits // 2, stream)
    q = _prime(bits // 2, stream)
    while q == p:
        q = _prime(bits // 2, stream)
    if p < q:
        p, q = q, p
    n = p * q
    d = pow(_E, -1, (p - 1) * (q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=d % (p - 1),
        dmq1=d % (q - 1),
        iqmp=pow(q, -1, p),
        public_numbers=rsa.RSAPublicNumbers(_E, n),
    )
    return numbers.private_key()
