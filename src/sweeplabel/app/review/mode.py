"""Review mode wired into the main window: the QA dock, the review strip under the
timeline, the reviewer's name, and the slots of the review actions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDockWidget

from sweeplabel.model import ReviewState, default_author

from ..actions import REVIEW_ACTIONS
from .controller import ReviewController
from .qa_panel import QAPanel
from .settings import configured_author, save_author
from .widgets import AuthorDialog, ReviewStrip, TextDialog

if TYPE_CHECKING:
    from ..main_window import MainWindow


def review_slots(window: "MainWindow") -> dict[str, Callable[[], None]]:
    """Slots for the review actions; they look ``window.review`` up when triggered."""
    r = lambda: window.review  # noqa: E731 - built after the actions
    return {
        "review_mode": lambda: r().set_active(window.actions_by_id["review_mode"].isChecked()),
        "next_finding": lambda: r().step(+1),
        "previous_finding": lambda: r().step(-1),
        "accept_box": lambda: r().controller.set_box_state(ReviewState.ACCEPTED),
        "reject_box": lambda: r().controller.set_box_state(ReviewState.REJECTED),
        "mark_fixed": lambda: r().controller.set_box_state(ReviewState.FIXED),
        "accept_track_range": lambda: r().set_range_state(ReviewState.ACCEPTED),
        "reject_track_range": lambda: r().set_range_state(ReviewState.REJECTED),
        "add_comment": lambda: r().ask_comment(),
        "reply_comment": lambda: r().ask_reply(),
        "resolve_comment": lambda: r().controller.toggle_resolved(),
        "set_author": lambda: r().ask_author(),
    }


class ReviewMode:
    """Owns the review controller and its widgets inside one ``MainWindow``."""

    def __init__(self, window: "MainWindow") -> None:
        self.window = window
        project = window.project
        name = configured_author()
        if name and project.author == default_author():  # an author the caller chose stays
            project.author = name
        self.controller = ReviewController(project, window.editor, lambda i: window.go_to_frame(i, wait=True),
                                           window.store, window)
        self.panel = QAPanel(self.controller, window.actions_by_id, window)
        self.dock = window._dock("QA review", self.panel, Qt.DockWidgetArea.RightDockWidgetArea)
        self.dock.hide()
        self.strip = ReviewStrip(project, window.timeline)
        window.timeline.layout().addWidget(self.strip)
        self.strip.hide()
        self.dialog: TextDialog | AuthorDialog | None = None
        self._track: str | None = None
        self._placed = False
        self._active = False
        action = window.actions_by_id["review_mode"]
        action.setCheckable(True)
        self._build_menu()
        self.strip.frame_clicked.connect(window.go_to_frame)
        self.dock.visibilityChanged.connect(self._on_dock_visible)
        window.editor.selection_changed.connect(self._on_selection)
        self.controller.findings_changed.connect(self.update_strip)
        self.controller.review_changed.connect(self.update_strip)

    def _build_menu(self) -> None:
        """A Review sub-menu of Tools (the menu bar's top level stays as it is)."""
        bar = self.window.menuBar()
        tools = next((a.menu() for a in bar.actions() if a.text() == "&Tools" and a.menu()), None)
        menu = tools.addMenu("Re&view") if tools is not None else bar.addMenu("Re&view")
        menu.setObjectName("review_menu")
        for spec in REVIEW_ACTIONS:
            menu.addAction(self.window.actions_by_id[spec.id])
        self.menu = menu

    @property
    def active(self) -> bool:
        return self._active

    def set_active(self, on: bool) -> None:
        """Show the QA dock and the review strip, and start the checks."""
        if on and not self.controller.enabled:
            self._enable_checks()
        self._active = on
        if on:
            self._place_dock()
        self.dock.setVisible(on)
        if on:
            self.dock.raise_()
        self.strip.setVisible(on)
        self.window.actions_by_id["review_mode"].setChecked(on)
        self.panel.refresh()
        self.update_strip()

    def _place_dock(self) -> None:
        """Beside the track list (a tab of the left area, widened): the right area is
        full with properties and box views, which a reviewer needs while fixing."""
        if self._placed:
            return
        self._placed = True
        tracks = self.window.findChild(QDockWidget, "dock_tracks")
        if tracks is not None and self.window.dockWidgetArea(tracks) == Qt.DockWidgetArea.LeftDockWidgetArea:
            self.window.tabifyDockWidget(tracks, self.dock)
            self.window.resizeDocks([self.dock], [460], Qt.Orientation.Horizontal)

    def _enable_checks(self) -> None:
        """The first full check loads every frame's points (seconds on a long sequence)."""
        self.window.statusBar().showMessage("Running the QA checks …")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.controller.enable()
        finally:
            QApplication.restoreOverrideCursor()
        n = len(self.controller.open_findings())
        self.window.statusBar().showMessage(f"QA checks: {n} open finding{'s' if n != 1 else ''}", 10_000)

    def _on_dock_visible(self, visible: bool) -> None:
        if visible and not self.controller.enabled:
            self._enable_checks()
            self.panel.refresh()

    def step(self, delta: int) -> None:
        if not self.active:
            self.set_active(True)
        self.controller.step_finding(delta)

    def set_range_state(self, state: ReviewState) -> None:
        first, last = self.panel.track_range()
        self.controller.set_track_range_state(state, first, last)

    # -- dialogs ---------------------------------------------------------------------
    def _open(self, dialog: TextDialog | AuthorDialog, on_ok: Callable[[], None]) -> None:
        dialog.accepted.connect(on_ok)
        dialog.finished.connect(lambda _r: self.window.view.setFocus())
        dialog.open()
        self.dialog = dialog

    def ask_comment(self) -> TextDialog:
        ed = self.controller.editor
        ann = self.window.project.get_annotation(ed.selected) if ed.selected else None
        track = self.window.project.get_track(ed.selected_track) if ed.selected_track else None
        where = f"the box of track {track.number} in frame {ann.frame_index + 1}" if ann and track else \
            f"track {track.number}" if track else f"frame {(ed.frame_index or 0) + 1}"
        dialog = TextDialog("Add comment", f"Comment on {where} (as {self.window.project.author}):", self.window)
        self._open(dialog, lambda: self.controller.add_comment(dialog.text()) if dialog.text() else None)
        return dialog

    def ask_reply(self) -> TextDialog | None:
        token = self.controller.target_comment()
        if token is None:
            self.window.editor.message.emit("Choose a comment first")
            return None
        comment = self.window.project.comment(token)
        dialog = TextDialog("Reply", f"Reply to {comment.author}: “{comment.text[:80]}”", self.window)
        self._open(dialog, lambda: self.controller.reply(dialog.text(), token) if dialog.text() else None)
        return dialog

    def ask_author(self) -> AuthorDialog:
        dialog = AuthorDialog(self.window.project.author, self.window)

        def apply() -> None:
            name = dialog.name.text().strip()
            if name:
                save_author(name)
                self.window.project.author = name
                self.panel.refresh()

        self._open(dialog, apply)
        return dialog

    # -- view ------------------------------------------------------------------------
    def _on_selection(self, _token: object) -> None:
        track = self.controller.editor.selected_track
        if track != self._track and track is not None and self.window.project.get_track(track) is not None:
            frames = [a.frame_index for a in self.window.project.annotations_of_track(track)]
            if frames:
                self.panel.set_track_range(min(frames), max(frames))
        self._track = track
        self.update_strip()

    def update_strip(self) -> None:
        if not self.active:
            return
        track = self.controller.editor.selected_track
        frames = {f.frame_index for f in self.controller.open_findings()
                  if f.track_token == track and f.frame_index is not None} if track else set()
        self.strip.show_track(track, frames)
        self.strip.set_current(self.controller.editor.frame_index)

    def shutdown(self) -> None:
        self.controller.shutdown()
