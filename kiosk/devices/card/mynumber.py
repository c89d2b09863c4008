"""The My Number card's operations over any `CardTransport` (a PC/SC reader, or a test link).

What a caller may rely on:
- The 12-digit My Number is never read: text-AP EF 0001 and card-face EF 0005 are refused
  before an APDU is built, and 照合番号A is never sent (only 4-digit PINs and 14-digit 照合番号B;
  its key EFs, text-AP 0014 and card-face 0013, are refused like the files).
- A credential is not sent when the card reports one try left unless `staff_override=True`,
  nor when it is blocked; tries are read without spending one.
- Files are read header first, then exactly the bytes the TLV length gives, in chunks of the
  transport's `max_read`.
- Every fault is a typed `CardError`; card data comes back as frozen values.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum, StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from kiosk.devices.card import apdu, cvc, records, tlv
from kiosk.devices.card.apdu import Command, Response
from kiosk.devices.card.cvc import SignedOver
from kiosk.devices.card.errors import (
    CardError,
    CardExpired,
    CardProtocolError,
    CardTampered,
    CredentialBlocked,
    InternalAuthFailed,
    NotMyNumberCard,
    OneTryLeft,
    UntrustedIssuer,
    WrongCredential,
)
from kiosk.devices.card.records import (
    AuthKeyRecord,
    BasicInfo,
    CardFace,
    IntegrityRecord,
    TextRecord,
)
from kiosk.devices.card.transport import AID_FACE, AID_JPKI, AID_TEXT, CardTransport
from kiosk.devices.card.trust import TrustTable

SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
HEADER_READ = 6  # a 2-byte tag and up to 0x83 + 3 length bytes: every header fits

# (AP, EF) pairs that hold the My Number: never selected, never read.
FORBIDDEN_FILES = frozenset({(AID_TEXT, 0x0001), (AID_FACE, 0x0005)})
# (AP, key EF) pairs of 照合番号A (the My Number as a credential): never selected, never sent.
FORBIDDEN_KEYS = frozenset({(AID_TEXT, 0x0014), (AID_FACE, 0x0013)})


class Credential(Enum):
    """Each credential lives in a key EF of one AP; 照合番号B has one per AP that uses it."""

    TEXT_PIN = (AID_TEXT, 0x0011, "pin4")
    TEXT_PIN_B = (AID_TEXT, 0x0015, "pin_b")
    FACE_PIN_B = (AID_FACE, 0x0012, "pin_b")
    JPKI_AUTH_PIN = (AID_JPKI, 0x0018, "pin4")
    JPKI_SIGN_PASSWORD = (AID_JPKI, 0x001B, "password")  # tries only: the kiosk never signs

    @property
    def aid(self) -> bytes:
        return self.value[0]

    @property
    def key_fid(self) -> int:
        return self.value[1]


class Integrity(StrEnum):
    OK = "ok"
    FAILED = "failed"
    UNTRUSTED_ISSUER = "untrusted-issuer"


class InternalAuth(StrEnum):
    """Whether the card signed a fresh challenge with the key its signed data names."""

    OK = "ok"
    FAILED = "failed"  # a copy: the right data, another key (or no key record at all)
    NOT_CHECKED = "not-checked"  # no trusted key to check with: integrity says why


@dataclass(frozen=True)
class Certified:
    """An AP's certificate checked against the trust table."""

    integrity: Integrity
    key: rsa.RSAPublicKey | None  # the AP's key, when the issuer is trusted and 5F37 held
    signed_over: SignedOver | None  # what 5F37 turned out to cover


@dataclass(frozen=True)
class Tries:
    credential: Credential
    left: int | None  # None: no count given (no limit, or already verified: see `verified`)
    verified: bool = False  # verified in this session; the counter is full again

    @property
    def blocked(self) -> bool:
        return self.left == 0

    @property
    def last_try(self) -> bool:
        return self.left == 1


@dataclass(frozen=True)
class JpkiAuthentication:
    """A JPKI user authentication that succeeded: chain, validity and signature all held."""

    not_before: datetime
    not_after: datetime
    issuer: str  # the CA's name (not the certificate serial: that identifies a person)


