"""Small PNG images of printed text, as the card face AP holds for name, address and code."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def text_png(text: str) -> bytes:
    """A 1-bit PNG with the text drawn in the default font (glyphs it lacks become boxes).

    The kiosk never shows these; they only make the file sizes and the signature realistic.
    """
    width = 12 + 8 * len(text)
    im = Image.new("1", (max(width, 32), 20), 1)
    ImageDraw.Draw(im).text((4, 4), text.encode("ascii", "replace").decode(), fill=0)
    buf = io.BytesIO()
    im.save(buf, "PNG", optimize=True)
    return buf.getvalue()
