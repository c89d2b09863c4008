"""Madoguchi kiosk: in-person digital support with the My Number card."""

__version__ = "0.1.0"
