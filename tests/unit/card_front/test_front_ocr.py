"""Card-front OCR on synthetic card fronts (layout unconfirmed) and on scripted OCR output."""

from __future__ import annotations

import random
from datetime import date

import numpy as np
import pytest
from PIL import Image

from kiosk.devices.card.front_ocr import (
    CardFrontReader,
    CardFrontReading,
    OcrLine,
    OcrTimeout,
    OcrWord,
    TesseractOcr,
    parse_tsv,
)
from kiosk.errors import KnownError
from kiosk.wareki import Era, WarekiDate

from .synthetic import (
    Capture,
    CardFace,
    photograph,
    random_capture,
    random_face,
    render_back,
    render_front,
)

DOMAIN_EXAMPLE = CardFace(
    name="山田　花子",
    address="東京都千代田区霞が関１丁目２番３号",
    birth=date(1980, 2, 17),
    sex="女",
    expiry=date(2035, 2, 17),
    security_code="2285",
)


@pytest.fixture(scope="module")
def reader() -> CardFrontReader:
    return CardFrontReader()


def test_clean_front_gives_pin_b(reader: CardFrontReader) -> None:
    reading = reader.read(photograph(render_front(DOMAIN_EXAMPLE), Capture()))
    assert reading.card_found
    assert reading.birth.value == WarekiDate(Era.SHOWA, 55, 2, 17)
    assert reading.birth_date == date(1980, 2, 17)
    assert reading.expiry_year.value == 2035
    assert reading.security_code.value == "2285"
    assert reading.birthday_matches_expiry is True
    assert reading.complete
    assert reading.pin_b() == "55021720352285"
    for confidence in (
        reading.birth.confidence,
        reading.expiry_year.confidence,
        reading.security_code.confidence,
    ):
        assert 0.6 <= confidence <= 1.0


@pytest.mark.parametrize(
    "capture",
    [
        Capture(scale=1.1, rotate_deg=3, perspective=0.03, blur=0.8, noise=5),
        Capture(scale=1.2, rotate_deg=-5, perspective=0.02, blur=0.5, noise=3, brightness=0.85),
        Capture(scale=1.0, rotate_deg=180),
    ],
    ids=["tilted-blurred", "dim", "upside-down"],
)
def test_degraded_captures_still_read(reader: CardFrontReader, capture: Capture) -> None:
    reading = reader.read(photograph(render_front(DOMAIN_EXAMPLE), capture, seed=7))
    assert reading.pin_b() == "55021720352285"


def test_gannen_and_reiwa(reader: CardFrontReader) -> None:
    face = CardFace("佐藤　一郎", "宮城県仙台市青葉区本町３丁目８番１号", date(2019, 5, 1), "男",
                    date(2029, 5, 1), "0407")  # fmt: skip
    reading = reader.read(photograph(render_front(face), Capture(scale=1.1)))
    assert reading.birth.value == WarekiDate(Era.REIWA, 1, 5, 1)
    assert reading.pin_b() == "01050120290407"


def test_random_fronts_read_right_or_not_at_all(reader: CardFrontReader) -> None:
    """A smoke of bench/card_front_ocr.py (the read rate over 160 fronts, `make bench`): two
    random fronts, every field read is right and at least one 照合番号B is read."""
    rng = random.Random(42)
    right = wrong = 0
    samples = 2
    for i in range(samples):
        face = random_face(rng)
        frame = photograph(render_front(face), random_capture(rng), seed=i)
        reading = reader.read(frame)
        got = reading.pin_b()
        if got == face.expected_pin_b():
            right += 1
        elif got is not None:
            wrong += 1
        # A field that was read is right; the reader leaves unclear fields empty.
        if reading.birth.value is not None:
            assert reading.birth_date == face.birth
        if reading.expiry_year.value is not None:
            assert reading.expiry_year.value == face.expiry.year
        if reading.security_code.value is not None:
            assert reading.security_code.value == face.security_code
    assert wrong == 0
    assert right >= 1  # the rate itself is measured in bench/card_front_ocr.py


def test_back_with_my_number_is_discarded(reader: CardFrontReader) -> None:
    number = "987654321098"
    reading = reader.read(photograph(render_back(number), Capture(scale=1.1)))
    assert reading.my_number_side_seen
    assert reading.birth.value is None
    assert reading.expiry_year.value is None
    assert reading.security_code.value is None
    assert reading.pin_b() is None
    assert number[:4] not in repr(reading)


