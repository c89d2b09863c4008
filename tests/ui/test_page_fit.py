"""Every page, in every language, as a resident sees it: no message id or unfilled
placeholder shows, nothing is cut off at the side, the page fits the 1920×1080 kiosk screen
without scrolling at normal text size, touch targets are ≥ 72 px, the call-staff button and
(within a visit's steps) the step indicator are there. Large text (×1.5) may scroll but
never clips sideways. The first screen also fits a volunteer's 1280×800 laptop."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QTextLayout, QTextOption
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QScrollArea, QWidget
from pytestqt.qtbot import QtBot

from kiosk.flows.session import LANGUAGES, Page
from kiosk.ui.i18n import Translations
from kiosk.ui.widgets import CameraView, Keypad, TrLabel
from tests.helpers.kiosk_ui import Kiosk
from tests.helpers.screen_walk import PANELS, to_card_front_reading, walk, walk_panels
from tests.helpers.session import HANAKO, Deferred, World

# A dotted lower-case id such as `ui.welcome.title` or `card.blocked`, anywhere in a text.
MESSAGE_ID = re.compile(r"\b[a-z][a-z0-9_-]+(\.[a-z0-9_-]{2,})+\b")  # not "v.v." (vi: etc.)
UNFILLED = re.compile(r"\{\w+\}|\{[^{}|]+\|[^{}]+\}")  # a `{name}` or an undrawn ruby mark
MIN_TARGET = 72


def shown_widgets(window: QWidget) -> list[QWidget]:
    """Labels and buttons a resident can see now (on the current page or the chrome)."""
    out: list[QWidget] = []
    for w in window.findChildren(QLabel) + window.findChildren(QAbstractButton):
        if w.isVisible() and not w.visibleRegion().isEmpty():
            out.append(w)
    return out


def text_of(w: QWidget) -> str:
    """What is drawn (a furigana label draws its readings apart from this text)."""
    return w.text() if isinstance(w, QLabel | QAbstractButton) else ""


def last_line(label: QLabel) -> str:
    """The last line of a wrapped label as Qt breaks it at the label's width."""
    text = label.text()
    layout = QTextLayout(text, label.font())
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    layout.beginLayout()
    start = 0
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(label.contentsRect().width())
        start = line.textStart()
    layout.endLayout()
    return text[start:]


def page_problems(k: Kiosk, large: bool) -> list[str]:
    """What is wrong with the page on screen now, as readable lines (empty: nothing)."""
    QApplication.processEvents()
    page = k.page
    frame = k.window.findChild(QScrollArea, f"scroll_{page.value}")
    assert frame is not None
    problems: list[str] = []
    viewport = frame.viewport()
    inner = frame.widget()
    need = inner.minimumSizeHint()
    if need.width() > viewport.width():
        problems.append(f"needs {need.width()} px wide, has {viewport.width()}")
    if not large and frame.verticalScrollBar().maximum() > 0:
        problems.append(f"scrolls by {frame.verticalScrollBar().maximum()} px at normal text")
    right = k.window.width()
    for w in shown_widgets(k.window):
        text = text_of(w)
        name = w.objectName() or text[:30]
        if MESSAGE_ID.search(text.replace("...", "")):
            problems.append(f"{name!r} shows a message id: {text!r}")
        if UNFILLED.search(text):
            problems.append(f"{name!r} shows an unfilled mark: {text!r}")
        if (
            k.session.language in ("ja", "zh")
            and isinstance(w, TrLabel)
            and w.message_id.startswith("ui.")  # the screens' own texts (ui.toml)
            and w.wordWrap()
            and "\n" not in text
            and text.strip() != last_line(w).strip()
            and len(last_line(w).strip()) <= 2
        ):
            problems.append(f"{name!r} leaves {last_line(w)!r} alone on its last line")
        left_edge = w.mapTo(k.window, QPoint(0, 0)).x()
        if left_edge + w.width() > right or left_edge < 0:
            problems.append(f"{name!r} runs off the side ({left_edge}+{w.width()} > {right})")
        if isinstance(w, QAbstractButton):
            if w.height() < MIN_TARGET:
                problems.append(f"button {name!r} is {w.height()} px tall")
            if not text.strip():
                problems.append(f"button {name!r} has no text")
            elif w.fontMetrics().horizontalAdvance(text) > w.contentsRect().width():
                problems.append(f"button {name!r} text is cut: {text!r}")
    if not k.window.call_button.isVisible():
        problems.append("no call-staff button")
    step = k.session.step()
    if step is not None and not (
        k.window.step_label.isVisible() and f"{step[0]} / {step[1]}" in k.window.step_label.text()
    ):
        problems.append(f"step {step} not shown: {k.window.step_label.text()!r}")
    return [f"{page.value}: {p}" for p in problems]