@dataclass(frozen=True)
class CardReading:
    """What `read()` found. `basic`/`face` are None when the credential given does not open them."""

    basic: BasicInfo | None
    face: CardFace | None
    integrity: Integrity
    internal_auth: InternalAuth
    apdus: int
    cvc_signed_over: SignedOver | None = None  # the text AP's 5F37: over the 5F4E TLV or value
    auth_key_signed_over: SignedOver | None = None  # EF 0007's DF52 (PIN path): DF51 TLV or value

    def require_genuine(self, today: date) -> None:
        """Raise the first fault: untrusted issuer, tampered, copied card, expired card."""
        if self.integrity is Integrity.UNTRUSTED_ISSUER:
            raise UntrustedIssuer("the card's issuer is not in the trust table")
        if self.integrity is Integrity.FAILED:
            raise CardTampered("the card data does not match its signature")
        if self.internal_auth is InternalAuth.FAILED:
            raise InternalAuthFailed("the card could not prove it holds its key")
        if self.face is not None and self.face.expiry < today:
            raise CardExpired(f"the card expired on {self.face.expiry.isoformat()}")


def check_format(credential: Credential, secret: str) -> None:
    """Refuse what is not this credential's shape (so 照合番号A, 12 digits, never goes out)."""
    kind = credential.value[2]
    ok = {
        "pin4": len(secret) == 4 and secret.isascii() and secret.isdigit(),
        "pin_b": len(secret) == 14 and secret.isascii() and secret.isdigit(),
        "password": 6 <= len(secret) <= 16 and secret.isascii() and secret.isalnum(),
    }[kind]
    if not ok:
        raise CredentialFormatError(f"{credential.name} has the wrong format")


class CredentialFormatError(CardError):
    """The PIN or 照合番号B typed has the wrong shape; nothing was sent to the card."""

    message_id_default = "card.pin_format"


