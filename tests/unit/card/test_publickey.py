"""One RSA key parser for every key on the card, checked against bytes from a real card.

The vector (tests/vectors/, from ../shared/vectors/) was read off a real My Number card by
others: it is parsed as it is, and with its issuer in no trust table it reads as
`untrusted-issuer`, never as a parse error.
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk.devices.card import cvc, publickey, records, tlv
from kiosk.devices.card.mynumber import Integrity, InternalAuth, MyNumberCard
from kiosk.devices.card.tlv import TlvError
from kiosk.devices.card.transport import AID_FACE, AID_TEXT
from kiosk.devices.card.trust import IssuerKey, TrustTable
from kiosk.devices.card.virtual.image import ElementaryFile
from kiosk.devices.card.virtual.keys import derived_key
from kiosk.devices.card.virtual.profile import CardProfile
from tests.helpers.card import DirectLink, virtual_card
from tests.helpers.vectors import VECTOR

E_TLV = bytes.fromhex("90030100 01".replace(" ", ""))  # 90 03 010001, as on the real card


def n_tlv(n: int, tag: int = 0x91) -> bytes:
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x82]) + len(body).to_bytes(2, "big") + body


def test_the_real_certificate_parses_as_it_is() -> None:
    cert = cvc.parse(VECTOR)
    assert cert.issuer_key_id == b"9200073\x08\x050010000"
    assert len(cert.subject_key_id) == 16
    nums = cert.subject_key.public_numbers()
    assert nums.e == 65537 and nums.n.bit_length() == 2048
    assert tlv.parse_one(VECTOR)[1] == len(VECTOR)  # long-form lengths, read to the last byte
    assert len(cert.signature) == 256 and cert.body.raw.startswith(b"\x5f\x4e\x82\x01\x29")


def test_the_real_certificate_on_a_card_reads_untrusted_not_broken(
    demo_trust: TrustTable, profile: CardProfile
) -> None:
    """Its issuer is in no table we hold: `untrusted-issuer`, the card read to the end."""
    chip = virtual_card("hanako", profile=profile)
    chip.image.applications[AID_TEXT].files[0x0004] = ElementaryFile(VECTOR + b"\xff" * 16)
    for trust in (demo_trust, TrustTable()):
        reading = MyNumberCard(DirectLink(chip), trust).read(pin="1234")
        assert reading.integrity is Integrity.UNTRUSTED_ISSUER
        assert reading.internal_auth is InternalAuth.NOT_CHECKED
        assert reading.basic is not None and reading.basic.name == "山田　花子"


def test_the_real_certificate_under_a_wrong_issuer_key_fails() -> None:
    """An entry with the real issuer's key id but another key: neither scope verifies."""
    cert = cvc.parse(VECTOR)
    wrong = derived_key("issuer/test-jlis").public_key()
    assert cvc.signed_over(wrong, cert.signature, cert.body) is None
    table = TrustTable({cert.issuer_key_id: IssuerKey("wrong", cert.issuer_key_id, wrong)})
    chip = virtual_card("hanako")
    chip.image.applications[AID_TEXT].files[0x0004] = ElementaryFile(VECTOR)
    reading = MyNumberCard(DirectLink(chip), table).read(pin="1234")
    assert reading.integrity is Integrity.FAILED and reading.cvc_signed_over is None


def test_every_key_on_the_card_comes_through_the_one_parser(
    monkeypatch: pytest.MonkeyPatch, profile: CardProfile
) -> None:
    seen: list[str] = []
    real = publickey.parse_rsa_key

    def counting(data: bytes, what: str) -> rsa.RSAPublicKey:
        seen.append(what)
        return real(data, what)

    monkeypatch.setattr(publickey, "parse_rsa_key", counting)
    apps = virtual_card("hanako", profile=profile).image.applications
    text, face = apps[AID_TEXT].files, apps[AID_FACE].files
    card_key = derived_key("card/hanako").public_key().public_numbers()
    assert cvc.parse(text[0x0004].data).subject_key.key_size == 2048
    assert records.parse_auth_key_record(text[0x0007].data).key.key_size == 2048
    assert records.parse_card_face(face[0x0002].data).card_key.public_numbers() == card_key
    birth = records.parse_birth_record(face[0x0001].data)
    assert birth.key.public_numbers() == card_key and birth.birth_date.year == 1941
    assert seen == ["certificate key", "DF51", "DF24 (the card's key)", "DF12"]


def test_exponent_and_modulus_tlvs_and_filler() -> None:
    n = derived_key("card/hanako").public_key().public_numbers().n
    key = publickey.parse_rsa_key(E_TLV + n_tlv(n) + b"\xff" * 8, "DF24")
    assert key.public_numbers().n == n and key.public_numbers().e == 65537


def test_a_der_subject_public_key_info_is_still_taken() -> None:
    pub = derived_key("card/hanako").public_key()
    spki = pub.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert publickey.parse_rsa_key(spki + b"\xff\xff", "DF24").public_numbers() == (
        pub.public_numbers()
    )


N = derived_key("card/hanako").public_key().public_numbers().n


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        (b"", "0 TLVs"),
        (E_TLV, "1 TLVs"),
        (E_TLV + n_tlv(N) + E_TLV, "3 TLVs"),
        (bytes.fromhex("F003") + b"\x01\x00\x01" + n_tlv(N), "constructed"),
        (E_TLV + n_tlv(0x1FFFF), "17-bit modulus"),
        (E_TLV + n_tlv(N + 1), "even"),
        (bytes.fromhex("9003010000") + n_tlv(N), "exponent"),
        (bytes.fromhex("9000") + n_tlv(N), "empty number"),
        (E_TLV + n_tlv(N)[:100], "runs past"),
        (bytes.fromhex("3003020100"), "not a public key"),
    ],
)
def test_anything_else_is_a_typed_error(data: bytes, complaint: str) -> None:
    with pytest.raises(TlvError, match=complaint) as e:
        publickey.parse_rsa_key(data, "DF24")
    assert e.value.message_id == "card.protocol"