def test_no_card_in_view(reader: CardFrontReader) -> None:
    frame = np.full((720, 1280, 3), 40, dtype=np.uint8)
    reading = reader.read(frame)
    assert not reading.card_found
    assert reading.pin_b() is None
    assert not reading.complete


def test_frame_must_be_rgb_uint8(reader: CardFrontReader) -> None:
    with pytest.raises(ValueError):
        reader.read(np.zeros((10, 10), dtype=np.uint8))
    with pytest.raises(ValueError):
        reader.read(np.zeros((10, 10, 3), dtype=np.float32))


def test_reading_repr_hides_values() -> None:
    reading = CardFrontReader(ScriptedOcr([line("昭和55年2月17日生")])).read(blank_frame())
    assert reading.birth.value is not None
    assert "55" not in repr(reading)
    assert "unread" in repr(reading)


def test_missing_tesseract_is_a_known_error() -> None:
    with pytest.raises(KnownError) as caught:
        TesseractOcr(binary="tesseract-not-installed")
    assert caught.value.message_id == "ocr.unavailable"


def test_parse_tsv_groups_words_into_lines() -> None:
    columns = "level page_num block_num par_num line_num word_num left top width height conf text"
    header = columns.replace(" ", "\t")
    rows = [
        "5\t1\t1\t1\t1\t1\t10\t10\t40\t30\t91.5\t昭和",
        "5\t1\t1\t1\t1\t2\t52\t10\t30\t30\t88\t55年",
        "5\t1\t2\t1\t1\t1\t10\t80\t30\t30\t-1\t ",
        "5\t1\t3\t1\t1\t1\t10\t120\t60\t30\t70\t2285",
    ]
    lines = parse_tsv("\n".join([header, *rows]))
    assert [ln.text_and_spans()[0] for ln in lines] == ["昭和55年", "2285"]
    assert lines[0].words[0].confidence == pytest.approx(0.915)


# --- the decision rules, with OCR output scripted by a small engine --------------------


def word(text: str, conf: float, left: int) -> OcrWord:
    return OcrWord(text, conf, left, 100, 20 * len(text), 30)


def line(*parts: str, conf: float = 0.9) -> OcrLine:
    """Words placed side by side with no gap (Japanese runs on without spaces)."""
    words, left = [], 10
    for part in parts:
        words.append(word(part, conf, left))
        left += 20 * len(part)
    return OcrLine(tuple(words))


class ScriptedOcr:
    """An OCR engine that answers each call with the next scripted page of lines."""

    def __init__(
        self,
        *pages: list[OcrLine],
        digits: list[OcrLine] | None = None,
        lines: list[OcrLine] | None = None,
    ) -> None:
        self.pages = list(pages)
        self.digits = digits or []
        self.lines = lines or []
        self.modes: list[str] = []
        self.calls = 0

    def __call__(self, grey: np.ndarray, mode: str = "page") -> list[OcrLine]:
        self.modes.append(mode)
        if mode == "digits":
            return self.digits
        if mode == "line":
            return self.lines
        self.calls += 1
        return self.pages[min(self.calls - 1, len(self.pages) - 1)]


def blank_frame() -> np.ndarray:
    return np.asarray(Image.new("RGB", (640, 400), (200, 200, 200)))


FULL = [
    line("昭和", "55年", "2月17日生"),
    line("2035年", "2月17日まで有効"),
    line("セキュリティコード", " 2285"),
]


def test_agreeing_passes_give_every_field() -> None:
    reading = CardFrontReader(ScriptedOcr(FULL, FULL)).read(blank_frame())
    assert reading.pin_b() == "55021720352285"


def test_disagreeing_passes_leave_the_field_empty() -> None:
    other = [FULL[0], line("2036年", "2月17日まで有効"), FULL[2]]
    reading = CardFrontReader(ScriptedOcr(FULL, other)).read(blank_frame())
    assert reading.expiry_year.value is None
    assert reading.birth.value is not None
    assert reading.pin_b() is None


def test_a_confident_dissent_blocks_even_a_majority() -> None:
    # Two passes say 2285, the digit-only pass says 2265 with confidence: nobody can tell.
    digits = [line("2265", conf=0.9)]
    ocr = ScriptedOcr(FULL, FULL, digits=digits)
    reading = CardFrontReader(ocr).read(blank_frame())
    assert reading.security_code.value is None


def test_low_confidence_single_read_is_dropped() -> None:
    page = [line("昭和55年2月17日生", conf=0.45)]
    reading = CardFrontReader(ScriptedOcr(page, [])).read(blank_frame())
    assert reading.birth.value is None