class MyNumberCard:
    """Operations on one connected My Number card. Not thread-safe: one caller at a time."""

    def __init__(self, transport: CardTransport, trust: TrustTable) -> None:
        self.transport = transport
        self.trust = trust
        self._ap: bytes | None = transport.selected_aid
        self._verified: set[Credential] = set()
        self._sfi = True  # short-EF addressing until the card refuses it
        self.max_read = transport.max_read  # lowered to 256 if the card refuses extended length
        self._text: TextRecord | None = None
        self._face: CardFace | None = None
        self._auth_key: AuthKeyRecord | None = None
        self._certified: dict[bytes, Certified] = {}
        self.apdus = 0

    # -- plumbing ---------------------------------------------------------------------------
    def _send(self, command: Command) -> Response:
        self.apdus += 1
        return self.transport.transmit(command)

    def _select_ap(self, aid: bytes) -> None:
        if self._ap == aid:
            return
        resp = self._send(apdu.select_df(aid))
        if resp.sw == apdu.SW_FILE_NOT_FOUND:
            raise NotMyNumberCard("the card has no My Number application")
        _expect_ok(resp, "SELECT AP")
        self._ap = aid
        self._verified.clear()  # security status belongs to the selected AP

    def _select_ef(self, fid: int) -> None:
        assert self._ap is not None
        if (self._ap, fid) in FORBIDDEN_FILES | FORBIDDEN_KEYS:
            raise PermissionError("the My Number and 照合番号A are never selected")
        _expect_ok(self._send(apdu.select_ef(fid)), f"SELECT EF {fid:04X}")

    def _read(self, aid: bytes, fid: int, outer_tag: int) -> bytes:
        """The TLV of an EF (header read first, then the rest in the largest chunks)."""
        if (aid, fid) in FORBIDDEN_FILES:
            raise PermissionError("the My Number files are never read")
        self._select_ap(aid)
        first = self._first_read(fid)
        try:
            tag, hlen, vlen = tlv.parse_header(first)
        except tlv.TlvError as e:
            raise CardProtocolError(f"EF {fid:04X}: {e}") from None
        if tag != outer_tag:
            raise CardProtocolError(f"EF {fid:04X}: tag {tag:X}, expected {outer_tag:X}")
        total = hlen + vlen
        data = bytearray(first[:total])
        while len(data) < total:
            want = min(self.max_read, total - len(data))
            resp = self._send(apdu.read_binary(len(data), want))
            if resp.sw == apdu.SW_WRONG_LENGTH and want > apdu.SHORT_MAX:
                self.max_read = apdu.SHORT_MAX  # no extended length after all: short chunks
                continue
            if resp.sw not in (apdu.SW_OK, apdu.SW_END_OF_FILE) or not resp.data:
                _expect_ok(resp, f"READ BINARY {fid:04X}")
                raise CardProtocolError(f"EF {fid:04X} ends before its TLV does")
            data += resp.data[: total - len(data)]
        return bytes(data)

    def _first_read(self, fid: int) -> bytes:
        if self._sfi and fid <= 0x1E:
            resp = self._send(apdu.read_binary(0, HEADER_READ, sfi=fid))
            if resp.sw in (apdu.SW_WRONG_P1P2, apdu.SW_FUNC_NOT_SUPPORTED):
                self._sfi = False
            else:
                return _read_ok(resp, fid)
        self._select_ef(fid)
        return _read_ok(self._send(apdu.read_binary(0, HEADER_READ)), fid)

    def _verify_command(self, credential: Credential, secret: bytes) -> Response:
        if (credential.aid, credential.key_fid) in FORBIDDEN_KEYS:
            raise PermissionError("照合番号A is never sent")
        self._select_ap(credential.aid)
        fid = credential.key_fid
        if self._sfi and fid <= 0x1E:
            resp = self._send(apdu.verify(0x80 | fid, secret))
            if resp.sw not in (apdu.SW_WRONG_P1P2, apdu.SW_FUNC_NOT_SUPPORTED):
                return resp
            self._sfi = False
        self._select_ef(fid)
        return self._send(apdu.verify(0x80, secret))

    # -- credentials ------------------------------------------------------------------------
    def tries(self, credential: Credential) -> Tries:
        """Tries left, read without spending one (VERIFY with no data)."""
        resp = self._verify_command(credential, b"")
        if resp.sw == apdu.SW_OK:  # already verified in this session: the counter is full
            return Tries(credential, None, verified=True)
        try:
            return Tries(credential, apdu.tries_from_sw(resp.sw))
        except ValueError:
            raise CardProtocolError(f"tries of {credential.name}: {resp.sw:04X}", resp.sw) from None

    def verify(self, credential: Credential, secret: str, staff_override: bool = False) -> None:
        """Verify a credential; refuses (OneTryLeft) to spend the last try without staff.

        Raises CredentialFormatError (nothing sent), CredentialBlocked, OneTryLeft,
        WrongCredential (with the tries now left).
        """
        check_format(credential, secret)
        if credential is Credential.JPKI_SIGN_PASSWORD:
            raise PermissionError("the kiosk never uses the signing password")
        tries = self.tries(credential)
        if tries.blocked:
            raise CredentialBlocked(f"{credential.name} is blocked")
        if tries.last_try and not staff_override:
            raise OneTryLeft(f"{credential.name} has one try left")
        resp = self._verify_command(credential, secret.encode("ascii"))
        if resp.ok:
            self._verified.add(credential)
            return
        if resp.sw in (apdu.SW_AUTH_BLOCKED, apdu.SW_DATA_INVALIDATED, 0x63C0):
            raise CredentialBlocked(f"{credential.name} is now blocked")
        if resp.sw & 0xFFF0 == 0x63C0:
            raise WrongCredential(resp.sw & 0x0F)
        raise CardProtocolError(f"VERIFY {credential.name}: {resp.sw:04X}", resp.sw)

    # -- the text AP ------------------------------------------------------------------------
    def read_basic_info(
        self, *, pin: str | None = None, pin_b: str | None = None, staff_override: bool = False
    ) -> BasicInfo:
        """Name, address, birth date and sex, opened with the PIN or with 照合番号B."""
        credential, secret = _one_of(pin, pin_b, Credential.TEXT_PIN, Credential.TEXT_PIN_B)
        if self._ap != AID_TEXT or credential not in self._verified:
            self.verify(credential, secret, staff_override)
        self._text = records.parse_text_record(self._read(AID_TEXT, 0x0002, 0xFF20))
        return self._text.info

    def certified_key(self, aid: bytes) -> Certified:
        """The AP's certificate (EF 0004, public) checked against the trust table; read once."""
        if aid not in self._certified:
            cert = cvc.parse(self._read(aid, 0x0004, 0x7F21))
            issuer = self.trust.issuer(cert.issuer_key_id)
            if issuer is None:
                found = Certified(Integrity.UNTRUSTED_ISSUER, None, None)
            else:
                form = cvc.signed_over(issuer.key, cert.signature, cert.body)
                key = cert.subject_key if form is not None else None
                found = Certified(Integrity.OK if key else Integrity.FAILED, key, form)
            self._certified[aid] = found
        return self._certified[aid]

    def check_text_integrity(self) -> Integrity:
        """DF32 against the basic info just read, and DF33 under the text AP's certificate."""
        if self._text is None or self._ap != AID_TEXT:
            raise RuntimeError("read_basic_info() first, and before leaving the text AP")
        record = records.parse_integrity_record(self._read(AID_TEXT, 0x0003, 0xFF30))
        return _text_integrity(self._text, record, self.certified_key(AID_TEXT))

    def check_auth_key(self) -> tuple[Integrity, SignedOver | None]:
        """EF 0007 of the text AP (open after the PIN or 照合番号B): DF52 under the AP's
        certified key, over the DF51 TLV or its value. A card without a readable EF 0007
        keeps no key to check: internal authentication then fails."""
        if self._text is None or self._ap != AID_TEXT:
            raise RuntimeError("read_basic_info() first, and before leaving the text AP")
        try:
            data = self._read(AID_TEXT, 0x0007, 0xFF50)
        except CardProtocolError as e:
            if e.sw not in (apdu.SW_FILE_NOT_FOUND, apdu.SW_SECURITY_NOT_SATISFIED):
                raise
            return Integrity.OK, None
        record = records.parse_auth_key_record(data)
        certified = self.certified_key(AID_TEXT)
        if certified.key is None:
            return certified.integrity, None
        form = cvc.signed_over(certified.key, record.signature, record.signed)
        if form is None:
            return Integrity.FAILED, None
        self._auth_key = record
        return Integrity.OK, form

    # -- the card-face AP -------------------------------------------------------------------
    def read_card_face(self, pin_b: str, staff_override: bool = False) -> CardFace:
        """Photo, birth date, sex, expiry (and the card's key), opened with 照合番号B only."""
        if self._ap != AID_FACE or Credential.FACE_PIN_B not in self._verified:
            self.verify(Credential.FACE_PIN_B, pin_b, staff_override)
        self._face = records.parse_card_face(self._read(AID_FACE, 0x0002, 0xFF20))
        return self._face

    def check_face_integrity(self) -> Integrity:
        """DF28 over the card face, under the card-face AP's certificate."""
        if self._face is None:
            raise RuntimeError("read_card_face() first")
        certified = self.certified_key(AID_FACE)
        if certified.key is None:
            return certified.integrity
        ok = cvc.verifies(certified.key, self._face.signature, self._face.signed_digest)
        return Integrity.OK if ok else Integrity.FAILED

    def internal_authenticate(self) -> bool:
        """The card signs a fresh challenge; True when the key its data names verifies it.

        In the card-face AP with DF24's key once the card face is read, else in the text AP
        with EF 0007's key (check_auth_key() first). The caller decides whether that key is
        trusted (read() checks only with a key whose signature held)."""
        if self._face is not None:
            aid, key = AID_FACE, self._face.card_key
        elif self._auth_key is not None:
            aid, key = AID_TEXT, self._auth_key.key
        else:
            raise RuntimeError("read_card_face() or check_auth_key() first: no key to check with")
        self._select_ap(aid)
        challenge = self._send(apdu.get_challenge(8))
        _expect_ok(challenge, "GET CHALLENGE")
        digest = hashlib.sha256(challenge.data + secrets.token_bytes(32)).digest()
        resp = self._send(apdu.internal_authenticate(SHA256_DIGEST_INFO + digest))
        if not resp.ok:
            return False
        return _verify_prehashed(key, resp.data, digest)

    # -- JPKI -------------------------------------------------------------------------------
    def jpki_authenticate(
        self, pin: str, now: datetime | None = None, staff_override: bool = False
    ) -> JpkiAuthentication:
        """公的個人認証: certificate chain and validity, then the card signs a fresh challenge.

        Raises UntrustedIssuer (no configured CA signed it), CardExpired (outside validity,
        checked before the PIN is spent), InternalAuthFailed (the signature does not verify).
        """
        now = now or datetime.now(UTC)
        cert, key = parse_jpki_certificate(self._read(AID_JPKI, 0x000A, 0x30))
        ca = _jpki_issuer(cert, self.trust)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise CardExpired("the JPKI certificate is not valid today")
        if not ca.not_valid_before_utc <= now <= ca.not_valid_after_utc:
            raise UntrustedIssuer("the JPKI CA certificate is not valid today")
        self.verify(Credential.JPKI_AUTH_PIN, pin, staff_override)
        self._select_ef(0x0017)
        digest = hashlib.sha256(secrets.token_bytes(32)).digest()
        resp = self._send(apdu.compute_signature(SHA256_DIGEST_INFO + digest))
        if not resp.ok:
            raise InternalAuthFailed(f"JPKI signature refused: {resp.sw:04X}")
        if not _verify_prehashed(key, resp.data, digest):
            raise InternalAuthFailed("the JPKI signature does not match the certificate")
        return JpkiAuthentication(
            cert.not_valid_before_utc, cert.not_valid_after_utc, ca.subject.rfc4514_string()
        )

    # -- everything a session needs ---------------------------------------------------------
    def read(
        self, *, pin: str | None = None, pin_b: str | None = None, staff_override: bool = False
    ) -> CardReading:
        """Basic info, integrity, and internal authentication, on either path.

        With the PIN: the text AP's EF 0002-0004 and EF 0007, then the challenge in the text
        AP. With 照合番号B: the same text AP files but EF 0007, the card face, and the
        challenge in the card-face AP. Internal authentication runs only with a key whose
        signatures held under a trusted issuer; otherwise it is `not-checked`.
        """
        start = self.apdus
        basic = self.read_basic_info(pin=pin, pin_b=pin_b, staff_override=staff_override)
        integrity = self.check_text_integrity()
        face, key_form, has_key = None, None, True
        if pin_b is None:
            key_integrity, key_form = self.check_auth_key()
            integrity = _worst(integrity, key_integrity)
            has_key = self._auth_key is not None
        else:
            face = self.read_card_face(pin_b, staff_override)
            integrity = _worst(integrity, self.check_face_integrity())
        if integrity is not Integrity.OK:
            internal = InternalAuth.NOT_CHECKED
        elif not has_key or not self.internal_authenticate():
            internal = InternalAuth.FAILED
        else:
            internal = InternalAuth.OK
        cvc_form = self.certified_key(AID_TEXT).signed_over
        return CardReading(basic, face, integrity, internal, self.apdus - start, cvc_form, key_form)


