"""RenderView: a QWidget that paints the images a FrameScene renders offscreen.

Why an offscreen image and not an embedded Open3D window: Open3D's OffscreenRenderer
(Filament) draws into a buffer we copy into a QImage, so the same code path runs with
a GPU, with Mesa's software Vulkan (llvmpipe) and under ``QT_QPA_PLATFORM=offscreen``
in CI. Embedding a native Open3D/GLFW window in Qt needs per-platform window handles
(X11, Wayland, Cocoa, Win32), breaks with HiDPI and docking, and is impossible without
a display at all. The price is one image copy per frame, small next to the render.

Renders are coalesced: every change calls ``request_render()``, which (re)starts a
short single-shot timer; mouse events arriving while a render runs are merged into
the next one, so drags stay responsive even at 0.1-0.5 s per software render."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPaintEvent, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from sweeplabel.viewer import FrameScene

RENDER_DELAY_MS = 15
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
    """Shows the scene; left drag orbits, right/middle drag pans, the wheel zooms."""

    frame_rendered = Signal()

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
        self.setMinimumSize(160, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    @property
    def render_pending(self) -> bool:
        return self._timer.isActive()

    def request_render(self) -> None:
        """Render soon; many requests before the timer fires make one render."""
        if not self._timer.isActive():
            self._timer.start(RENDER_DELAY_MS)

    def render_now(self) -> None:
        self._timer.stop()
        if not self.isVisible() or self.scene.frame_index is None:
            return
        ratio = self.devicePixelRatioF()
        self.scene.renderer.resize(round(self.width() * ratio), round(self.height() * ratio))
        self.image = self.scene.render()
        self._qimage = image_to_qimage(self.image)
        self._qimage.setDevicePixelRatio(ratio)
        self.render_count += 1
        self.update()
        self.frame_rendered.emit()

    def release(self) -> None:
        """Stop pending renders and free the Open3D renderer (on close)."""
        self._timer.stop()
        self.scene.renderer.close()

    # -- Qt events ------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        if self._qimage is None:
            painter.fillRect(self.rect(), Qt.GlobalColor.black)
        else:
            painter.drawImage(self.rect(), self._qimage)
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
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._drag_button is None:
            return
        delta = event.position() - self._last_pos
        self._last_pos = event.position()
        camera = self.scene.renderer.camera
        if self._drag_button in _PAN_BUTTONS or event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            camera.pan(delta.x(), delta.y(), max(self.height(), 1))
        else:
            camera.orbit(-delta.x() * ORBIT_RAD_PER_PX, delta.y() * ORBIT_RAD_PER_PX)
        self.request_render()
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._drag_button = None
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        notches = event.angleDelta().y() / 120.0
        if notches:
            self.scene.renderer.camera.zoom(ZOOM_PER_WHEEL_STEP**notches)
            self.request_render()
        event.accept()
