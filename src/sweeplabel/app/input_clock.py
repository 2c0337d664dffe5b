"""InputClock: stamps every user input so the view can tell how long it took to show.

An application-wide event filter notes the time of each key press, mouse press, drag
move and wheel turn on the view (``RenderView.note_input``); the first image rendered
from a later state records the latency (``RenderView.input_latencies_s``), which the
editor benchmark reports against the targets (nudge 200 ms, frame switch 400 ms)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication

from .render_view import RenderView

_INPUTS = (QEvent.Type.KeyPress, QEvent.Type.ShortcutOverride, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel)


class InputClock(QObject):
    """Notes inputs for ``view``; installed on the QApplication by the main window."""

    def __init__(self, view: RenderView) -> None:
        super().__init__(view)
        self.view = view

    def install(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind in _INPUTS or (kind == QEvent.Type.MouseMove
                               and event.buttons() != Qt.MouseButton.NoButton):  # type: ignore[attr-defined]
            self.view.note_input()
        return False
