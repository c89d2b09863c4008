"""The kiosk's look: colours, sizes and the Qt style sheet built from them.

Callers may rely on: every text colour pair in `Theme.text_pairs()` has a contrast of at least
4.5:1 and every control pair in `Theme.control_pairs()` at least 3:1 (WCAG 1.4.3 / 1.4.11;
`tests/ui/test_theme.py` computes it), buttons are at least `button_height` px tall (72 at
1080p, never under 44), and the focused control has a thick outline, not only a colour.
"""

from __future__ import annotations

from dataclasses import dataclass

FONT_FAMILY = "Noto Sans CJK JP"  # Noto Sans JP (fonts-noto-cjk): the Digital Agency's choice
LARGE_TEXT_FACTOR = 1.5


@dataclass(frozen=True)
class Theme:
    background: str = "#FFFFFF"
    surface: str = "#EEF2F6"  # panels and the top and bottom bars
    text: str = "#1A1A1A"
    text_muted: str = "#474747"
    primary: str = "#0A4F99"  # main action buttons
    on_primary: str = "#FFFFFF"
    secondary: str = "#FFFFFF"
    on_secondary: str = "#0A4F99"
    control_border: str = "#5A5A5A"  # outline of secondary buttons and fields
    danger: str = "#A61B1B"  # "not me", call staff
    on_danger: str = "#FFFFFF"
    notice: str = "#FFF3C4"
    on_notice: str = "#1A1A1A"
    focus: str = "#1A1A1A"
    overlay_panel: str = "#FFFFFF"
    body_px: int = 30  # two text sizes: body and heading
    heading_px: int = 44
    button_height: int = 88  # at 1080p; never under 44 (WCAG 2.5.5)
    key_height: int = 72  # keypad keys: 72 px keeps a 4-row pad and its page within 1080
    radius: int = 12

    def scaled(self, large: bool) -> tuple[int, int]:
        """(body, heading) pixel sizes, ×1.5 with the large-text toggle."""
        f = LARGE_TEXT_FACTOR if large else 1.0
        return round(self.body_px * f), round(self.heading_px * f)

    def text_pairs(self) -> list[tuple[str, str, str]]:
        """(name, foreground, background) of every text colour pair in use."""
        return [
            ("body", self.text, self.background),
            ("body on surface", self.text, self.surface),
            ("muted", self.text_muted, self.background),
            ("muted on surface", self.text_muted, self.surface),
            ("primary button", self.on_primary, self.primary),
            ("secondary button", self.on_secondary, self.secondary),
            ("danger button", self.on_danger, self.danger),
            ("notice", self.on_notice, self.notice),
            ("overlay", self.text, self.overlay_panel),
        ]

    def control_pairs(self) -> list[tuple[str, str, str]]:
        """(name, control colour, what it sits on): buttons and outlines against their page."""
        return [
            ("primary button on page", self.primary, self.background),
            ("primary button on surface", self.primary, self.surface),
            ("secondary outline on page", self.control_border, self.background),
            ("secondary outline on surface", self.control_border, self.surface),
            ("danger button on page", self.danger, self.background),
            ("danger button on surface", self.danger, self.surface),
            ("focus outline", self.focus, self.background),
            ("focus outline on surface", self.focus, self.surface),
        ]

    def style_sheet(self, large: bool = False) -> str:
        """The thick focus and "chosen" borders take their width from the padding and
        min-height, so a button keeps its size and nothing on the page jumps."""
        body, heading = self.scaled(large)
        h = max(44, round(self.button_height * (1.25 if large else 1.0)))
        key_h = max(44, round(self.key_height * (1.25 if large else 1.0)))
        return f"""
QWidget {{ font-family: "{FONT_FAMILY}"; font-size: {body}px; color: {self.text}; }}
QMainWindow, QStackedWidget, QWidget#page {{ background: {self.background}; }}
QWidget#topBar, QWidget#bottomBar {{ background: {self.surface}; }}
QLabel[role="heading"] {{ font-size: {heading}px; font-weight: 700; }}
QLabel[role="muted"] {{ color: {self.text_muted}; }}
QLabel#notice {{ background: {self.notice}; color: {self.on_notice};
    border: 3px solid {self.control_border}; border-radius: {self.radius}px; padding: 12px; }}
QPushButton {{ min-height: {h}px; padding: 8px 28px; border-radius: {self.radius}px;
    font-weight: 700; background: {self.secondary}; color: {self.on_secondary};
    border: 3px solid {self.control_border}; }}
QPushButton[kind="key"] {{ font-size: {heading}px; padding: 0; }}
QWidget[keypad="true"] QPushButton {{ min-height: {key_h}px; padding: 0 8px; }}
QPushButton[kind="primary"] {{ background: {self.primary}; color: {self.on_primary};
    border: 3px solid {self.primary}; }}
QPushButton[kind="danger"] {{ background: {self.danger}; color: {self.on_danger};
    border: 3px solid {self.danger}; }}
QPushButton:focus {{ outline: none; border: 6px solid {self.focus}; }}
QPushButton:checked {{ border: 6px double {self.focus}; }}
QPushButton:focus, QPushButton:checked {{ min-height: {h - 6}px; padding: 8px 25px; }}
QWidget[keypad="true"] QPushButton:focus {{ min-height: {key_h - 6}px; padding: 0 5px; }}
QPushButton[answer="true"] {{ min-height: {h - 16}px; }}
QPushButton[answer="true"]:focus, QPushButton[answer="true"]:checked {{
    min-height: {h - 22}px; }}
QPushButton:disabled, QPushButton[kind="primary"]:disabled {{ background: {self.secondary};
    color: {self.text_muted}; border: 3px dashed {self.control_border}; }}
QFrame#overlayPanel {{ background: {self.overlay_panel}; border: 4px solid {self.focus};
    border-radius: {self.radius}px; }}
QWidget#overlay {{ background: rgba(0, 0, 0, 150); }}
QLabel#keypadDisplay {{ font-size: {heading}px; letter-spacing: 12px; min-height: {key_h}px;
    border: 3px solid {self.control_border}; border-radius: {self.radius}px;
    background: {self.background}; }}
"""


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of "#RRGGBB"."""
    h = hex_colour.lstrip("#")
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two colours (1 to 21)."""
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
