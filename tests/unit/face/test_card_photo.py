"""Card-like photos: greyscale JPEG 2000 within the byte budget; bad bytes give a message id."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.devices.face import card_photo
from tests.helpers import faces


def test_simulated_card_photo_is_a_small_greyscale_jp2() -> None:
    data = faces.card_photo("obama.jpg")
    assert data[:8] == card_photo.JP2_SIGNATURE
    assert len(data) <= card_photo.CARD_LIKE.max_bytes
    grey = card_photo.decode(data)
    assert grey.shape == (card_photo.CARD_LIKE.height, card_photo.CARD_LIKE.width)
    assert grey.dtype == np.uint8


def test_a_smaller_budget_gives_a_smaller_file() -> None:
    fmt = card_photo.CardPhotoFormat(max_bytes=2500)
    data = card_photo.simulate(faces.rgb("biden.jpg"), fmt)
    assert len(data) <= 2500
    assert data[:8] == card_photo.JP2_SIGNATURE


def test_garbage_is_unreadable() -> None:
    with pytest.raises(card_photo.CardPhotoError) as e:
        card_photo.decode(b"\x00\x01not an image")
    assert e.value.message_id == "face.error.card_photo_unreadable"


def test_a_photo_without_a_face_is_refused() -> None:
    blank = np.full((300, 240, 3), 128, np.uint8)
    with pytest.raises(card_photo.CardPhotoError) as e:
        card_photo.simulate(blank)
    assert e.value.message_id == "face.error.card_photo_no_face"
