from __future__ import annotations

import pytest

from kiosk.devices.card.trust import TrustTable


@pytest.fixture(scope="session")
def demo_trust() -> TrustTable:
    return TrustTable.demo()
