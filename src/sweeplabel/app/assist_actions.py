"""The editor's tracking-assist verbs: smart propagation (1 or N frames), copy to the
next frame, interpolation, size unification, pre-annotation on a worker thread with a
cancellable progress dialog, and the object-centric view dock. Each edit is one undo
step; a propagation that stops on a poor fit flags its last box (status bar, timeline,
track list, object view)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import numpy as np
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QSpinBox, QToolBar

from sweeplabel.assist.interpolation import interpolate_track, stale_interpolations, user_keyframes
from sweeplabel.assist.preannotate import (
    PreannotateParams, PreannotationCancelled, preannotate_sequence, preannotation_command,
)
from sweeplabel.assist.propagation import STOP_ATTRIBUTE, PropagationParams, PropagationReport, plan_propagation
from sweeplabel.assist.size import unify_track_size
from sweeplabel.model import Command, ModelError, SchemaError, Sequence, Source
from sweeplabel.viewer.frame_data import is_big_cloud

from .actions import ASSIST_ACTIONS, EDIT_ACTIONS
from .assist_ops import execute_edit, flagged_frames, propagation_message, sensor_points, without_flag
from .panels.object_view_panel import ObjectViewPanel

if TYPE_CHECKING:
    from .main_window import MainWindow

ASSIST_MENU = tuple(s for s in EDIT_ACTIONS if s.id.startswith("propagate")) + ASSIST_ACTIONS
DEFAULT_PROPAGATE_FRAMES = 5
MAX_PROPAGATE_FRAMES = 500


class _Bridge(QObject):
    progress = Signal(int, int)
    finished = Signal(object)  # list[AutoTrack]
    cancelled = Signal()
    failed = Signal(str)


class _PreannotateJob(QRunnable):
    """Runs ``preannotate_sequence`` (reads the sequence only; the project is not touched)."""

    def __init__(self, sequence: Sequence, params: PreannotateParams, cancel: threading.Event,
                 bridge: _Bridge) -> None:
        super().__init__()
        self.sequence, self.params, self.cancel, self.bridge = sequence, params, cancel, bridge

    def run(self) -> None:
        try:
            tracks = preannotate_sequence(self.sequence, self.params, progress=self.bridge.progress.emit,
                                          cancel=self.cancel.is_set)
        except PreannotationCancelled:
            self.bridge.cancelled.emit()
            return
        except Exception as exc:  # noqa: BLE001 - reported to the UI, never lost in a thread
            self.bridge.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.bridge.finished.emit(tracks)


class AssistController(QObject):
    """Owned by the main window: ``slots()`` feeds its action table, ``install()`` adds
    the propagation spin box and the object view once the window is built."""

    preannotation_done = Signal(str)  # "applied" | "cancelled" | "failed"

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.project = window.project
        self.editor = window.editor
        self.propagation_params = PropagationParams()
        self.preannotate_params = PreannotateParams()
        if window.store is not None:  # a team's scorer model, set by `train-scorer --rescore`
            from sweeplabel.assist.project_scorer import project_params

            self.preannotate_params = project_params(window.store.meta(), self.preannotate_params)
        self.last_report: PropagationReport | None = None
        self.progress_dialog: QProgressDialog | None = None
        self._cancel = threading.Event()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._bridge = _Bridge(self)
        self._bridge.progress.connect(self._on_progress)
        self._bridge.finished.connect(self._on_preannotated)
        self._bridge.cancelled.connect(self._on_cancelled)
        self._bridge.failed.connect(self._on_failed)
        self.frames_spin = QSpinBox(window)
        self.frames_spin.setObjectName("propagate_frames")
        self.frames_spin.setRange(1, MAX_PROPAGATE_FRAMES)
        self.frames_spin.setValue(DEFAULT_PROPAGATE_FRAMES)
        self.frames_spin.setPrefix("N = ")
        self.frames_spin.setToolTip("Frames that 'Propagate N frames' fills")
        self.frames_spin.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.object_view = ObjectViewPanel(self.project, window)
        self.object_view_dock = None

    @property
    def busy(self) -> bool:
        return self.progress_dialog is not None

    # -- wiring -------------------------------------------------------------------------
    def slots(self) -> dict[str, Callable[[], None]]:
        return {
            "propagate_next": self.propagate_and_step,
            "propagate_5": lambda: self.propagate(self.frames_spin.value()),
            "copy_next": lambda: self.editor.propagate(1),
            "interpolate_track": self.interpolate,
            "unify_track_size": self.unify_size,
            "preannotate": self.preannotate,
            "toggle_object_view": self.toggle_object_view,
        }

    def install(self) -> None:
        """Spin box beside the toolbar's Propagate, the object view dock, the signals."""
        win = self.window
        toolbar = win.findChild(QToolBar, "navigation_toolbar")
        if toolbar is not None:  # the toolbar's button propagates N frames (the spin box beside it)
            one, many = win.actions_by_id["propagate_next"], win.actions_by_id["propagate_5"]
            if one in toolbar.actions():
                toolbar.insertAction(one, many)
                toolbar.removeAction(one)
            propagate = many
            actions = toolbar.actions()
            after = actions[actions.index(propagate) + 1] if propagate in actions[:-1] else None
            if after is not None:
                toolbar.insertWidget(after, self.frames_spin)
            else:
                toolbar.addWidget(self.frames_spin)
        bar = win.menuBar()  # an Assist sub-menu of Tools (the menu bar's top level stays as it is)
        tools = next((a.menu() for a in bar.actions() if a.text() == "&Tools" and a.menu()), None)
        menu = tools.addMenu("&Assist") if tools is not None else bar.addMenu("&Assist")
        for spec in ASSIST_MENU:
            menu.addAction(win.actions_by_id[spec.id])
        self.object_view_dock = win._dock("Object view", self.object_view, Qt.DockWidgetArea.RightDockWidgetArea)
        win.resizeDocks([win.subviews_dock, self.object_view_dock], [260, 260], Qt.Orientation.Vertical)
        self.object_view_dock.visibilityChanged.connect(lambda _visible: self.refresh_object_view())
        self.editor.selection_changed.connect(lambda _token: self.refresh_object_view())
        self.editor.selection_changed.connect(self._prefetch_for_propagation)
        self.frames_spin.valueChanged.connect(lambda _n: self._prefetch_for_propagation(self.editor.selected))
        self.project.undo.changed.connect(self._on_undo_changed)

    def _on_undo_changed(self) -> None:
        self.refresh_object_view(force=True)

    def refresh_object_view(self, force: bool = False) -> None:
        """Feed the object view the selected track (stacked again after an edit)."""
        if self.object_view_dock is None or not self.object_view_dock.isVisible():
            return
        track = self.editor.selected_track
        if track is not None and self.project.get_track(track) is None:
            track = None
        self.object_view.show_track(track, self.editor.frame_index, flagged_frames(self.project, track), force)

    def toggle_object_view(self) -> None:
        if self.object_view_dock is not None:
            self.object_view_dock.setVisible(not self.object_view_dock.isVisible())

    def shutdown(self) -> None:
        """The window closes: stop a running pre-annotation and the view's worker."""
        self._cancel.set()
        self._pool.waitForDone(30_000)
        self.object_view.shutdown()
        try:
            self.project.undo.changed.disconnect(self._on_undo_changed)
        except (ValueError, RuntimeError):  # never installed, or already off
            pass

    # -- helpers ------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.editor.message.emit(text)

    def _selected(self) -> tuple[str, int] | None:
        """(track, frame) of the selected box, or None after telling the user."""
        token = self.editor.selected
        ann = self.project.get_annotation(token) if token is not None else None
        if ann is None:
            self._say("Select a box first")
            return None
        return ann.track_token, ann.frame_index

    def _selected_track(self) -> str | None:
        track = self.editor.selected_track
        if track is None or self.project.get_track(track) is None:
            self._say("Select a box of a track first")
            return None
        return track

    def _execute(self, text: str, commands: Iterable[Command]) -> bool:
        """Execute lazily built commands as one undo step; a refusal becomes a message."""
        try:
            with self.project.undo.macro(text):
                for cmd in commands:
                    execute_edit(self.project, cmd)
        except (ModelError, SchemaError, ValueError) as exc:
            self._say(str(exc))
            return False
        return True

    # -- verbs ----------------------------------------------------------------------------
    def propagate(self, n_frames: int) -> PropagationReport | None:
        """Smart propagation of the selected track from this frame to the next ``n_frames``
        (predict with the track's motion, re-fit, stop with a flag on a poor fit)."""
        where = self._selected()
        if where is None or self._tools_not_ready():
            return None
        track, frame = where
        number = self.project.track(track).number
        reports: list[PropagationReport] = []

        def steps() -> Iterator[Command]:
            start = self.project.annotation_at(track, frame)
            yield without_flag(start)  # propagating again from a flagged box: it was checked
            report = plan_propagation(self.project, track, frame, n_frames, self.propagation_params,
                                      points_of=self._sweep_points)
            reports.append(report)
            yield report.command

        if not self._execute(f"Propagate track {number}", steps()) or not reports:
            return None
        report = self.last_report = reports[0]
        self._say(propagation_message(report, number))
        self.refresh_object_view(force=True)
        return report

    def _prefetch_for_propagation(self, token: object) -> None:
        """A box is selected: load the next N frames (the propagate field) on the loader's
        worker now, so propagating finds their points in the frame cache instead of reading
        the files on the UI thread (an Argoverse 2 sweep takes 43-100 ms to read)."""
        loader = getattr(self.window, "loader", None)
        frame = self.editor.frame_index
        if token is None or loader is None or frame is None:
            return
        loader.prefetch(frame, 1, self.frames_spin.value())

    def _tools_not_ready(self) -> bool:
        """Propagation runs the point kernels: while they are being prepared (a first run
        compiles them) it says so instead of freezing the window."""
        warmup = getattr(self.window, "tool_warmup", None)
        if warmup is None or not warmup.not_ready():
            return False
        from .tool_warmup import NOT_READY_MESSAGE

        self._say(NOT_READY_MESSAGE)
        return True

    def _sweep_points(self, frame_index: int) -> np.ndarray:
        """A frame's sensor-frame points for propagation: from the editor's frame cache when it
        holds the whole cloud (not a decimated big LAS/LAZ), else read from the file."""
        frame = self.project.sequence[frame_index]
        loader = getattr(self.window, "loader", None)
        data = loader.cached(frame_index) if loader is not None else None
        if data is None or is_big_cloud(frame):
            return frame.load_points()
        return sensor_points(data, frame, self.project.sequence.render_origin_m)

    def propagate_and_step(self) -> PropagationReport | None:
        """Ctrl+Right: propagate the selected box to the next frame and show that frame
        (its box selected), so holding the key walks the track."""
        where = self._selected()
        if where is None:
            return None
        flag = self.project.annotation(self.editor.selected).attributes.get(STOP_ATTRIBUTE)
        if flag is not None:  # the walk stops at a flag (holding the key would clear it unseen)
            self._say(f"⚑ Frame {where[1] + 1}: propagation stopped here ({flag}) — check the box: an edit clears "
                      f"the flag, the toolbar's Propagate goes on from it as it is")
            return None
        report = self.propagate(1)
        frame = where[1] + 1
        if frame < len(self.project.sequence):
            self.window.go_to_frame(frame)
        return report

    def interpolate(self) -> int:
        """Re-interpolate the selected track between its keyframes: the boxes the user
        placed or edited (manual) when it has two or more, whatever the source of the boxes
        between them (propagated, auto, interpolated); else between all its
        non-interpolated boxes. Returns the boxes changed (one undo step)."""
        track = self._selected_track()
        if track is None:
            return 0
        keys = user_keyframes(self.project, track)
        number = self.project.track(track).number
        if len(keys) < 2:
            self._say(f"Track {number}: interpolation needs two or more keyframes (it has {len(keys)})")
            return 0
        written: list[int] = []

        def steps() -> Iterator[Command]:
            yield stale_interpolations(self.project, track)
            cmd = interpolate_track(self.project, track, user_keys=True)
            written.append(len(cmd.changes))
            yield cmd

        if not self._execute(f"Interpolate track {number}", steps()):
            return 0
        n = written[0] if written else 0
        gaps = sum(1 for a, b in zip(keys, keys[1:]) if b > a + 1)
        self._say(f"Track {number}: interpolated {n} box{'es' if n != 1 else ''} in {gaps} gap{'s' if gaps != 1 else ''}"
                  f" between keyframes {keys[0] + 1} and {keys[-1] + 1}: {n} frame{'s' if n != 1 else ''} changed"
                  if n else
                  f"Track {number}: nothing to interpolate (no gaps between its keyframes, or already up to date)")
        return n

    def unify_size(self) -> bool:
        """One size for every box of the selected (rigid) track."""
        track = self._selected_track()
        if track is None:
            return False
        trk = self.project.track(track)
        category = self.project.schema.category(trk.category)
        if not category.rigid:
            self._say(f"Track {trk.number}: {category.label} is not rigid; its sizes are left as they are")
            return False
        try:
            cmd = unify_track_size(self.project, track)
        except ValueError as exc:
            self._say(str(exc))
            return False
        if not cmd.changes:
            self._say(f"Track {trk.number}: all boxes already have the same size")
            return False
        if not self._execute(cmd.text, [cmd]):
            return False
        size = self.project.annotations_of_track(track)[0].box.size_lwh_m
        self._say(f"Track {trk.number}: {len(cmd.changes)} boxes now {size[0]:.2f} × {size[1]:.2f} × {size[2]:.2f} m")
        return True

    # -- pre-annotation -------------------------------------------------------------------
    def preannotate(self) -> None:
        """Start pre-annotating the sequence on a worker thread (a progress dialog shows
        it; Cancel leaves the project as it was)."""
        if self.busy:
            self._say("Pre-annotation is already running")
            return
        n = len(self.project.sequence)
        if n == 0:
            self._say("No frames to pre-annotate")
            return
        self._cancel = threading.Event()
        dialog = QProgressDialog("Pre-annotating the sequence: ground, clusters, boxes, tracks …", "Cancel",
                                 0, n + 1, self.window)
        dialog.setObjectName("preannotate_progress")
        dialog.setWindowTitle("Pre-annotate sequence")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self._cancel.set)
        dialog.setValue(0)
        dialog.show()
        self.progress_dialog = dialog
        self.window.actions_by_id["preannotate"].setEnabled(False)
        self._pool.start(_PreannotateJob(self.project.sequence, self.preannotate_params, self._cancel, self._bridge))

    def cancel_preannotation(self) -> None:
        self._cancel.set()
        if self.progress_dialog is not None:
            self.progress_dialog.cancel()

    def wait_preannotation(self, timeout_ms: int = 60_000) -> bool:
        """Scripts and tests: block until the worker ends (its result needs the event loop)."""
        return self._pool.waitForDone(timeout_ms)

    def _on_progress(self, done: int, total: int) -> None:
        dialog = self.progress_dialog  # a modal dialog's setValue runs the event loop: the job may end inside
        if dialog is None:
            return
        if dialog.wasCanceled():
            self._cancel.set()
            return
        dialog.setLabelText(f"Pre-annotating the sequence: frame {min(max(done, 1), total)} of {total}")
        dialog.setMaximum(total)
        dialog.setValue(done)

    def _close_dialog(self) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.blockSignals(True)
            self.progress_dialog.close()
            self.progress_dialog.deleteLater()
            self.progress_dialog = None
        self.window.actions_by_id["preannotate"].setEnabled(True)

    def _on_preannotated(self, tracks: object) -> None:
        if self._cancel.is_set() or (self.progress_dialog is not None and self.progress_dialog.wasCanceled()):
            # cancelled after the last frame: still nothing changes
            self._on_cancelled()
            return
        self._close_dialog()
        auto = list(tracks)  # type: ignore[call-overload]
        cmd = preannotation_command(self.project, auto)
        if not self._execute(cmd.text, [cmd]):
            self.preannotation_done.emit("failed")
            return
        if self.window.store is not None:  # what was proposed: deleted ones teach "Re-score from this project"
            from sweeplabel.assist.project_scorer import CANDIDATES_META_KEY, candidate_log

            self.window.store.set_meta(CANDIDATES_META_KEY, candidate_log(cmd, auto))
        boxes = sum(len(t.boxes) for t in auto)
        self._say(f"Pre-annotation: {len(auto)} tracks, {boxes} auto boxes — accept, fix or delete them "
                  "(Undo removes them all)")
        self.window.track_list.refresh()
        self.preannotation_done.emit("applied")

    def _on_cancelled(self) -> None:
        self._close_dialog()
        self._say("Pre-annotation cancelled; nothing was changed")
        self.preannotation_done.emit("cancelled")

    def _on_failed(self, message: str) -> None:
        self._close_dialog()
        self._say(f"Pre-annotation failed: {message}")
        self.window.show_error("Pre-annotation failed", f"Pre-annotation failed; nothing was changed.\n{message}")
        self.preannotation_done.emit("failed")

