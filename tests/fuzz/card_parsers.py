"""Coverage-guided fuzzing (atheris) of what the kiosk parses from a card: BER-TLV, the text
and card-face records, the integrity record, card-verifiable certificates, the JPKI X.509
certificate, APDU framing.

Each may fail only with its typed error (`CardProtocolError`, or `ValueError` for APDU
framing): any other exception is a crash that atheris reports with the input that caused it.
The seeds are the virtual card's files and a real card's certificate (tests/vectors/), so
mutations start from well-formed data.

    python -m tests.fuzz.card_parsers CORPUS_DIR -max_total_time=60 -artifact_prefix=DIR/

`make fuzz` runs it longer; tests/unit/card/test_atheris.py runs it briefly in `make test`.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from kiosk.devices.card import cvc, publickey, records, tlv
    from kiosk.devices.card.apdu import Command, Response
    from kiosk.devices.card.errors import CardProtocolError
    from kiosk.devices.card.mynumber import parse_jpki_certificate

PARSERS = (
    lambda d: list(tlv.iter_tlvs(d)),
    tlv.children,
    lambda d: tlv.parse_file(d, 0xFF20),
    records.parse_text_record,
    records.parse_integrity_record,
    records.parse_card_face,
    cvc.parse,
    parse_jpki_certificate,
    records.parse_auth_key_record,
    records.parse_birth_record,
    lambda d: publickey.parse_rsa_key(d, "key"),
)


def one_input(data: bytes) -> None:
    """The first byte picks the parser, the rest is its input."""
    if not data:
        return
    choice, body = data[0], data[1:]
    if choice % (len(PARSERS) + 1) == len(PARSERS):
        try:
            command = Command.decode(body)
        except ValueError:
            pass
        else:
            assert Command.decode(command.encode()) == command
        try:
            Response.decode(body)
        except ValueError:
            assert len(body) < 2
        return
    with contextlib.suppress(CardProtocolError):  # TlvError is one
        PARSERS[choice % (len(PARSERS) + 1)](body)


def write_seeds(corpus: Path) -> None:
    """The virtual card's files, one seed per parser."""
    from tests.helpers.card import virtual_card

    card = virtual_card("hanako")
    apps = list(card.image.applications.values())
    jpki, text, face = apps[0], apps[1], apps[2]
    files = {
        3: text.files[2].data,
        4: text.files[3].data,
        5: face.files[2].data,
        6: text.files[4].data,
        7: tlv.parse_file(jpki.files[0x000A].data, 0x30).raw,
        8: text.files[7].data,
        9: face.files[1].data,
        10: face.files[2].data[face.files[2].data.index(b"\x90\x03\x01\x00\x01") :][:270],
    }
    from tests.helpers.vectors import VECTOR

    files[6 + len(PARSERS) + 1] = VECTOR  # picks cvc.parse too, with a seed of its own
    corpus.mkdir(parents=True, exist_ok=True)
    for parser, data in files.items():
        (corpus / f"seed-{parser}").write_bytes(bytes([parser]) + data)
        (corpus / f"seed-tlv-{parser}").write_bytes(b"\x00" + data)


def main() -> None:
    corpus = next((Path(a) for a in sys.argv[1:] if not a.startswith("-")), None)
    if corpus is not None and not any(corpus.glob("seed-*")):
        write_seeds(corpus)
    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
