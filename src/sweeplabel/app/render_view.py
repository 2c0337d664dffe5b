"""RenderView: a QWidget that paints the images a FrameScene renders offscreen.

Why an offscreen image and not an embedded Open3D window: Open3D's OffscreenRenderer
(Filament) draws into a buffer we copy into a QImage, so the same code path runs with
a GPU, with Mesa's software Vulkan (llvmpipe) and under ``QT_QPA_PLATFORM=offscreen``
in CI. Embedding a native Open3D/GLFW window in Qt needs per-platform window handles
(X11, Wayland, Cocoa, Win32), breaks with HiDPI and docking, and is impossible without
a display at all. The price is one image copy per frame, small next to the render.

Renders are coalesced: every change calls ``request_render()``, which (re)starts a
short single-shot timer; mouse events arriving while a render runs are merged into
the next one, so drags stay responsive even at 0.1-0.5 s per software render.

With a ProcessRenderer (``renderer.asynchronous``; the app's default) the render runs
in a child process: ``render_now`` only submits the request, a 10 ms poll timer picks
up the finished image and paints it, so the event loop never waits for Open3D.
``frame_rendered`` is emitted once the newest requested image is shown (images that
were already stale when they arrived are painted but not announced); a dead render
process is reported through ``render_failed`` and restarted by the next render."""

from __future__ import annotations

import math
import time
from collections import deque

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from sweeplabel.viewer import FrameScene, OrbitCamera, project_points_px, view_proj_matrix
from sweeplabel.viewer.render_process import RenderCrashed

RENDER_DELAY_MS = 15
POLL_MS = 10  # how often a finished image from the render process is looked for
SETTLE_DELAY_MS = 250  # full quality this long after the camera stops
CLICK_SLOP_PX = 4.0
MAX_LABELS = 200
RESIZE_DELAY_MS = 120  # a new size re-creates the Open3D renderer: wait for the resize to settle
ORBIT_RAD_PER_PX = math.radians(0.4)
ZOOM_PER_WHEEL_STEP = 0.85  # distance factor per 15-degree wheel notch
_PAN_BUTTONS = (Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton)


def image_to_qimage(image: np.ndarray) -> QImage:
    """A deep-copied RGB888 QImage of a (H, W, 3) uint8 array."""
    rgb = np.ascontiguousarray(image[:, :, :3], dtype=np.uint8)
    height_px, width_px = rgb.shape[:2]
    return QImage(rgb.data, width_px, height_px, rgb.strides[0], QImage.Format.Format_RGB888).copy()


