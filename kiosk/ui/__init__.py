"""Qt widgets only: pages, widgets, theme, translations."""

from __future__ import annotations

import sys


def _keep_none_alive() -> None:
    """Work around PySide6 6.12 on Python 3.11: every call of a void Qt method drops a
    reference to None that was never taken (the wheels assume 3.12's immortal None), so the
    interpreter aborts with "none_dealloc" after a few thousand calls. Giving None a huge
    reference count makes it immortal in practice, as it is on 3.12. pyproject pins <6.12;
    this guards an environment that still has 6.12."""
    if sys.version_info >= (3, 12):
        return
    try:
        import PySide6
    except ImportError:
        return
    major_minor = tuple(int(x) for x in PySide6.__version__.split(".")[:2])
    if major_minor < (6, 12):
        return
    import ctypes

    ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40


_keep_none_alive()
