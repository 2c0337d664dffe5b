"""Workaround for a reference-counting bug of PySide6 6.12 on Python < 3.12.

``SignalInstance.emit()`` returns ``True`` without taking a reference, and a few other
calls hand back ``None`` the same way, so every signal emitted from Python takes one
reference from ``True`` (and the app loses ~100 references to ``None`` per frame shown).
After a few thousand emits CPython aborts the whole app with "Fatal Python error:
bool_dealloc" (or "none_dealloc"): a crash after some minutes of annotating. These
singletons are never freed (Python 3.12 makes them immortal), so giving them a large
reserve of references is harmless and keeps the app alive. Applied once, at import of
``sweeplabel.app``; a no-op on Python 3.12+ or another PySide6."""

from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 40  # references added to each singleton (never reached by over-releases)
_applied = False


def needs_workaround(pyside_version: str, python: tuple[int, int] = sys.version_info[:2]) -> bool:
    return python < (3, 12) and pyside_version.startswith("6.12.")


def apply() -> bool:
    """Give None, True and False their reserve once; True when it was applied now."""
    global _applied
    import PySide6

    if _applied or not needs_workaround(PySide6.__version__):
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += RESERVE
    _applied = True
    return True
