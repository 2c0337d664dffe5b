"""Emitting signals many times must not abort the app: PySide6 6.12.0 over-releases True
on every emit from Python (CPython aborts with "bool_dealloc" after ~1,000 emits), so
pyproject.toml keeps PySide6 below 6.12; this test catches a release with the same bug."""

from __future__ import annotations

import subprocess
import sys


def test_many_emits_do_not_abort_the_app() -> None:
    code = ("import sweeplabel.app\n"
            "from PySide6.QtCore import QCoreApplication, QObject, Signal\n"
            "app = QCoreApplication([])\n"
            "class A(QObject):\n    s = Signal(object)\n"
            "a = A(); a.s.connect(lambda x: None)\n"
            "for _ in range(200_000): a.s.emit(None)\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-500:]
