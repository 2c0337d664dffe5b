"""The track list's bulk bar: for every selected track at once delete, set class, accept,
reject (each one undo step); select the auto tracks below a score; accept all shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QGridLayout, QLabel, QPushButton, QWidget

from sweeplabel.model import ModelError, ReviewState, SchemaError

from .track_bulk import auto_tracks_below, delete_tracks, review_tracks, set_tracks_category

if TYPE_CHECKING:
    from .main_window import MainWindow

DEFAULT_MAX_SCORE = 0.5


class TrackBulkBar(QWidget):
    """Buttons under the track table; they act on ``track_list.selected_tokens()``."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window.track_list)
        self.setObjectName("track_bulk_bar")
        self.window_ = window
        self.tracks = window.track_list
        self.count = QLabel("", self)
        self.count.setObjectName("track_selection_count")
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.setObjectName("bulk_delete")
        self.delete_button.setToolTip("Delete the selected tracks and all their boxes (one undo step)")
        self.accept_button = QPushButton("Accept", self)
        self.accept_button.setObjectName("bulk_accept")
        self.accept_button.setToolTip("Accept the selected tracks and all their boxes (one undo step)")
        self.reject_button = QPushButton("Reject", self)
        self.reject_button.setObjectName("bulk_reject")
        self.reject_button.setToolTip("Reject the selected tracks and all their boxes (one undo step)")
        self.category = QComboBox(self)
        self.category.setObjectName("bulk_category")
        self.category.addItem("Set class…", "")
        for cat in window.project.schema.categories:
            self.category.addItem(cat.label, cat.name)
        self.max_score = QDoubleSpinBox(self)
        self.max_score.setObjectName("bulk_max_score")
        self.max_score.setRange(0.0, 1.0)
        self.max_score.setSingleStep(0.05)
        self.max_score.setValue(DEFAULT_MAX_SCORE)
        self.max_score.setPrefix("score < ")
        self.select_low = QPushButton("Select auto", self)
        self.select_low.setObjectName("bulk_select_low")
        self.select_low.setToolTip("Select the shown machine-made tracks whose score is below the threshold")
        self.accept_shown = QPushButton("Accept all shown", self)
        self.accept_shown.setObjectName("bulk_accept_shown")
        self.accept_shown.setToolTip("Accept every track the list shows (its class filter applies; one undo step)")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.count, 0, 0, 1, 3)
        grid.addWidget(self.delete_button, 1, 0)
        grid.addWidget(self.accept_button, 1, 1)
        grid.addWidget(self.reject_button, 1, 2)
        grid.addWidget(self.category, 2, 0, 1, 3)
        grid.addWidget(self.max_score, 3, 0)
        grid.addWidget(self.select_low, 3, 1)
        grid.addWidget(self.accept_shown, 3, 2)
        self.delete_button.clicked.connect(self.delete_selected)
        self.accept_button.clicked.connect(lambda: self.review_selected(ReviewState.ACCEPTED))
        self.reject_button.clicked.connect(lambda: self.review_selected(ReviewState.REJECTED))
        self.category.activated.connect(self._on_category)
        self.select_low.clicked.connect(self.select_auto_below)
        self.accept_shown.clicked.connect(self.accept_all_shown)
        self.tracks.table.selectionModel().selectionChanged.connect(lambda *_: self._update())  # also when blocked
        self._update()

    def install(self) -> None:
        self.tracks.layout().addWidget(self)

    def _update(self) -> None:
        n = len(self.tracks.selected_tokens())
        self.count.setText(f"{n} track{'s' if n != 1 else ''} selected (Shift/Ctrl-click for more)")
        for w in (self.delete_button, self.accept_button, self.reject_button, self.category):
            w.setEnabled(n > 0)

    def _run(self, command) -> bool:  # noqa: ANN001 - a model Command
        if not command.changes:
            self.window_.statusBar().showMessage("Nothing to change", 5_000)
            return False
        try:
            self.window_.project.execute(command)
        except (ModelError, SchemaError, ValueError) as exc:
            self.window_.statusBar().showMessage(str(exc), 10_000)
            return False
        self.window_.statusBar().showMessage(command.text, 5_000)
        return True

    def delete_selected(self) -> None:
        tokens = self.tracks.selected_tokens()
        if tokens and self._run(delete_tracks(self.window_.project, tokens)):
            self.window_.editor.follow_frame()
        self.window_.view.setFocus()

    def review_selected(self, state: ReviewState) -> None:
        tokens = self.tracks.selected_tokens()
        if tokens:
            self._run(review_tracks(self.window_.project, tokens, state))
        self.window_.view.setFocus()

    def set_category(self, category: str) -> None:
        tokens = self.tracks.selected_tokens()
        if tokens and category:
            self._run(set_tracks_category(self.window_.project, tokens, category))

    def _on_category(self, index: int) -> None:
        self.set_category(str(self.category.itemData(index) or ""))
        self.category.setCurrentIndex(0)
        self.window_.view.setFocus()

    def select_auto_below(self) -> list[str]:
        tokens = auto_tracks_below(self.window_.project, self.max_score.value(), self.tracks.row_tokens)
        self.tracks.select_tokens(tokens)
        self.window_.statusBar().showMessage(f"{len(tokens)} auto tracks below score {self.max_score.value():.2f}",
                                             5_000)
        return tokens

    def accept_all_shown(self) -> None:
        tokens = self.tracks.row_tokens
        if tokens:
            self._run(review_tracks(self.window_.project, tokens, ReviewState.ACCEPTED))
        self.window_.view.setFocus()
