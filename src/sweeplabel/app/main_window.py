"""MainWindow: the render view, frame navigation and a status line (wiring only)."""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QToolBar, QWidget

from sweeplabel.io import ProjectStore
from sweeplabel.model import Project
from sweeplabel.viewer import FrameLoadError, FrameScene, SceneRenderer

from .actions import EDIT_ACTIONS, NAVIGATION_ACTIONS, VIEW_ACTIONS, make_actions
from .render_view import RenderView

DEFAULT_WINDOW_SIZE_PX = (1280, 800)
STATUS_MESSAGE_MS = 10_000
_ANNOTATION_SIGNALS = (
    "annotation_added", "annotation_removed", "annotation_changed", "track_changed", "track_removed",
)


def status_text(frame_index: int | None, n_frames: int, n_points: int, n_boxes: int) -> str:
    """``frame i/n · N points · K boxes`` (1-based frame number)."""
    if frame_index is None:
        return "no frames"
    boxes = "box" if n_boxes == 1 else "boxes"
    return f"frame {frame_index + 1}/{n_frames} · {n_points} points · {n_boxes} {boxes}"


class MainWindow(QMainWindow):
    """One sequence in one view; next/previous frame; re-renders on model signals."""

    def __init__(self, project: Project, store: ProjectStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.store = store
        self.scene = FrameScene(project, SceneRenderer())
        self.view = RenderView(self.scene, self)
        self.setCentralWidget(self.view)
        self.resize(*DEFAULT_WINDOW_SIZE_PX)
        self.status_label = QLabel(self)
        self.statusBar().addWidget(self.status_label, 1)
        self.actions_by_id = make_actions(self, NAVIGATION_ACTIONS + VIEW_ACTIONS + EDIT_ACTIONS, self._slots())
        self._build_toolbar()
        self._connect_model()
        self._update_title()
        if len(project.sequence):
            self.go_to_frame(0)
        self._update_status()

    # -- navigation -----------------------------------------------------------------
    @property
    def frame_index(self) -> int | None:
        return self.scene.frame_index

    def go_to_frame(self, frame_index: int) -> None:
        """Show a frame (clamped to the sequence); no-op when it is already shown."""
        n_frames = len(self.project.sequence)
        if n_frames == 0:
            return
        frame_index = min(max(frame_index, 0), n_frames - 1)
        if frame_index == self.scene.frame_index:
            return
        try:
            self.scene.show_frame(frame_index)
        except FrameLoadError as exc:
            self.statusBar().showMessage(str(exc), STATUS_MESSAGE_MS)
        self._update_status()
        self.view.request_render()

    def step_frame(self, delta: int) -> None:
        self.go_to_frame((self.scene.frame_index or 0) + delta)

    # -- camera ---------------------------------------------------------------------
    def reset_view(self) -> None:
        self.scene.renderer.fit_camera()
        self.view.request_render()

    def birds_eye_view(self) -> None:
        self.scene.renderer.camera.birds_eye()
        self.view.request_render()

    # -- wiring ---------------------------------------------------------------------
    def _slots(self) -> dict[str, object]:
        return {
            "first_frame": lambda: self.go_to_frame(0),
            "previous_frame": lambda: self.step_frame(-1),
            "next_frame": lambda: self.step_frame(+1),
            "last_frame": lambda: self.go_to_frame(len(self.project.sequence) - 1),
            "reset_view": self.reset_view,
            "birds_eye": self.birds_eye_view,
            "undo": self.project.undo.undo,
            "redo": self.project.undo.redo,
        }

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Navigation", self)
        toolbar.setObjectName("navigation_toolbar")
        toolbar.setMovable(False)
        for spec in NAVIGATION_ACTIONS + VIEW_ACTIONS:
            if spec is VIEW_ACTIONS[0]:
                toolbar.addSeparator()
            if spec.toolbar:
                toolbar.addAction(self.actions_by_id[spec.id])
        self.addToolBar(toolbar)

    def _connect_model(self) -> None:
        for name in _ANNOTATION_SIGNALS:
            getattr(self.project.events, name).connect(self._on_annotations_changed)
        self.project.undo.changed.connect(self._update_title)

    def _disconnect_model(self) -> None:
        for name in _ANNOTATION_SIGNALS:
            getattr(self.project.events, name).disconnect(self._on_annotations_changed)
        self.project.undo.changed.disconnect(self._update_title)

    def _update_title(self) -> None:
        """``<project> — all changes saved — sweeplabel`` (the store saves every step)."""
        name = self.store.path.name if self.store is not None else self.project.sequence.name
        if self.store is None:
            state = "not saved (no project file)"
        elif self.store.has_unsaved_changes:
            state = "saving…"
        else:
            state = "all changes saved"
        self.setWindowTitle(f"{name} — {state} — sweeplabel")
        stack = self.project.undo
        self.actions_by_id["undo"].setEnabled(stack.can_undo)
        self.actions_by_id["undo"].setText(f"Undo {stack.undo_text}".strip())
        self.actions_by_id["redo"].setEnabled(stack.can_redo)
        self.actions_by_id["redo"].setText(f"Redo {stack.redo_text}".strip())

    def _on_annotations_changed(self, *_: object) -> None:
        self.scene.refresh_annotations()
        self._update_status()
        self.view.request_render()

    def _update_status(self) -> None:
        scene = self.scene
        self.status_label.setText(status_text(scene.frame_index, scene.n_frames, scene.n_points, scene.n_boxes))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self._disconnect_model()
        self.view.release()
        super().closeEvent(event)
