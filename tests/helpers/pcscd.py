"""pytest plugin: the real pcscd for the session, and a virtual card slot on a free vpcd reader.

Enable with `pytest_plugins = ["tests.helpers.pcscd"]` in tests/conftest.py. pcscd is
started only when none runs, and stopped at the end of the session only if we started it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.devices.card.pcscd import PcscDaemon
from kiosk.devices.card.virtual import VirtualCardSlot
from kiosk.devices.card.virtual.slot import vpcd_reader_name
from kiosk.devices.card.vpcd import DEFAULT_PORT

VPCD_PORTS = (DEFAULT_PORT, DEFAULT_PORT + 1)


@pytest.fixture(scope="session")
def pcscd() -> Iterator[PcscDaemon]:
    """A running pcscd (started as a child if needed, stopped at session end if so)."""
    daemon = PcscDaemon.ensure(autostart=True)
    yield daemon
    daemon.stop()


def _reader_is_empty(reader: str) -> bool:
    from smartcard import scard

    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    try:
        hresult, states = scard.SCardGetStatusChange(ctx, 0, [(reader, scard.SCARD_STATE_UNAWARE)])
        if hresult != scard.SCARD_S_SUCCESS:
            return False
        return not states[0][1] & scard.SCARD_STATE_PRESENT
    finally:
        scard.SCardReleaseContext(ctx)


@pytest.fixture
def card_slot(pcscd: PcscDaemon) -> Iterator[VirtualCardSlot]:
    """A VirtualCardSlot on a vpcd reader that holds no card; emptied after the test."""
    for port in VPCD_PORTS:
        if _reader_is_empty(vpcd_reader_name(port)):
            slot = VirtualCardSlot(port)
            break
    else:
        pytest.fail(f"every vpcd reader holds a card already: {VPCD_PORTS}")
    yield slot
    slot.close()
    slot.wait_absent()  # the next test's fixture looks for an empty reader
