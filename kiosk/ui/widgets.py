"""Reusable widgets of the kiosk: labels and buttons that retranslate themselves, the shielded
keypad, the step indicator, the camera view with a face guide and SVG illustrations.

Every widget here retranslates on `QEvent.LanguageChange`, so switching language never
rebuilds a page or loses what was entered.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QLayout,
    QLayoutItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from kiosk.paths import ASSETS
from kiosk.ui import text as rubytext
from kiosk.ui.i18n import tr

# One lookup for every widget: the current language's text, placeholders filled once.
t = tr


class TrLabel(QLabel):
    """A label showing a message id (or plain data text), with furigana when marked."""

    def __init__(
        self, message_id: str = "", role: str = "body", parent: QWidget | None = None, **params: Any
    ) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setProperty("role", role)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self._id = message_id
        self._params: dict[str, Any] = params
        self._tokens: list[tuple[str, str]] = []
        self._retranslate()

    @property
    def message_id(self) -> str:
        return self._id

    def set_message(self, message_id: str, **params: Any) -> None:
        self._id, self._params = message_id, params
        self._retranslate()

    def set_plain(self, text: str) -> None:
        """Show data (a name, an address) as it is, not through the catalogs."""
        self._id, self._params = "", {}
        self._show(text)

    def raw_text(self) -> str:
        """The text with its ruby marks (what the voice hook reads)."""
        return t(self._id, **self._params) if self._id else self.text()

    def _retranslate(self) -> None:
        if self._id:
            self._show(t(self._id, **self._params))
        elif not self.text():
            self._show("")

    def _show(self, raw: str) -> None:
        self._tokens = rubytext.tokens(raw) if rubytext.has_ruby(raw) else []
        self.setText(rubytext.base_text(raw))
        self.setAccessibleName(rubytext.base_text(raw))
        self.updateGeometry()
        self.update()

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(e)

    # -- furigana layout (only when the text carries ruby marks) -----------------------------

    def _ruby_font(self) -> QFont:
        f = QFont(self.font())
        f.setPixelSize(max(12, round(self._px() * 0.5)))
        f.setBold(False)
        return f

    def _px(self) -> int:
        px = self.font().pixelSize()
        return px if px > 0 else round(self.font().pointSizeF() * 96 / 72)

    def _layout(self, width: int) -> list[list[tuple[float, str, str]]]:
        fm, rfm = QFontMetrics(self.font()), QFontMetrics(self._ruby_font())
        lines: list[list[tuple[float, str, str]]] = [[]]
        x = 0.0
        for base, reading in self._tokens:
            if base == "\n":
                lines.append([])
                x = 0.0
                continue
            w = max(fm.horizontalAdvance(base), rfm.horizontalAdvance(reading) if reading else 0)
            if x + w > width and lines[-1]:
                lines.append([])
                x = 0.0
            lines[-1].append((x, base, reading))
            x += w
        return lines

    def _line_height(self) -> int:
        return QFontMetrics(self._ruby_font()).height() + QFontMetrics(self.font()).height() + 4

    def hasHeightForWidth(self) -> bool:
        return bool(self._tokens) or super().hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:
        if not self._tokens:
            return super().heightForWidth(width)
        return len(self._layout(max(1, width))) * self._line_height()

    def sizeHint(self) -> QSize:
        if not self._tokens:
            return super().sizeHint()
        w = max(200, self.width())
        return QSize(w, self.heightForWidth(w))

    def minimumSizeHint(self) -> QSize:
        if not self._tokens:
            return super().minimumSizeHint()
        # One line: the layout asks heightForWidth for the real height at the real width (a
        # height for a guessed narrow width made plain-Japanese pages scroll for nothing).
        return QSize(100, self._line_height())

    def paintEvent(self, e: QPaintEvent) -> None:
        if not self._tokens:
            super().paintEvent(e)
            return
        p = QPainter(self)
        fm, rfm = QFontMetrics(self.font()), QFontMetrics(self._ruby_font())
        lh = self._line_height()
        centred = bool(self.alignment() & Qt.AlignmentFlag.AlignHCenter)
        p.setPen(self.palette().color(self.foregroundRole()))
        for row, line in enumerate(self._layout(self.width())):
            if not line:
                continue
            last_x, last_b, last_r = line[-1]
            line_w = last_x + max(
                fm.horizontalAdvance(last_b), rfm.horizontalAdvance(last_r) if last_r else 0
            )
            dx = (self.width() - line_w) / 2 if centred else 0.0
            y = row * lh
            for x, base, reading in line:
                bw = fm.horizontalAdvance(base)
                w = max(bw, rfm.horizontalAdvance(reading) if reading else 0)
                if reading:
                    p.setFont(self._ruby_font())
                    rw = rfm.horizontalAdvance(reading)
                    p.drawText(QPointF(dx + x + (w - rw) / 2, y + rfm.ascent()), reading)
                p.setFont(self.font())
                p.drawText(QPointF(dx + x + (w - bw) / 2, y + rfm.height() + fm.ascent()), base)
        p.end()


class BigButton(QPushButton):
    """A large button labelled by a message id. Enter activates it when focused."""

    def __init__(
        self, message_id: str, kind: str = "secondary", parent: QWidget | None = None, **params: Any
    ) -> None:
        super().__init__(parent)
        self.setProperty("kind", kind)
        self.setAutoDefault(True)  # Enter/Return click the focused button (keyboard use)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._id = message_id
        self._params = params
        self._retranslate()

    @property
    def message_id(self) -> str:
        return self._id

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    def set_message(self, message_id: str, **params: Any) -> None:
        self._id, self._params = message_id, params
        self._retranslate()

    def _retranslate(self) -> None:
        text = rubytext.inline_text(t(self._id, **self._params)) if self._id else ""
        self.setText(text.replace("&", "&&"))
        self.setAccessibleName(text)

    def changeEvent(self, e: QEvent) -> None:
        if e.type() == QEvent.Type.LanguageChange:
            self._retranslate()
        super().changeEvent(e)


class ColumnFlow(QLayout):
    """Buttons in equal columns, as many as fit side by side (at most `max_columns`), then
    the next row. Longer words or larger text wrap into fewer columns instead of pushing the
    page wider than the screen."""

    def __init__(self, max_columns: int, spacing: int = 16, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._max_columns = max_columns
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:  # type: ignore[override]
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:  # type: ignore[override]
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def _shown(self) -> list[QLayoutItem]:
        return [i for i in self._items if not i.isEmpty()]

    def _cell(self) -> QSize:
        """The widest and tallest wish of any item: every cell gets at least this."""
        w = h = 0
        for item in self._shown():
            hint = item.sizeHint().expandedTo(item.minimumSize())
            w, h = max(w, hint.width()), max(h, hint.height())
        return QSize(w, h)

    def columns_for(self, width: int) -> int:
        """How many columns this layout uses at `width` pixels."""
        n = len(self._shown())
        if n == 0:
            return 1
        cell, gap = self._cell().width(), self.spacing()
        fit = max(1, (width + gap) // max(1, cell + gap))
        return max(1, min(self._max_columns, n, fit))

    def _height(self, width: int) -> int:
        n = len(self._shown())
        if n == 0:
            return 0
        rows = -(-n // self.columns_for(width))
        return rows * self._cell().height() + (rows - 1) * self.spacing()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._height(width)

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation.Horizontal

    def minimumSize(self) -> QSize:
        cell = self._cell()
        return QSize(cell.width(), cell.height() if self._shown() else 0)

    def sizeHint(self) -> QSize:
        cell, n, gap = self._cell(), len(self._shown()), self.spacing()
        cols = max(1, min(self._max_columns, n))
        return QSize(cols * cell.width() + (cols - 1) * gap, self._height(10**6))

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        shown = self._shown()
        if not shown:
            return
        gap, cols = self.spacing(), self.columns_for(rect.width())
        w = (rect.width() - (cols - 1) * gap) // cols
        h = self._cell().height()
        for i, item in enumerate(shown):
            r, c = divmod(i, cols)
            item.setGeometry(QRect(rect.x() + c * (w + gap), rect.y() + r * (h + gap), w, h))


class Keypad(QWidget):
    """A shielded numeric keypad: digits show as ●, never in an accessible name or the voice.

    Emits `submitted(str)` with the digits when "決定" is pressed with a valid length.
    The digits are kept only until `clear()`, which every page calls when it is left.
    """

    submitted = Signal(str)

    def __init__(
        self,
        max_len: int,
        min_len: int | None = None,
        groups: tuple[int, ...] = (),
        masked: bool = True,
    ) -> None:
        super().__init__()
        self._masked = masked  # False for answers that are not secrets (a household size)
        self.setObjectName("keypad")
        self.setProperty("keypad", True)  # the style sheet sizes keys by this, not by name
        self._max, self._min = max_len, min_len or max_len
        self._groups = groups
        self._digits = ""
        self.display = QLabel()
        self.display.setObjectName("keypadDisplay")
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display.setAccessibleName("")
        grid = QGridLayout()
        grid.setSpacing(8)
        self.keys: dict[str, BigButton] = {}
        # The familiar phone order, never shuffled: a shuffled pad defeats muscle memory.
        for i, d in enumerate("123456789"):
            b = self._key(d)
            grid.addWidget(b, i // 3, i % 3)
        self.delete = BigButton("ui.keypad.delete", kind="key")
        self.delete.clicked.connect(self.backspace)
        grid.addWidget(self.delete, 3, 0)
        grid.addWidget(self._key("0"), 3, 1)
        self.ok = BigButton("ui.keypad.ok", kind="primary")
        self.ok.clicked.connect(self._submit)
        grid.addWidget(self.ok, 3, 2)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(8)
        box.addWidget(self.display)
        box.addLayout(grid)
        box.addStretch(1)  # spare height stays below the keys, not inside the display
        self._refresh()

    def _key(self, digit: str) -> BigButton:
        b = BigButton("ui.keypad.digit", kind="key", digit=digit)
        b.setObjectName(f"key{digit}")
        b.clicked.connect(lambda: self.press(digit))
        self.keys[digit] = b
        return b

    @property
    def length(self) -> int:
        return len(self._digits)

    def set_max_length(self, max_len: int) -> None:
        """For answers of different lengths on one pad (a household size, a phone number)."""
        self._max = max_len
        self._min = min(self._min, max_len)
        self._digits = self._digits[:max_len]
        self._refresh()

    def press(self, digit: str) -> None:
        if digit.isdigit() and len(digit) == 1 and len(self._digits) < self._max:
            self._digits += digit
            self._refresh()

    def backspace(self) -> None:
        self._digits = self._digits[:-1]
        self._refresh()

    def clear(self) -> None:
        self._digits = ""
        self._refresh()

    def _submit(self) -> None:
        if self._min <= len(self._digits) <= self._max:
            digits, self._digits = self._digits, ""
            self._refresh()
            self.submitted.emit(digits)

    def _refresh(self) -> None:
        typed = "●" * len(self._digits) if self._masked else self._digits
        shown = typed + ("○" * (self._max - len(self._digits)) if self._masked else "")
        if self._groups:
            parts, i = [], 0
            for g in self._groups:
                parts.append(shown[i : i + g])
                i += g
            shown = " ".join(parts)
        self.display.setText(shown)
        self.ok.setEnabled(self._min <= len(self._digits) <= self._max)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        key = e.text()
        if key.isdigit():
            self.press(key)
        elif e.key() == Qt.Key.Key_Backspace:
            self.backspace()
        elif e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.ok.isEnabled():
            self._submit()
        else:
            super().keyPressEvent(e)


class CameraView(QWidget):
    """Shows RGB frames (numpy uint8, h×w×3) with a guide drawn over them: an upright oval
    for a face (`guide="face"`), a wide rectangle for a photo of a thing (`guide="frame"`)."""

    def __init__(self, parent: QWidget | None = None, guide: str = "face") -> None:
        super().__init__(parent)
        self.setMinimumSize(480, 360)
        self._image: QImage | None = None
        self.guide = guide

    def set_frame(self, frame: Any) -> None:
        """Copy one frame in; the array may be reused by the camera afterwards."""
        h, w = int(frame.shape[0]), int(frame.shape[1])
        data = frame.tobytes() if not frame.flags["C_CONTIGUOUS"] else frame.data
        img = QImage(data, w, h, 3 * w, QImage.Format.Format_RGB888)
        self._image = img.copy()  # own the pixels: the numpy buffer is not ours to keep
        self.update()

    def has_frame(self) -> bool:
        return self._image is not None

    def clear(self) -> None:
        """Drop the last frame: no image of a face stays in the widget."""
        self._image = None
        self.update()

    def guide_rect(self) -> QRectF:
        """Upright (3:4) for a face, 4:3 for a thing, whatever the shape of the view."""
        w, h = self.width(), self.height()
        gh = h * 0.8
        gw = min(gh * (0.75 if self.guide == "face" else 4 / 3), w * 0.9)
        return QRectF((w - gw) / 2, (h - gh) / 2, gw, gh)

    def paintEvent(self, e: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#2B2B2B"))
        if self._image is not None:
            scaled = self._image.scaled(
                self.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            p.drawImage(
                (self.width() - scaled.width()) // 2, (self.height() - scaled.height()) // 2, scaled
            )
        # Two outlines, dark under light, so the guide shows on any background.
        guide = self.guide_rect()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        draw = p.drawEllipse if self.guide == "face" else p.drawRect
        p.setPen(QPen(QColor("#000000"), 10))
        draw(guide)
        p.setPen(QPen(QColor("#FFFFFF"), 5, Qt.PenStyle.DashLine))
        draw(guide)
        p.end()


class Illustration(QSvgWidget):
    """One of the kiosk's own drawings in `assets/ui/<name>.svg`, kept in proportion."""

    def __init__(self, name: str, height: int = 320, parent: QWidget | None = None) -> None:
        super().__init__(str(ASSETS / "ui" / f"{name}.svg"), parent)
        self.name = name
        self.renderer().setAspectRatioMode(Qt.AspectRatioMode.KeepAspectRatio)
        # Full height on the kiosk screen; on a smaller one the drawing gives way first, so
        # the text and buttons stay in sight without scrolling.
        # Pages add it with a stretch factor so it grows back to `height` when there is room.
        self._height = height
        self._least = round(height * 0.4)
        self.setMinimumSize(self._least, self._least)
        self.setMaximumHeight(height)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("")  # decoration: the text next to it says the same

    def sizeHint(self) -> QSize:
        # Full width for the drawing's proportions, but the least height: a scroll area
        # sizes its page by the preferred heights, and the page's stretch gives the rest.
        d = self.renderer().defaultSize()
        aspect = d.width() / d.height() if d.height() > 0 else 1.0
        return QSize(round(self._height * aspect), self._least)