def walk_and_check(k: Kiosk, large: bool) -> tuple[set[Page], list[str]]:
    seen: set[Page] = set()
    problems: list[str] = []

    def visit() -> None:
        if k.page not in seen:
            seen.add(k.page)
            problems.extend(page_problems(k, large))

    walk(k, visit)
    return seen, problems


def kiosk_in(qtbot: QtBot, translations: Translations, language: str, w: int, h: int) -> Kiosk:
    # As at a real kiosk with a camera: the 照合番号B page offers to read the card front.
    k = Kiosk(qtbot, translations.use, World(defer=Deferred(), card_front=True))
    k.session.set_language(language)
    k.session.default_language = language  # so a wiped visit stays in this language
    k.window.resize(w, h)
    qtbot.waitExposed(k.window)
    return k


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_fits_the_kiosk_screen(
    qtbot: QtBot, translations: Translations, language: str
) -> None:
    k = kiosk_in(qtbot, translations, language, 1920, 1080)
    seen, problems = walk_and_check(k, large=False)
    assert seen == set(Page)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_card_front_reading_to_confirm_fits(
    qtbot: QtBot, translations: Translations, language: str
) -> None:
    """What the camera read off the card front, with "yes" and "no", instead of the keypad."""
    k = Kiosk(qtbot, translations.use, World(card_front=True))
    k.session.set_language(language)
    k.window.resize(1920, 1080)
    qtbot.waitExposed(k.window)
    to_card_front_reading(k)
    page = k.window.pages[Page.PIN_B]
    assert not page.keypad.isVisible() and page.read_right.isVisible()
    assert "昭和15年4月1日" in page.read.text() and "2285" in page.read.text()
    problems = page_problems(k, large=False)
    assert not problems, "\n".join(problems)
    # Shown, never spoken: the voice asks the question but does not read the code out.
    assert "2285" not in page.voice_text() and page.voice_text()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_panel_fits(qtbot: QtBot, translations: Translations, language: str) -> None:
    """The language chooser, the staff call and the timeout warning, over a page."""
    k = Kiosk(qtbot, translations.use, World())
    k.session.set_language(language)
    k.window.resize(1920, 1080)
    qtbot.waitExposed(k.window)
    problems: list[str] = []
    seen: list[str] = []

    def visit(panel: str) -> None:
        seen.append(panel)
        QApplication.processEvents()
        overlay = {"language": k.window.language_overlay, "call": k.window.call_overlay,
                   "timeout": k.window.timeout_overlay}[panel]  # fmt: skip
        panel_box = overlay.findChild(QWidget, "overlayPanel")
        assert panel_box is not None
        if not overlay.rect().contains(panel_box.geometry()):
            problems.append(f"{panel}: the panel does not fit the window")
        if panel_box.minimumSizeHint().height() > panel_box.height():
            problems.append(f"{panel}: the panel is squeezed")
        problems.extend(f"{panel}: {p}" for p in page_problems(k, large=False))

    walk_panels(k, visit)
    assert tuple(seen) == PANELS
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_large_text_scrolls_but_never_clips(
    qtbot: QtBot, translations: Translations, language: str
) -> None:
    k = kiosk_in(qtbot, translations, language, 1920, 1080)
    k.session.default_large_text = True  # the whole walk, across wiped visits, in large text
    k.window.large_text_button.setChecked(True)
    seen, problems = walk_and_check(k, large=True)
    assert seen == set(Page)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_first_screen_fits_a_laptop(
    qtbot: QtBot, translations: Translations, language: str
) -> None:
    k = kiosk_in(qtbot, translations, language, 1280, 800)
    assert k.page is Page.WELCOME
    problems = page_problems(k, large=False)
    assert not problems, "\n".join(problems)
    assert not k.button("noCard").visibleRegion().isEmpty()


