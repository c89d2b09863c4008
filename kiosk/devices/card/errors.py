"""Typed card faults. Each is a `KnownError` whose message id lives in assets/i18n/card.toml.

A caller may rely on: the class says what happened, `message_id` is translatable, `detail`
carries no personal data (never a PIN, name or number), and nothing was spent that the
exception does not say was spent.
"""

from __future__ import annotations

from kiosk.errors import KnownError


class CardError(KnownError):
    """Base of every card fault."""

    message_id_default = "card.error"

    def __init__(self, detail: str = "", **params: object) -> None:
        super().__init__(self.message_id_default, detail, **params)


class PcscdNotRunning(CardError):
    """The PC/SC daemon is not running and we may not start it."""

    message_id_default = "card.pcscd_down"


class ReaderGone(CardError):
    """The reader was unplugged or is not (any more) known to pcscd."""

    message_id_default = "card.reader_gone"


class NoReader(CardError):
    """No reader at all is connected."""

    message_id_default = "card.no_reader"


class NoCard(CardError):
    """No card is on the reader."""

    message_id_default = "card.no_card"


class CardRemoved(CardError):
    """The card left the reader during an operation; nothing read so far is kept."""

    message_id_default = "card.removed"


class NotMyNumberCard(CardError):
    """The card does not answer to the My Number card's applications."""

    message_id_default = "card.not_my_number"


class CredentialBlocked(CardError):
    """The credential has no tries left; only the city office can reset it."""

    message_id_default = "card.blocked"


class OneTryLeft(CardError):
    """Refused to send the credential: one try is left and no member of staff overrode."""

    message_id_default = "card.one_try_left"


class WrongCredential(CardError):
    """The credential was wrong; `tries_left` says how many remain."""

    message_id_default = "card.wrong_pin"

    def __init__(self, tries_left: int | None, detail: str = "") -> None:
        super().__init__(detail or f"wrong credential, tries left: {tries_left}", tries=tries_left)
        self.tries_left = tries_left


class CardExpired(CardError):
    """The card (or its certificate) is past its expiry date."""

    message_id_default = "card.expired"


class CardTampered(CardError):
    """The data on the card does not match its signature."""

    message_id_default = "card.tampered"


class InternalAuthFailed(CardError):
    """The card could not sign with the key its data names: a copy, not the issued card."""

    message_id_default = "card.internal_auth_failed"


class UntrustedIssuer(CardError):
    """The card's certificate comes from an issuer that is not in the trust table."""

    message_id_default = "card.untrusted_issuer"


class CardProtocolError(CardError):
    """The card answered something the protocol does not allow (bad TLV, odd status word)."""

    message_id_default = "card.protocol"

    def __init__(self, detail: str = "", sw: int | None = None) -> None:
        super().__init__(detail)
        self.sw = sw


class TrustTableError(CardError):
    """The trust table file is missing or malformed; the message names the file and the key."""

    message_id_default = "card.trust_table"
    exit_code = 2
