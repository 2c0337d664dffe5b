"""Object-centric view: the selected track's points from all its frames stacked in its
own box frame (``accumulate_track_points``), so the whole object shows although each
sweep sees one side of it. Painted with QPainter (top and side projections), like the
sub-views; the stacking runs on a worker thread over a snapshot of the track's boxes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QBoxLayout, QLabel, QVBoxLayout, QWidget

from sweeplabel.assist.object_view import ObjectPoints, accumulate_track_points
from sweeplabel.model import Annotation, Project, Sequence

MARGIN_M = 0.3  # points this far outside each box are stacked too (a box drawn a little small)
GROUND_CLEARANCE_M = 0.15  # points lower than this above the box bottom are ground, not object
MAX_POINTS = 40_000
VIEW_MARGIN_M = 0.6
BOX_RGB = QColor(255, 255, 255)
CURRENT_RGB = QColor(255, 240, 80)
FLAG_RGB = QColor(240, 70, 60)
BACKGROUND_RGB = QColor(24, 26, 30)


@dataclass(frozen=True)
class Projection:
    """Box-frame axes on screen x (``h``) and screen up (``v``), with signs."""

    name: str
    h: int
    h_sign: float
    v: int
    v_sign: float


TOP = Projection("top", 0, 1.0, 1, 1.0)  # heading right, the box's left up (a car fills a wide dock)
SIDE = Projection("side", 0, 1.0, 2, 1.0)  # heading right
PROJECTIONS = (TOP, SIDE)


def frame_colors(frame_index: np.ndarray, current: int | None) -> list[tuple[np.ndarray, QColor]]:
    """(mask, colour) groups: each frame its own hue (blue for the first, through green, to
    magenta for the last), the current frame yellow and half transparent, drawn last."""
    groups: list[tuple[np.ndarray, QColor]] = []
    frames = np.unique(frame_index)
    for k, f in enumerate(frames):
        if current is not None and f == current:
            continue
        hue = 0.6 - 0.75 * k / max(len(frames) - 1, 1)  # 0.6 blue ... -0.15 magenta
        groups.append((frame_index == f, QColor.fromHsvF(hue % 1.0, 0.55, 0.95)))
    if current is not None and np.any(frame_index == current):
        groups.append((frame_index == current, QColor(CURRENT_RGB.red(), CURRENT_RGB.green(), CURRENT_RGB.blue(), 150)))
    return groups


def without_ground(stacked: ObjectPoints, size_lwh_m: np.ndarray | None) -> ObjectPoints:
    """The stacked points above the box bottom (the margin takes in the ground under it)."""
    if size_lwh_m is None or len(stacked) == 0:
        return stacked
    keep = stacked.points_box_m[:, 2] > -size_lwh_m[2] / 2 + GROUND_CLEARANCE_M
    return ObjectPoints(stacked.track_token, stacked.points_box_m[keep], stacked.frame_index[keep])


class ProjectionView(QWidget):
    """One orthographic projection of the stacked points and the box outline."""

    def __init__(self, projection: Projection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.projection = projection
        self.setObjectName(f"object_view_{projection.name}")
        self.setMinimumSize(140, 110)
        self.points = np.zeros((0, 3), dtype=np.float32)
        self.frame_index = np.zeros(0, dtype=np.int32)
        self.size_lwh_m: np.ndarray | None = None
        self.current: int | None = None
        self.flagged = False

    def set_content(self, points: np.ndarray, frame_index: np.ndarray, size_lwh_m: np.ndarray | None,
                    current: int | None, flagged: bool = False) -> None:
        self.points, self.frame_index, self.size_lwh_m = points, frame_index, size_lwh_m
        self.current, self.flagged = current, flagged
        self.update()

    def scale_px_per_m(self) -> float:
        size = self.size_lwh_m if self.size_lwh_m is not None else np.array([4.0, 2.0, 1.6])
        p = self.projection
        return 0.9 * min(self.width() / (size[p.h] + 2 * VIEW_MARGIN_M), self.height() / (size[p.v] + 2 * VIEW_MARGIN_M))

    def to_screen(self, h_m: np.ndarray, v_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s, p = self.scale_px_per_m(), self.projection
        return self.width() / 2 + p.h_sign * h_m * s, self.height() / 2 - p.v_sign * v_m * s

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND_RGB)
        painter.setPen(QColor(120, 120, 130))
        painter.drawText(QPointF(4, 14), self.projection.name)
        if self.size_lwh_m is None:
            painter.end()
            return
        p = self.projection
        xs, ys = self.to_screen(self.points[:, p.h].astype(np.float64), self.points[:, p.v].astype(np.float64))
        for mask, color in frame_colors(self.frame_index, self.current):
            painter.setPen(QPen(color, 1.5))
            painter.drawPoints([QPointF(x, y) for x, y in zip(xs[mask], ys[mask])])
        half_h, half_v = self.size_lwh_m[p.h] / 2, self.size_lwh_m[p.v] / 2
        (x0, x1), (y0, y1) = self.to_screen(np.array([-half_h, half_h]), np.array([-half_v, half_v]))
        painter.setPen(QPen(FLAG_RGB if self.flagged else BOX_RGB, 2 if self.flagged else 1))
        painter.drawRect(QRectF(QPointF(min(x0, x1), min(y0, y1)), QPointF(max(x0, x1), max(y0, y1))))
        if p is TOP:  # heading tick beyond the front face
            (fx, tx), (fy, ty) = self.to_screen(np.array([half_h, half_h + 0.5]), np.zeros(2))
            painter.drawLine(QPointF(fx, fy), QPointF(tx, ty))
        painter.end()


class _TrackSnapshot:
    """What ``accumulate_track_points`` reads of a project, frozen on the UI thread so the
    worker never reads the live model while the user edits it."""

    def __init__(self, sequence: Sequence, annotations: list[Annotation]) -> None:
        self.sequence = sequence
        self._annotations = annotations

    def annotations_of_track(self, track_token: str) -> list[Annotation]:
        return [a for a in self._annotations if a.track_token == track_token]


class _Bridge(QObject):
    done = Signal(int, object)  # generation, ObjectPoints
    failed = Signal(int, str)


class _StackJob(QRunnable):
    def __init__(self, snapshot: _TrackSnapshot, track_token: str, generation: int, bridge: _Bridge) -> None:
        super().__init__()
        self.snapshot, self.track_token, self.generation, self.bridge = snapshot, track_token, generation, bridge

    def run(self) -> None:
        try:
            stacked = accumulate_track_points(self.snapshot, self.track_token, margin_m=MARGIN_M,  # type: ignore[arg-type]
                                              max_points=MAX_POINTS)
        except Exception as exc:  # noqa: BLE001 - reported to the UI, never lost in a thread
            self.bridge.failed.emit(self.generation, f"{type(exc).__name__}: {exc}")
            return
        self.bridge.done.emit(self.generation, stacked)


class ObjectViewPanel(QWidget):
    """``show_track(track, frame)`` stacks the track's points (debounced, on a worker);
    ``set_current_frame`` only re-colours."""

    DEBOUNCE_MS = 120

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("object_view")
        self.project = project
        self.views = {p.name: ProjectionView(p, self) for p in PROJECTIONS}
        self.caption = QLabel(self)
        self.caption.setWordWrap(True)
        self.row = row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        for view in self.views.values():
            row.addWidget(view, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(row, 1)
        layout.addWidget(self.caption)
        self.track_token: str | None = None
        self.current: int | None = None
        self.flagged_frames: set[int] = set()
        self.stacked: ObjectPoints | None = None
        self._generation = 0
        self._stacked_signature: tuple = ()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._bridge = _Bridge(self)
        self._bridge.done.connect(self._on_done)
        self._bridge.failed.connect(self._on_failed)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._start)
        self._show_empty()

    # -- inputs -----------------------------------------------------------------------
    def show_track(self, track_token: str | None, current_frame: int | None, flagged: set[int] | None = None,
                   force: bool = False) -> None:
        """Show ``track_token`` (None: clear); re-stack when it changed or ``force``."""
        self.flagged_frames = set(flagged or ())
        changed = track_token != self.track_token
        self.track_token, self.current = track_token, current_frame
        if track_token is None or self.project.get_track(track_token) is None:
            self.track_token, self.stacked = None, None
            self._generation += 1
            self._show_empty()
            return
        signature = self._signature()
        if changed or self.stacked is None or (force and signature != self._stacked_signature):
            self._stacked_signature = signature
            if changed:
                self.stacked = None
                self.caption.setText("stacking the track's points …")
            self._timer.start(self.DEBOUNCE_MS)
        else:
            self._paint()

    def _signature(self) -> tuple:
        """The track's boxes as bytes: an edit elsewhere does not re-stack."""
        anns = self.project.annotations_of_track(self.track_token) if self.track_token else []
        return tuple((a.frame_index, a.box.to_array().tobytes()) for a in anns)

    def set_in_box_count(self, n_points: int | None) -> None:
        """The points in this frame's box, counted as everywhere (``assist.point_count``)."""
        self.in_box_count = n_points
        if self.stacked is not None and self.track_token is not None:
            self._paint()

    def set_current_frame(self, frame_index: int | None) -> None:
        self.current = frame_index
        self._paint()

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Tests and scripts: run a pending stack now and wait for the worker (the result
        still needs the event loop to arrive)."""
        if self._timer.isActive():
            self._timer.stop()
            self._start()
        return self._pool.waitForDone(timeout_ms)

    def shutdown(self) -> None:
        self._timer.stop()
        self._pool.clear()
        self._pool.waitForDone(10_000)

    # -- worker -----------------------------------------------------------------------
    def _start(self) -> None:
        if self.track_token is None or self.project.get_track(self.track_token) is None:
            return
        self._generation += 1
        snapshot = _TrackSnapshot(self.project.sequence, self.project.annotations_of_track(self.track_token))
        self._pool.start(_StackJob(snapshot, self.track_token, self._generation, self._bridge))

    def _on_done(self, generation: int, stacked: object) -> None:
        if generation != self._generation:
            return  # a newer request is on its way
        self.stacked = without_ground(stacked, self.reference_size())  # type: ignore[arg-type]
        self._paint()

    def _on_failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.caption.setText(f"could not stack the track's points: {message}")

    # -- output -----------------------------------------------------------------------
    def reference_size(self) -> np.ndarray | None:
        """The box drawn: the track's box in the current frame, else its median size."""
        if self.track_token is None or self.project.get_track(self.track_token) is None:
            return None
        here = self.project.annotation_at(self.track_token, self.current) if self.current is not None else None
        if here is not None:
            return here.box.size_lwh_m
        anns = self.project.annotations_of_track(self.track_token)
        return np.median([a.box.size_lwh_m for a in anns], axis=0) if anns else None

    def _show_empty(self) -> None:
        for view in self.views.values():
            view.set_content(np.zeros((0, 3), dtype=np.float32), np.zeros(0, dtype=np.int32), None, None)
        self.caption.setText("Select a box to see its track's points from every frame, stacked in the box frame")

    def _paint(self) -> None:
        if self.stacked is None or self.track_token is None:
            return
        size = self.reference_size()
        stacked = self.stacked
        flagged = self.current in self.flagged_frames
        for view in self.views.values():
            view.set_content(stacked.points_box_m, stacked.frame_index, size, self.current, flagged)
        n_frames = len(np.unique(stacked.frame_index))
        track = self.project.track(self.track_token)
        text = (f"track {track.number}: {len(stacked)} stacked points from {n_frames} "
                f"frame{'s' if n_frames != 1 else ''} (colour: frame, yellow: this one)")
        if getattr(self, "in_box_count", None) is not None:
            text += f" · {self.in_box_count} in this frame's box"
        if flagged:
            text += " · ⚑ propagation stopped here: check this box"
        self.caption.setText(text)

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        super().resizeEvent(event)
        tall = self.height() > 1.3 * self.width()
        self.row.setDirection(QBoxLayout.Direction.TopToBottom if tall else QBoxLayout.Direction.LeftToRight)