def test_the_check_sees_a_message_id_and_a_clipped_page(
    qtbot: QtBot, translations: Translations
) -> None:
    """The checks above can fail: an id without a translation shows as the id itself."""
    k = kiosk_in(qtbot, translations, "en", 1920, 1080)
    k.window.pages[Page.WELCOME].hint.set_message("ui.welcome.no_such_text")
    assert any("ui.welcome.no_such_text" in p for p in page_problems(k, large=False))
    k.window.resize(1280, 600)
    assert any("scrolls by" in p for p in page_problems(k, large=False))


def test_face_guide_is_an_upright_oval(qtbot: QtBot) -> None:
    view = CameraView()
    qtbot.addWidget(view)
    for w, h in ((1792, 510), (480, 360), (400, 700)):
        view.resize(w, h)
        guide = view.guide_rect()
        assert guide.height() > guide.width(), (w, h)
        assert view.rect().toRectF().contains(guide)
    view.guide = "frame"  # a photo of a damaged thing is framed wide
    view.resize(1792, 510)
    assert view.guide_rect().width() > view.guide_rect().height()


def test_keypad_keys_line_up(qtbot: QtBot, translations: Translations) -> None:
    """The OK key is as tall as the digits beside it (it was taller, the row looked broken)."""
    k = kiosk_in(qtbot, translations, "ja", 1920, 1080)
    k.place(HANAKO)
    k.tap("methodPin")
    QApplication.processEvents()
    pad = k.window.pages[Page.PIN].findChild(Keypad, "pinKeypad")
    assert pad is not None
    heights = {b.height() for b in [*pad.keys.values(), pad.delete, pad.ok]}
    assert len(heights) == 1 and heights.pop() >= MIN_TARGET


def test_focus_and_choice_do_not_resize_buttons(qtbot: QtBot, translations: Translations) -> None:
    """The 6 px focus and "chosen" borders made a button 6 px taller whenever Qt measured
    it in that state (a new text, a new language): the bar holding it grew and stayed so.
    The size a layout will give a button is its size hint, so that is what is compared."""
    k = kiosk_in(qtbot, translations, "ja", 1920, 1080)
    k.activate()
    w = k.window
    w.replay_button.setFocus()
    k.session.set_language("en")  # new texts: every button is measured again
    QApplication.processEvents()
    assert w.replay_button.hasFocus()
    assert w.replay_button.sizeHint().height() == w.language_button.sizeHint().height()
    w.mute_button.show()
    w.mute_button.setChecked(True)  # chosen: the double border, and a new text
    QApplication.processEvents()
    assert w.mute_button.sizeHint().height() == w.call_button.sizeHint().height()
    k.place(HANAKO)
    k.tap("methodPin")
    pad = w.pages[Page.PIN].findChild(Keypad, "pinKeypad")
    assert pad is not None
    pad.keys["5"].setFocus()
    k.session.set_language("ja")
    QApplication.processEvents()
    assert pad.keys["5"].hasFocus()
    assert pad.keys["5"].sizeHint().height() == pad.keys["4"].sizeHint().height()
