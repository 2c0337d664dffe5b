"""The empty-state hint over the 3D view: what to do first, shown while the project has
no box (and when the sequence has no frames), gone after the first box."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel

if TYPE_CHECKING:
    from .main_window import MainWindow

HINT_HTML = (
    "<b>Getting started</b><br>"
    "1. Open data: <i>File › Open folder…</i> (Ctrl+Shift+O), <i>Open file…</i> (Ctrl+O) or drop it here<br>"
    "2. Create a box: key <b>2</b> one-click on an object, <b>3</b> rectangle in bird's-eye view, "
    "<b>4</b> place a default box; <b>C</b> or Alt+1…9 chooses the class<br>"
    "3. Propagate it: <b>Ctrl+Right</b> (next frame), <b>Ctrl+Shift+Right</b> (N frames)<br>"
    "4. Deliver: <i>File › Export…</i> (Ctrl+E) — KITTI, nuScenes, JSON<br>"
    "<b>F1</b> lists every key and mouse control"
)


MAX_WIDTH_PX = 620


class EmptyStateHint(QLabel):
    """A translucent card in the top-left corner of the view."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window.view)
        self.window_ = window
        self.setObjectName("empty_hint")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setText(HINT_HTML)
        self.setWordWrap(True)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet("QLabel#empty_hint { background: rgba(20, 24, 32, 200); color: #e8e8e8; "
                           "border-radius: 6px; padding: 10px; }")
        self.move(12, 12)

    def install(self) -> None:
        events = self.window_.project.events
        for name in ("annotation_added", "annotation_removed"):
            getattr(events, name).connect(self.refresh)
        self.window_.view.installEventFilter(self)  # follow the view's width
        self.refresh()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.Resize:
            self.refresh()
        return False

    def remove(self) -> None:
        events = self.window_.project.events
        for name in ("annotation_added", "annotation_removed"):
            getattr(events, name).disconnect(self.refresh)

    def refresh(self, *_args: object) -> None:
        empty = len(self.window_.project.annotations) == 0
        width_px = max(min(MAX_WIDTH_PX, self.window_.view.width() - 24), 200)
        self.setFixedWidth(width_px)
        self.setFixedHeight(self.heightForWidth(width_px))
        self.setVisible(empty)
        if empty:
            self.raise_()
