"""Face test data: the licensed photos in assets/faces/ (see its SOURCES.md), as card photos,
live frames and frame sequences. Built once per test session and kept in memory only."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from tests.conftest import REPO

FACES = REPO / "assets" / "faces"
PEOPLE = FACES / "people"


def photo(name: str) -> Path:
    """The path of a face photo, e.g. "obama.jpg"; a clear message if setup did not fetch it."""
    p = FACES / name
    if not p.is_file():
        raise FileNotFoundError(
            f"{p} is missing: run `make setup` (or `.venv/bin/python packaging/fetch_faces.py`)"
        )
    return p


@cache
def rgb(name: str) -> np.ndarray:
    from kiosk.devices.camera import read_frames

    return next(read_frames(photo(name)))


@cache
def card_photo(name: str) -> bytes:
    """A simulated card photo (card-like JPEG 2000) made from `name`."""
    from kiosk.devices.face import card_photo as cp

    return cp.simulate(rgb(name))


@cache
def live_frame(name: str) -> np.ndarray:
    """`name` as a 640x480 camera frame, the face at kiosk distance."""
    from kiosk.devices.face import synth

    return synth.fit_frame(rgb(name))


@cache
def head_turn(name: str, steps: int = 24) -> tuple[np.ndarray, ...]:
    """A synthetic genuine attempt: still, then turning the head and back (see synth.py)."""
    from kiosk.devices.face import synth

    return tuple(synth.head_turn(live_frame(name), steps=steps))


@cache
def flat_picture(name: str, motion: str, screen: bool = False) -> tuple[np.ndarray, ...]:
    """A printed photo (or phone screen) of `name` held up: still, slide, tilt or wave."""
    from kiosk.devices.face import synth

    return tuple(synth.flat_picture(live_frame(name), motion, screen=screen))


def two_people(left: str = "obama.jpg", right: str = "biden.jpg") -> np.ndarray:
    """One 640x480 frame with two faces of the same size side by side."""
    a, b = live_frame(left), live_frame(right)
    return np.ascontiguousarray(np.hstack([a[:, 160:480], b[:, 160:480]]))
