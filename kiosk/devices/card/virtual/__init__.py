"""The virtual My Number card and the demo residents it carries (demo mode and tests)."""

from kiosk.devices.card.virtual.card import VirtualMyNumberCard, VirtualOtherCard
from kiosk.devices.card.virtual.residents import DemoResident, demo_resident, list_demo_residents
from kiosk.devices.card.virtual.slot import VirtualCardSlot

__all__ = [
    "DemoResident",
    "VirtualCardSlot",
    "VirtualMyNumberCard",
    "VirtualOtherCard",
    "demo_resident",
    "list_demo_residents",
]
