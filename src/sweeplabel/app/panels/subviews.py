"""Three orthographic views of the selected box (top, side, front), painted with
QPainter from the points near the box in the box's own frame. Edges (resize, the
opposite face stays), the inside (move) and, in the top view, the heading handle
(rotate) can be dragged; each drag is one undo step (merge key + end on release).

Precision: an edge drag moves the edge 1 cm per pixel of mouse travel (or less, when
zoomed in far enough for the edge to follow the cursor); with Shift it takes coarse
steps (5 cm per pixel, or the cursor). The wheel zooms a view; a double click shows
that view alone (again: all three); the dock itself resizes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import QBoxLayout, QLabel, QVBoxLayout, QWidget

from sweeplabel.model import Box
from sweeplabel.viewer import points_in_box_mask

NEAR_MARGIN_M = 1.0
EDGE_TOLERANCE_PX = 6.0
HANDLE_M = 0.6  # heading handle beyond the front face (top view)
INSIDE_RGB = QColor(255, 240, 80)
OUTSIDE_RGB = QColor(150, 160, 175)
BOX_RGB = QColor(255, 255, 255)
FINE_M_PER_PX = 0.01  # edge drags: 1 cm per pixel of mouse travel at the default zoom
COARSE_M_PER_PX = 0.05  # with Shift
ZOOM_PER_WHEEL_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.5, 20.0


@dataclass(frozen=True)
class ViewAxes:
    """Which box-frame axes map to screen x (``h``) and screen up (``v``), with signs."""

    name: str
    h: int
    h_sign: float
    v: int
    v_sign: float


TOP = ViewAxes("top", 1, -1.0, 0, 1.0)  # heading up, the box's left on the left
SIDE = ViewAxes("side", 0, 1.0, 2, 1.0)  # heading right
FRONT = ViewAxes("front", 1, 1.0, 2, 1.0)  # looking at the front face
VIEWS = (TOP, SIDE, FRONT)


class OrthoView(QWidget):
    box_edited = Signal(object, str)  # Box in the render frame, merge key
    drag_finished = Signal()

    def __init__(self, axes: ViewAxes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.axes = axes
        self.setObjectName(f"subview_{axes.name}")
        self.setMinimumSize(120, 110)
        self.box: Box | None = None
        self.local_m = np.zeros((0, 3))
        self.inside = np.zeros(0, dtype=bool)
        self._drag: tuple[str, int, float, Box, np.ndarray] | None = None  # mode, axis, side, start box, start local
        self._drag_scale = 1.0
        self.zoom = 1.0  # the wheel's factor on the fitted scale
        self.setMouseTracking(False)

    # -- data -----------------------------------------------------------------------
    def set_content(self, box: Box | None, local_m: np.ndarray, inside: np.ndarray) -> None:
        self.box, self.local_m, self.inside = box, local_m, inside
        self.update()

    def scale_px_per_m(self) -> float:
        """Pixels per metre fitting the box and its surroundings (frozen during a drag)."""
        if self._drag is not None:
            return self._drag_scale
        if self.box is None:
            return 1.0
        size = self.box.size_lwh_m
        extent_h = size[self.axes.h] + 2 * NEAR_MARGIN_M
        extent_v = size[self.axes.v] + 2 * NEAR_MARGIN_M + (2 * HANDLE_M if self.axes is TOP else 0.0)
        return 0.9 * min(self.width() / extent_h, self.height() / extent_v) * self.zoom

    def edge_m_per_px(self, coarse: bool) -> float:
        """How far an edge moves per pixel of mouse travel (never faster than the cursor when fine)."""
        cursor_m_per_px = 1.0 / self.scale_px_per_m()
        return max(COARSE_M_PER_PX, cursor_m_per_px) if coarse else min(FINE_M_PER_PX, cursor_m_per_px)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt API
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom = min(max(self.zoom * ZOOM_PER_WHEEL_STEP ** steps, MIN_ZOOM), MAX_ZOOM)
            self.update()
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        parent = self.parentWidget()
        if isinstance(parent, SubViews):
            parent.toggle_maximised(self)
        event.accept()

    def to_screen(self, h_m: np.ndarray, v_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = self.scale_px_per_m()
        return (self.width() / 2 + self.axes.h_sign * h_m * s, self.height() / 2 - self.axes.v_sign * v_m * s)

    def to_local(self, pos: QPointF) -> tuple[float, float]:
        """(h, v) box-frame metres under a widget position."""
        s = self.scale_px_per_m()
        return ((pos.x() - self.width() / 2) / s * self.axes.h_sign, (self.height() / 2 - pos.y()) / s * self.axes.v_sign)

    # -- painting -------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 26, 30))
        p.setPen(QColor(120, 120, 130))
        p.drawText(QPointF(4, 14), self.axes.name)
        if self.box is None:
            p.end()
            return
        xs, ys = self.to_screen(self.local_m[:, self.axes.h], self.local_m[:, self.axes.v])
        for mask, color in ((~self.inside, OUTSIDE_RGB), (self.inside, INSIDE_RGB)):
            p.setPen(QPen(color, 2))
            p.drawPoints([QPointF(x, y) for x, y in zip(xs[mask], ys[mask])])
        half_h, half_v = self.box.size_lwh_m[self.axes.h] / 2, self.box.size_lwh_m[self.axes.v] / 2
        (x0, x1), (y0, y1) = self.to_screen(np.array([-half_h, half_h]), np.array([-half_v, half_v]))
        p.setPen(QPen(BOX_RGB, 1))
        p.drawRect(QRectF(QPointF(min(x0, x1), min(y0, y1)), QPointF(max(x0, x1), max(y0, y1))))
        if self.axes is TOP:  # heading handle
            (hx, cx), (hy, cy) = self.to_screen(np.zeros(2), np.array([half_v + HANDLE_M, 0.0]))
            p.drawLine(QPointF(cx, cy), QPointF(hx, hy))
            p.drawEllipse(QPointF(hx, hy), 4, 4)
        p.end()

    # -- dragging -------------------------------------------------------------------
    def hit(self, pos: QPointF) -> tuple[str, int, float]:
        """(mode, box axis, side) under ``pos``: rotate | edge | move | none."""
        if self.box is None:
            return ("none", 0, 0.0)
        h, v = self.to_local(pos)
        tol = EDGE_TOLERANCE_PX / self.scale_px_per_m()
        half_h, half_v = self.box.size_lwh_m[self.axes.h] / 2, self.box.size_lwh_m[self.axes.v] / 2
        if self.axes is TOP and math.hypot(h, v - (half_v + HANDLE_M)) < 2 * tol:
            return ("rotate", 2, 0.0)
        inside_h, inside_v = abs(h) <= half_h + tol, abs(v) <= half_v + tol
        if inside_v and abs(abs(h) - half_h) < tol:
            return ("edge", self.axes.h, math.copysign(1.0, h))
        if inside_h and abs(abs(v) - half_v) < tol:
            return ("edge", self.axes.v, math.copysign(1.0, v))
        if inside_h and inside_v:
            return ("move", 0, 0.0)
        return ("none", 0, 0.0)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        mode, axis, side = self.hit(event.position())
        if mode != "none" and self.box is not None and event.button() == Qt.MouseButton.LeftButton:
            self._drag_scale = self.scale_px_per_m()
            self._drag = (mode, axis, side, self.box, np.array(self.to_local(event.position())))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is None:
            return
        mode, axis, side, start, start_hv = self._drag
        h, v = self.to_local(event.position())
        d_h, d_v = h - start_hv[0], v - start_hv[1]
        if mode == "move":
            delta = np.zeros(3)
            delta[self.axes.h] += d_h
            delta[self.axes.v] += d_v
            box = start.moved_local(delta)
        elif mode == "edge":
            d = d_h if axis == self.axes.h else d_v
            coarse = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            d *= self.edge_m_per_px(coarse) * self.scale_px_per_m()  # metres of cursor travel -> edge travel
            delta, anchor = np.zeros(3), np.zeros(3)
            delta[axis], anchor[axis] = side * d, -side
            if start.size_lwh_m[axis] + delta[axis] < 0.05:
                return
            box = start.resized_anchored(delta, anchor)
        else:  # rotate about +z: the handle follows the cursor (x = forward = v, y = left = h)
            box = start.rotated(math.atan2(h, v) - math.atan2(start_hv[0], start_hv[1]))
        self.box_edited.emit(box, f"subview:{id(self)}:{id(start)}")
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag is not None:
            self._drag = None
            self.drag_finished.emit()
        event.accept()


class SubViews(QWidget):
    """The three ortho views side by side; ``show_box`` feeds them."""

    box_edited = Signal(object, str)
    drag_finished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.views = {a.name: OrthoView(a, self) for a in VIEWS}
        self.caption = QLabel("Select a box to see it from the top, the side and the front", self)
        self.row = row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        for view in self.views.values():
            row.addWidget(view, 1)
            view.box_edited.connect(self.box_edited)
            view.drag_finished.connect(self.drag_finished)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(row, 1)
        layout.addWidget(self.caption)
        self.caption.setWordWrap(True)

    def toggle_maximised(self, view: OrthoView) -> None:
        """Show ``view`` alone, or all three again."""
        alone = all(not v.isVisible() for v in self.views.values() if v is not view)
        for v in self.views.values():
            v.setVisible(alone or v is view)

    def resizeEvent(self, event) -> None:  # noqa: N802, ANN001 - Qt API
        """Side by side in a wide dock, stacked in a tall one."""
        super().resizeEvent(event)
        tall = self.height() > 1.3 * self.width()
        self.row.setDirection(QBoxLayout.Direction.TopToBottom if tall else QBoxLayout.Direction.LeftToRight)

    def show_box(self, box_render: Box | None, xyz_render_m: np.ndarray | None) -> None:
        """``box_render`` and the frame's points in the render frame (None: clear)."""
        if box_render is None or xyz_render_m is None:
            for view in self.views.values():
                view.set_content(None, np.zeros((0, 3)), np.zeros(0, dtype=bool))
            self.caption.setText("Select a box to see it from the top, the side and the front")
            return
        near = points_in_box_mask(xyz_render_m, box_render, NEAR_MARGIN_M)
        local = (xyz_render_m[near].astype(np.float64) - box_render.center_m) @ box_render.rotation
        inside = points_in_box_mask(xyz_render_m[near], box_render)  # the one count (status bar, check)
        for view in self.views.values():
            view.set_content(box_render, local, inside)
        self.caption.setText(f"{int(inside.sum())} points in the box · drag edges to resize, inside to move, "
                             "the top view's handle to rotate")