def _one_of(
    pin: str | None, pin_b: str | None, by_pin: Credential, by_b: Credential
) -> tuple[Credential, str]:
    if (pin is None) == (pin_b is None):
        raise TypeError("give exactly one of pin= or pin_b=")
    return (by_pin, pin) if pin is not None else (by_b, pin_b or "")


def _expect_ok(resp: Response, what: str) -> None:
    if not resp.ok:
        raise CardProtocolError(f"{what}: {resp.sw:04X}", resp.sw)


def _read_ok(resp: Response, fid: int) -> bytes:
    if resp.sw not in (apdu.SW_OK, apdu.SW_END_OF_FILE) or not resp.data:
        _expect_ok(resp, f"READ BINARY {fid:04X}")
        raise CardProtocolError(f"EF {fid:04X} is empty")
    return resp.data


def _verify_prehashed(key: rsa.RSAPublicKey, signature: bytes, digest: bytes) -> bool:
    try:
        key.verify(signature, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


def _text_integrity(text: TextRecord, record: IntegrityRecord, certified: Certified) -> Integrity:
    if certified.key is None:
        return certified.integrity
    if hashlib.sha256(text.signed_fields).digest() != record.basic_hash:
        return Integrity.FAILED
    signed = record.number_hash_tlv + record.basic_hash_tlv  # DF33 covers the two TLVs
    ok = cvc.verifies(certified.key, record.signature, signed)
    return Integrity.OK if ok else Integrity.FAILED


def _worst(a: Integrity, b: Integrity) -> Integrity:
    order = [Integrity.OK, Integrity.UNTRUSTED_ISSUER, Integrity.FAILED]
    return max(a, b, key=order.index)


def parse_jpki_certificate(der: bytes) -> tuple[x509.Certificate, rsa.RSAPublicKey]:
    """The JPKI authentication certificate and its RSA key. Everything the check reads of it
    is read here, before the PIN is spent: a malformed certificate is a CardProtocolError, not
    a crash after the card has counted a try."""
    try:
        cert = x509.load_der_x509_certificate(der)
        key = cert.public_key()
        _ = (cert.issuer, cert.signature, cert.tbs_certificate_bytes)
        _ = (cert.signature_hash_algorithm, cert.not_valid_before_utc, cert.not_valid_after_utc)
    except (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion):
        raise CardProtocolError("the JPKI certificate is not a DER X.509 certificate") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise CardProtocolError("the JPKI certificate's key is not RSA")
    return cert, key


def _jpki_issuer(cert: x509.Certificate, trust: TrustTable) -> x509.Certificate:
    for ca in trust.jpki_cas:
        if ca.subject != cert.issuer:
            continue
        key = ca.public_key()
        if not isinstance(key, rsa.RSAPublicKey) or cert.signature_hash_algorithm is None:
            continue
        try:
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       cert.signature_hash_algorithm)  # fmt: skip
        except InvalidSignature:
            continue
        return ca
    raise UntrustedIssuer("no configured JPKI CA issued this certificate")
