from __future__ import annotations

import pytest

from kiosk.devices.card.trust import TrustTable
from kiosk.devices.card.virtual.profile import CardProfile
from tests.helpers.card import ALL_PROFILES, PROFILE_IDS


@pytest.fixture(scope="session")
def demo_trust() -> TrustTable:
    return TrustTable.demo()


@pytest.fixture(params=ALL_PROFILES, ids=PROFILE_IDS)
def profile(request: pytest.FixtureRequest) -> CardProfile:
    """Each virtual-card profile in turn: a test that takes it runs once per card layout."""
    return request.param  # type: ignore[no-any-return]
