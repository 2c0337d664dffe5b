"""run_gui: the application's entry point (used by ``sweeplabel demo`` / ``open``)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from sweeplabel.io import ProjectStore
from sweeplabel.model import Project

from .main_window import MainWindow

SCREENSHOT_TIMEOUT_MS = 120_000


def run_gui(project: Project, *, store: ProjectStore | None = None, screenshot: Path | None = None) -> int:
    """Show a MainWindow for ``project`` and run the Qt event loop; returns its exit code.

    With ``screenshot``, saves ``window.grab()`` there after the first render and quits
    (exit code 1 when saving fails or nothing rendered within two minutes)."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("sweeplabel")
    window = MainWindow(project, store, start_renderer_early=True)
    window.show()
    if screenshot is not None:
        _save_after_first_render(app, window, Path(screenshot))
    try:
        return int(app.exec())
    finally:
        window.close()
        window.deleteLater()


def _save_after_first_render(app: QApplication, window: MainWindow, path: Path) -> None:
    def save() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        ok = window.grab().save(str(path))
        app.exit(0 if ok else 1)

    def on_rendered() -> None:
        window.view.frame_rendered.disconnect(on_rendered)
        QTimer.singleShot(0, save)  # let the view repaint with the new image first

    window.view.frame_rendered.connect(on_rendered)
    QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, window, lambda: app.exit(1))
    if len(window.project.sequence) == 0:  # nothing will ever render: save the empty window
        QTimer.singleShot(0, save)
