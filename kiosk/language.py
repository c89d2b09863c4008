"""The kiosk's languages, and the one rule for filling a message's placeholders.

Every reader of the catalogs (the screens, the printed documents, the `kiosk rules` command)
fills `{name}` from its params the same way; anything else in braces (furigana `{漢字|かんじ}`,
a placeholder without a value) is left as written for the reader to render."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal, Protocol, get_args

Language = Literal["ja", "ja-easy", "en", "zh", "ko", "vi", "pt"]
LANGUAGES: tuple[Language, ...] = get_args(Language)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(text: str, params: Mapping[str, object]) -> str:
    """`text` with each `{name}` that has a value in `params` replaced by `str(value)`."""
    if not params:
        return text
    return _PLACEHOLDER.sub(lambda m: str(params[m[1]]) if m[1] in params else m[0], text)


class Translate(Protocol):
    """Text for a message id in the current language, placeholders filled with `fill`."""

    def __call__(self, message_id: str, /, **params: object) -> str: ...
