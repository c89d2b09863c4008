"""Furigana for やさしい日本語, drawn by hand because Qt rich text has no <ruby>.

Catalog texts mark a reading as `{漢字|かんじ}`. Labels draw the reading small above the
kanji (`RubyLabel` in widgets.py), buttons show "漢字(かんじ)" inline since one line is all
they have, and the voice reads only the reading. Texts without the markup pass unchanged,
so only the ja-easy catalog entries need it.
"""

from __future__ import annotations

import re

RUBY = re.compile(r"\{([^|{}]+)\|([^{}]+)\}")


def has_ruby(text: str) -> bool:
    return RUBY.search(text) is not None


def base_text(text: str) -> str:
    """The text as it reads without furigana: "{名前|なまえ}" -> "名前"."""
    return RUBY.sub(r"\1", text)


def inline_text(text: str) -> str:
    """One-line form for buttons: "{名前|なまえ}" -> "名前(なまえ)"."""
    return RUBY.sub(r"\1(\2)", text)


def spoken_text(text: str) -> str:
    """What the voice reads: the reading, which also spares the synthesiser a guess."""
    return RUBY.sub(r"\2", text)


def tokens(text: str) -> list[tuple[str, str]]:
    """(base, reading) units for layout: one per ruby group, one per other character."""
    out: list[tuple[str, str]] = []
    pos = 0
    for m in RUBY.finditer(text):
        out.extend((ch, "") for ch in text[pos : m.start()])
        out.append((m.group(1), m.group(2)))
        pos = m.end()
    out.extend((ch, "") for ch in text[pos:])
    return out
