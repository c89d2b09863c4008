"""Contrast and sizes computed from the theme itself (WCAG 1.4.3, 1.4.11, 2.5.5)."""

from __future__ import annotations

import pytest

from kiosk.ui.theme import Theme, contrast, relative_luminance


def test_contrast_formula_matches_known_values() -> None:
    assert contrast("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)
    assert relative_luminance("#FFFFFF") == pytest.approx(1.0)


@pytest.mark.parametrize("name,fg,bg", Theme().text_pairs())
def test_text_contrast_at_least_4_5(name: str, fg: str, bg: str) -> None:
    assert contrast(fg, bg) >= 4.5, f"{name}: {contrast(fg, bg):.2f}"


@pytest.mark.parametrize("name,fg,bg", Theme().control_pairs())
def test_control_contrast_at_least_3(name: str, fg: str, bg: str) -> None:
    assert contrast(fg, bg) >= 3.0, f"{name}: {contrast(fg, bg):.2f}"


def test_a_pale_theme_fails_the_check() -> None:
    pale = Theme(text_muted="#9A9A9A", control_border="#C8C8C8")
    assert any(contrast(fg, bg) < 4.5 for _, fg, bg in pale.text_pairs())
    assert any(contrast(fg, bg) < 3.0 for _, fg, bg in pale.control_pairs())


def test_sizes_and_large_text() -> None:
    t = Theme()
    assert t.button_height >= 72 and t.key_height >= 44
    body, heading = t.scaled(large=False)
    big_body, big_heading = t.scaled(large=True)
    assert (big_body, big_heading) == (round(body * 1.5), round(heading * 1.5))
    assert heading > body  # two text sizes
    assert f"min-height: {t.button_height}px" in t.style_sheet()