class RenderView(QWidget):
    """Shows the scene; left drag orbits, right/middle drag pans, the wheel zooms.

    A left click (no drag) emits ``clicked``; with ``rect_mode`` a left drag draws a
    rectangle and emits ``rect_selected`` instead of orbiting; Ctrl + left drag emits
    ``box_drag`` (the tools move the selected box). While the camera moves
    the renderer draws a decimated cloud; full quality returns once it stops."""

    frame_rendered = Signal()
    render_failed = Signal(str)  # the render process died or failed (a status message)
    clicked = Signal(float, float)  # widget px
    rect_selected = Signal(QRectF)  # widget px
    mouse_released = Signal()
    box_drag = Signal(str, float, float)  # "start" | "move" | "end", widget px (Ctrl + left drag)

    def __init__(self, scene: FrameScene, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scene = scene
        self.image: np.ndarray | None = None
        self.render_count = 0
        self._qimage: QImage | None = None
        self._drag_button: Qt.MouseButton | None = None
        self._last_pos = QPointF()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.render_now)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.timeout.connect(self._settle_quality)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._receive)
        self._press_pos = QPointF()
        self._moved = False
        self._box_dragging = False
        self.rect_mode = False
        self._rect: QRectF | None = None
        self._labels: list[tuple[str, float, float, QColor]] = []
        self.show_labels = True
        self.last_render_s = 0.0
        self._unshown_inputs_s: list[float] = []  # monotonic times of inputs no image shows yet
        self.input_latencies_s: deque[float] = deque(maxlen=4096)  # input -> the image that shows it
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    @property
    def asynchronous(self) -> bool:
        return bool(getattr(self.scene.renderer, "asynchronous", False))

    @property
    def render_pending(self) -> bool:
        """A render is scheduled, or (process rendering) requested and not shown yet."""
        return self._timer.isActive() or (self.asynchronous and self.scene.renderer.busy)

    def note_input(self, at_s: float | None = None) -> None:
        """An input (key, click, drag, wheel, or a change asked for) at monotonic
        ``at_s`` (now): the first image rendered from a later state records how long
        it took to show (``input_latencies_s``)."""
        at_s = time.monotonic() if at_s is None else at_s
        inputs = self._unshown_inputs_s
        if inputs and at_s - inputs[-1] < 0.001:
            return  # one event seen by several filters
        if len(inputs) >= 1024:
            del inputs[:512]
        inputs.append(at_s)

    @property
    def inputs_pending(self) -> bool:
        """Some input is not on screen yet."""
        return bool(self._unshown_inputs_s)

    def _record_shown(self, state_at_s: float) -> None:
        """An image of the state at ``state_at_s`` is on screen: the inputs before it are shown."""
        now = time.monotonic()
        shown = [t for t in self._unshown_inputs_s if t <= state_at_s]
        if shown:
            self.input_latencies_s.extend(now - t for t in shown)
            self._unshown_inputs_s = [t for t in self._unshown_inputs_s if t > state_at_s]

    def request_render(self) -> None:
        """Render soon; many requests before the timer fires make one render."""
        if not self._unshown_inputs_s:
            self.note_input()
        if not self._timer.isActive():
            self._timer.start(RENDER_DELAY_MS)

    def render_now(self) -> None:
        self._timer.stop()
        if not self.isVisible() or self.scene.frame_index is None:
            return
        ratio = self.devicePixelRatioF()
        self.scene.renderer.resize(round(self.width() * ratio), round(self.height() * ratio))
        if self.asynchronous:
            try:
                self.scene.renderer.submit()
            except RenderCrashed as exc:
                self.render_failed.emit(str(exc))
                return
            self._poll.start()
            return
        start = time.perf_counter()
        state_at_s = time.monotonic()
        self.image = self.scene.render()
        self.last_render_s = time.perf_counter() - start
        self._show_image(self.image, ratio)
        self._record_shown(state_at_s)
        self.frame_rendered.emit()

    def _show_image(self, image: np.ndarray, ratio: float, camera: OrbitCamera | None = None) -> None:
        self.image = image
        self._project_labels(camera)
        self._qimage = image_to_qimage(image)
        self._qimage.setDevicePixelRatio(ratio)
        self.render_count += 1
        self.update()

    def _receive(self) -> None:
        """Poll the render process: paint a finished image, announce it when it is the newest."""
        renderer = self.scene.renderer
        try:
            result = renderer.receive()
        except RenderCrashed as exc:
            self._poll.stop()
            self.render_failed.emit(f"{exc}; it restarts on the next redraw")
            return
        if not renderer.busy:
            self._poll.stop()
        if result is None:
            return
        self.last_render_s = result.render_s
        ratio = self.devicePixelRatioF()
        height_px, width_px = result.image.shape[:2]
        if width_px != round(self.width() * ratio) or height_px != round(self.height() * ratio):
            ratio = width_px / max(self.width(), 1)  # an older size: scaled to the widget when painted
        self._show_image(result.image, ratio, result.camera)
        self._record_shown(time.monotonic() - result.latency_s)
        if not renderer.busy and not self._timer.isActive():
            self.frame_rendered.emit()

    def size_px(self) -> tuple[int, int]:
        """Logical size used for rays and overlays."""
        return (max(self.width(), 1), max(self.height(), 1))

    def view_proj(self, camera: OrbitCamera | None = None) -> np.ndarray:
        return view_proj_matrix(camera or self.scene.renderer.camera, self.size_px())

    def _project_labels(self, camera: OrbitCamera | None = None) -> None:
        self._labels = []
        if not self.show_labels:
            return
        anchors = self.scene.label_anchors()[:MAX_LABELS]
        if not anchors:
            return
        px = project_points_px(np.array([a[1] for a in anchors]), self.view_proj(camera), self.size_px())
        for (text, _, rgb), (x, y) in zip(anchors, px):
            if np.isfinite(x) and 0 <= x < self.width() and 0 <= y < self.height():
                self._labels.append((text, float(x), float(y), QColor.fromRgbF(*rgb)))

    def _camera_moved(self) -> None:
        """Draw fast (decimated) now, full quality once the camera rests."""
        self.scene.renderer.interactive = True
        self._settle.start(SETTLE_DELAY_MS)
        self.request_render()

    def _settle_quality(self) -> None:
        if self._drag_button is not None:  # still dragging: check again later
            self._settle.start(SETTLE_DELAY_MS)
            return
        if self.scene.renderer.interactive:
            self.scene.renderer.interactive = False
            self.request_render()

    def release(self) -> None:
        """Stop pending renders and free the Open3D renderer (on close)."""
        self._timer.stop()
        self._settle.stop()
        self._poll.stop()
        self.scene.renderer.close()

    # -- Qt events ------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        if self._qimage is None:
            painter.fillRect(self.rect(), Qt.GlobalColor.black)
        else:
            painter.drawImage(self.rect(), self._qimage)
        for text, x, y, color in self._labels:
            painter.setPen(color)
            painter.drawText(QPointF(x + 3, y - 3), text)
        if self._rect is not None:
            painter.setPen(QPen(QColor(255, 230, 80), 1, Qt.PenStyle.DashLine))
            painter.drawRect(self._rect)
        painter.end()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._timer.start(RESIZE_DELAY_MS)  # restarts: one render once resizing pauses

    def showEvent(self, event) -> None:  # noqa: N802, ANN001
        super().showEvent(event)
        self.request_render()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._drag_button = event.button()
        self._last_pos = event.position()
        self._press_pos = event.position()
        self._moved = False
        self._box_dragging = (event.button() == Qt.MouseButton.LeftButton
                              and bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier))
        if self._box_dragging:
            self.box_drag.emit("start", event.position().x(), event.position().y())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag_button is None:
            return
        delta = event.position() - self._last_pos
        self._last_pos = event.position()
        travel = event.position() - self._press_pos
        if abs(travel.x()) + abs(travel.y()) > CLICK_SLOP_PX:
            self._moved = True
        left = self._drag_button == Qt.MouseButton.LeftButton
        if left and self._box_dragging:
            self.box_drag.emit("move", event.position().x(), event.position().y())
            event.accept()
            return
        if left and self.rect_mode:
            self._rect = QRectF(self._press_pos, event.position()).normalized()
            self.update()
            event.accept()
            return
        camera = self.scene.renderer.camera
        if self._drag_button in _PAN_BUTTONS or event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            camera.pan(delta.x(), delta.y(), max(self.height(), 1))
        else:
            camera.orbit(-delta.x() * ORBIT_RAD_PER_PX, delta.y() * ORBIT_RAD_PER_PX)
        self._camera_moved()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        button, self._drag_button = self._drag_button, None
        if self._box_dragging:
            self._box_dragging = False
            self.box_drag.emit("end", event.position().x(), event.position().y())
        elif button == Qt.MouseButton.LeftButton:
            if self.rect_mode and self._rect is not None and self._moved:
                rect, self._rect = self._rect, None
                self.update()
                self.rect_selected.emit(rect)
            elif not self._moved:
                self.clicked.emit(event.position().x(), event.position().y())
        self._rect = None
        self.mouse_released.emit()
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        notches = event.angleDelta().y() / 120.0
        if notches:
            self.scene.renderer.camera.zoom(ZOOM_PER_WHEEL_STEP**notches)
            self._camera_moved()
        event.accept()
