"""Track list: number, class, frames covered, review state; filter by class.
Clicking a row emits ``track_activated`` (the main window selects it and jumps)."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QAbstractItemView, QApplication, QComboBox, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from sweeplabel.assist.propagation import STOP_ATTRIBUTE
from sweeplabel.model import Project

from .score_filter import by_score

COLUMNS = ("#", "Class", "Frames", "Review")
REVIEW_RGB = {"accepted": QColor(60, 160, 80), "rejected": QColor(210, 50, 50), "fixed": QColor(220, 140, 30),
              "mixed": QColor(150, 110, 200)}  # the Review column's text colour
ALL_CLASSES = ""


def frames_text(frames: list[int]) -> str:
    """``3-7 (5)`` in 1-based frame numbers; ``-`` when empty."""
    if not frames:
        return "-"
    return f"{frames[0] + 1}-{frames[-1] + 1} ({len(frames)})"


def review_text(states: Counter) -> str:
    """The dominant review state, ``mixed`` when several."""
    if not states:
        return "-"
    if len(states) == 1:
        return next(iter(states))
    return "mixed"


class TrackListPanel(QWidget):
    track_activated = Signal(str)  # track token

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.filter = QComboBox(self)
        self.filter.setObjectName("class_filter")
        self.filter.addItem("All classes", ALL_CLASSES)
        for cat in project.schema.categories:
            self.filter.addItem(cat.label, cat.name)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("track_table")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)  # Shift/Ctrl-click
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setMinimumWidth(260)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.filter)
        layout.addWidget(self.table)
        self._tokens: list[str] = []
        self._selected_track: str | None = None
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.timeout.connect(self.refresh)
        self.filter.currentIndexChanged.connect(self.refresh)
        self.table.cellClicked.connect(self._on_clicked)
        self.refresh()

    def schedule_refresh(self) -> None:
        """Coalesce many model signals (a batch edit) into one rebuild."""
        self._refresh_timer.start(0)

    @property
    def row_tokens(self) -> list[str]:
        return list(self._tokens)

    def refresh(self) -> None:
        self._multi = self.selected_tokens() if self._tokens else []
        wanted = self.filter.currentData()
        tracks = by_score(self.project.tracks.values())  # people's tracks by number, then auto by score
        if wanted:
            tracks = [t for t in tracks if t.category == wanted]
        self.table.setRowCount(len(tracks))
        self._tokens = [t.token for t in tracks]
        for row, track in enumerate(tracks):
            anns = self.project.annotations_of_track(track.token)
            flag = " ⚑" if any(STOP_ATTRIBUTE in a.attributes for a in anns) else ""  # propagation stopped
            cells = (f"{track.number}{flag}", self.project.schema.category(track.category).label,
                     frames_text([a.frame_index for a in anns]),
                     review_text(Counter(a.review_state.value for a in anns)))
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
            if cells[3] in REVIEW_RGB:
                self.table.item(row, 3).setForeground(QBrush(REVIEW_RGB[cells[3]]))
        self.table.resizeColumnsToContents()
        kept = [t for t in getattr(self, "_multi", []) if t in self._tokens]
        if len(kept) > 1:
            self.select_tokens(kept)  # a rebuild keeps a multi-selection
        else:
            self.show_selected(self._selected_track)

    def selected_tokens(self) -> list[str]:
        """The tracks of the selected rows, in row order."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self._tokens[r] for r in rows if 0 <= r < len(self._tokens)]

    def select_tokens(self, tokens: list[str]) -> None:
        """Select exactly these tracks' rows (those shown)."""
        selection = QItemSelection()
        model = self.table.model()
        for token in tokens:
            if token in self._tokens:
                row = self._tokens.index(token)
                selection.select(model.index(row, 0), model.index(row, len(COLUMNS) - 1))
        self.table.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def show_selected(self, track_token: str | None) -> None:
        if track_token is not None and track_token in self.selected_tokens() and len(self.selected_tokens()) > 1:
            self._selected_track = track_token  # part of a multi-selection: keep it
            return
        self._selected_track = track_token
        self.table.blockSignals(True)
        self.table.clearSelection()
        if track_token in self._tokens:
            row = self._tokens.index(track_token)
            self.table.selectRow(row)
            self.table.scrollToItem(self.table.item(row, 0))
        self.table.blockSignals(False)

    def _on_clicked(self, row: int, _col: int) -> None:
        multi = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier
        if QApplication.keyboardModifiers() & multi:
            return  # Shift/Ctrl-click builds a multi-selection: no jump
        if 0 <= row < len(self._tokens):
            self.track_activated.emit(self._tokens[row])
