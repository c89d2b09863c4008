"""Bytes read from real My Number cards (../shared/vectors/), kept in the repository.

`tests/vectors/` holds copies so a clean clone has them; see tests/vectors/README.md.
"""

from __future__ import annotations

from pathlib import Path

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def load_hex(name: str) -> bytes:
    return bytes.fromhex("".join((VECTORS / name).read_text(encoding="ascii").split()))


# A JPKI AP card-verifiable certificate from a real card (its issuer's key is not public).
VECTOR = load_hex("jpki-intermediate-cvc.hex")
