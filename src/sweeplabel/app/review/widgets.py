"""Review-mode widgets: the per-track review strip and the comment / name dialogs."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QVBoxLayout, QWidget,
)

from sweeplabel.model import Project, ReviewState

STATE_RGB = {
    ReviewState.UNREVIEWED: QColor(120, 124, 132),
    ReviewState.ACCEPTED: QColor(70, 180, 90),
    ReviewState.REJECTED: QColor(220, 60, 60),
    ReviewState.FIXED: QColor(240, 160, 40),
    ReviewState.CHANGED: QColor(150, 110, 230),
}
FINDING_RGB = QColor(255, 80, 200)
BACKGROUND_RGB = QColor(40, 42, 48)


class ReviewStrip(QWidget):
    """One cell per frame for the selected track, coloured by its boxes' review state
    (grey unreviewed, green accepted, red rejected, orange fixed, violet changed since review); a magenta tick marks
    frames with an open finding on the track. Click a cell to go to that frame."""

    frame_clicked = Signal(int)

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review_strip")
        self.project = project
        self.n_frames = len(project.sequence)
        self.current = 0
        self.track_token: str | None = None
        self.states: dict[int, ReviewState] = {}
        self.finding_frames: set[int] = set()
        self.setMinimumHeight(12)
        self.setMaximumHeight(12)
        self.setToolTip("Review state of the selected track per frame")

    def show_track(self, track_token: str | None, finding_frames: set[int] | None = None) -> None:
        self.track_token = track_token if track_token and self.project.get_track(track_token) else None
        anns = self.project.annotations_of_track(self.track_token) if self.track_token else []
        self.states = {a.frame_index: a.review_state for a in anns}
        self.finding_frames = set(finding_frames or ())
        self.update()

    def set_current(self, frame_index: int | None) -> None:
        self.current = frame_index or 0
        self.update()

    def _cell(self, i: int) -> QRectF:
        w = self.width() / max(self.n_frames, 1)
        return QRectF(i * w, 0, max(w - 1, 1), self.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND_RGB)
        for i, state in self.states.items():
            painter.fillRect(self._cell(i), STATE_RGB[state])
        for i in self.finding_frames:
            cell = self._cell(i)
            painter.fillRect(QRectF(cell.x(), 0, cell.width(), 3), FINDING_RGB)
        if self.n_frames:
            painter.setPen(QColor(240, 240, 240))
            painter.drawRect(self._cell(self.current).adjusted(0, 0, 0, -1))
        painter.end()

    def mousePressEvent(self, event) -> None:  # noqa: N802, ANN001
        if self.n_frames:
            i = int(event.position().x() / max(self.width(), 1) * self.n_frames)
            self.frame_clicked.emit(min(max(i, 0), self.n_frames - 1))


class TextDialog(QDialog):
    """A small non-blocking dialog asking for a comment or reply text."""

    def __init__(self, title: str, prompt: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review_text_dialog")
        self.setWindowTitle(title)
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("review_text")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(prompt, self))
        layout.addWidget(self.editor)
        layout.addWidget(buttons)
        self.resize(380, 180)

    def text(self) -> str:
        return self.editor.toPlainText().strip()


class AuthorDialog(QDialog):
    """The reviewer's name (stamped on verdicts, comments and the command log)."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("author_dialog")
        self.setWindowTitle("Reviewer name")
        self.name = QLineEdit(name, self)
        self.name.setObjectName("author_name")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Name", self.name)
        form.addRow(QLabel("($SWEEPLABEL_AUTHOR overrides it when set)", self))
        form.addRow(buttons)