@pytest.mark.parametrize(
    "text",
    ["平成31年5月1日生", "昭和64年1月8日生", "昭和55年2月30日生"],
)
def test_impossible_birth_dates_are_not_returned(text: str) -> None:
    reading = CardFrontReader(ScriptedOcr([line(text)], [line(text)])).read(blank_frame())
    assert reading.birth.value is None


def test_expiry_year_outside_card_era_is_ignored() -> None:
    page = [line("1999年2月17日まで有効")]
    reading = CardFrontReader(ScriptedOcr(page, page)).read(blank_frame())
    assert reading.expiry_year.value is None


@pytest.mark.parametrize(
    "shown", ["1234 5678 9012", "123456789012", "1234-5678-9012", "1234 56789012"]
)
def test_any_twelve_digit_line_discards_the_frame(shown: str) -> None:
    page = [*FULL, line(shown)]
    reading = CardFrontReader(ScriptedOcr(page, FULL)).read(blank_frame())
    assert reading.my_number_side_seen
    assert reading.pin_b() is None
    assert reading.birth.value is None


def test_unclear_date_line_gets_a_second_look_as_one_line() -> None:
    unclear = [line("昭和5", "5年2月17日生", conf=0.2), *FULL[1:]]
    ocr = ScriptedOcr(unclear, unclear, lines=[line("昭和55年2月17日生", conf=0.92)])
    reading = CardFrontReader(ocr).read(blank_frame())
    assert "line" in ocr.modes
    assert reading.birth.value == WarekiDate(Era.SHOWA, 55, 2, 17)


def test_second_look_that_disagrees_leaves_the_field_empty() -> None:
    unsure = [line("昭和55年2月17日生", conf=0.5), *FULL[1:]]
    ocr = ScriptedOcr(unsure, [], lines=[line("昭和56年2月17日生", conf=0.9)])
    reading = CardFrontReader(ocr).read(blank_frame())
    assert reading.birth.value is None


def test_number_split_into_separate_words_and_lines_is_caught() -> None:
    # psm 11 may return each 4-digit group as its own line; they still sit side by side.
    groups = [OcrLine((OcrWord(g, 0.9, 10 + 120 * i, 300, 100, 40),)) for i, g in
              enumerate(["1234", "5678", "9012"])]  # fmt: skip
    page = [*FULL, *groups]
    reading = CardFrontReader(ScriptedOcr(page, page)).read(blank_frame())
    assert reading.my_number_side_seen
    assert reading.security_code.value is None


class SlowFirstPassOcr(ScriptedOcr):
    """The first page pass times out, as tesseract does on a very noisy frame."""

    def __call__(self, grey: np.ndarray, mode: str = "page") -> list[OcrLine]:
        if mode == "page" and self.calls == 0:
            self.calls += 1
            raise OcrTimeout("ocr.failed", "tesseract timed out")
        return super().__call__(grey, mode)


def test_a_timed_out_pass_is_no_evidence() -> None:
    reading = CardFrontReader(SlowFirstPassOcr(FULL, FULL)).read(blank_frame())
    assert reading.birth.value == WarekiDate(Era.SHOWA, 55, 2, 17)
    assert reading.expiry_year.value == 2035


def test_mismatch_between_birthday_and_expiry_is_flagged() -> None:
    page = [FULL[0], line("2035年3月1日まで有効"), FULL[2]]
    reading = CardFrontReader(ScriptedOcr(page, page)).read(blank_frame())
    assert reading.birthday_matches_expiry is False


def test_unread_reading_defaults() -> None:
    empty = CardFrontReading()
    assert empty.pin_b() is None
    assert empty.birth_date is None
    assert not empty.complete


@pytest.mark.parametrize("resident_id", ["hanako", "taro"])
def test_the_demo_camera_s_card_front_reads_as_the_resident_s_pin_b(resident_id: str) -> None:
    """The demo tray's "card front" scene is the resident's own card: OCR gives their 照合番号B
    (the same one the virtual card accepts), with their photo in the photo box."""
    from kiosk.devices.card.virtual import demo_resident
    from kiosk.devices.card.virtual.front import demo_frames

    resident = demo_resident(resident_id)
    frames = demo_frames(resident, count=4)
    assert all(f.shape == (480, 640, 3) and f.flags.c_contiguous for f in frames)
    reader = CardFrontReader()
    read = {r.pin_b() for r in map(reader.read, frames) if r.complete}
    assert read == {resident.pin_b}
