"""The camera panel: one tile per camera of the frame (one large, the others small; click a
small tile to enlarge it), the image with the frame's points by depth and every box as its
projected wireframe. Click a box in the large image to select it; hover shows its track.

``CameraDock(window)`` wires it into a ``MainWindow``: images are decoded on the frame
loader's worker (an attachment cached with the frame), drawing follows every edit and
selection change on the next event-loop turn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QCheckBox, QDockWidget, QHBoxLayout, QLabel, QSizePolicy, QToolTip, QVBoxLayout, QWidget

from ..camera_images import CAMERA_IMAGES, CameraImage, decode_frame_images
from .camera_draw import CameraView, box_styles, depth_colors, draw_camera, project_frame, render_frame_boxes

if TYPE_CHECKING:
    from ..main_window import MainWindow

_MODEL_SIGNALS = ("annotation_added", "annotation_removed", "annotation_changed", "track_added", "track_changed",
                  "track_removed")
BACKGROUND = QColor(24, 26, 30)
DRAWING = "drawing …"
SMALL_TILE_HEIGHT_PX = 120
LARGE_TILE_MIN_HEIGHT_PX = 220
DOCK_WIDTH_PX = 560


class CameraTile(QWidget):
    """One camera's drawn image, scaled to fit; clicks and hover in image pixels."""

    clicked = Signal(object, float, float)  # the tile, x and y in the view's image pixels
    hovered = Signal(object, float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view: CameraView | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(80, 60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_view(self, view: CameraView | None) -> None:
        self.view = view
        self.setToolTip("")
        self.update()

    def image_rect(self) -> QRectF:
        """Where the image is drawn in the widget (aspect kept, centred)."""
        if self.view is None or self.view.image is None:
            return QRectF()
        iw, ih = self.view.image.width(), self.view.image.height()
        s = min(self.width() / iw, self.height() / ih)
        w, h = iw * s, ih * s
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def to_image_px(self, pos: QPointF) -> tuple[float, float] | None:
        rect = self.image_rect()
        if rect.isEmpty() or not rect.contains(pos):
            return None
        s = self.view.image.width() / rect.width()  # type: ignore[union-attr]
        return (pos.x() - rect.x()) * s, (pos.y() - rect.y()) * s

    def to_widget_px(self, x_px: float, y_px: float) -> QPointF:
        rect = self.image_rect()
        s = rect.width() / self.view.image.width()  # type: ignore[union-attr]
        return QPointF(rect.x() + x_px * s, rect.y() + y_px * s)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        view = self.view
        if view is not None and view.image is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(self.image_rect(), view.image)
        painter.setPen(QColor(230, 230, 230))
        if view is not None:
            text = view.name if view.image is not None else f"{view.name}: {view.problem}"
            flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
            if view.image is None:
                flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(self.rect().adjusted(6, 4, -6, -4), flags, text)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        if event.button() == Qt.MouseButton.LeftButton:
            px = self.to_image_px(event.position()) or (-1.0, -1.0)
            self.clicked.emit(self, *px)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt API
        px = self.to_image_px(event.position())
        if px is not None:
            self.hovered.emit(self, *px)
            boxes = self.view.boxes_at(*px) if self.view is not None else []
            text = boxes[0].label if boxes else ""
            if text != self.toolTip():
                self.setToolTip(text)
                if text:
                    QToolTip.showText(event.globalPosition().toPoint(), text, self)
                else:
                    QToolTip.hideText()


class CameraPanel(QWidget):
    """Tiles for the views of one frame; ``box_clicked(token)`` when a box is clicked."""

    box_clicked = Signal(str)
    points_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.views: list[CameraView] = []
        self.large_name: str | None = None  # the enlarged camera (default: the first, the front one)
        self.points_box = QCheckBox("Points by depth", self)
        self.points_box.setChecked(True)
        self.points_box.toggled.connect(self.points_toggled)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        self.large = CameraTile(self)
        self.large.setObjectName("camera_large")
        self.large.setMinimumHeight(LARGE_TILE_MIN_HEIGHT_PX)
        self.large.clicked.connect(self._on_large_clicked)
        self.small_row = QHBoxLayout()
        self.small: list[CameraTile] = []
        top = QHBoxLayout()
        top.addWidget(self.points_box)
        top.addWidget(self.message, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.large, 4)
        layout.addLayout(self.small_row, 1)

    @property
    def show_points(self) -> bool:
        return self.points_box.isChecked()

    def set_message(self, text: str) -> None:
        self.message.setText(text)

    def set_views(self, views: list[CameraView]) -> None:
        self.views = views
        names = [v.name for v in views]
        if self.large_name not in names:
            self.large_name = names[0] if names else None
        problems = [f"{v.name}: {v.problem}" for v in views if v.problem and v.problem != DRAWING]
        self.set_message("; ".join(problems))
        self._layout_tiles()

    def enlarge(self, name: str) -> None:
        self.large_name = name
        self._layout_tiles()

    def tile_of(self, name: str) -> CameraTile | None:
        return next((t for t in [self.large, *self.small] if t.view is not None and t.view.name == name), None)

    def _layout_tiles(self) -> None:
        by_name = {v.name: v for v in self.views}
        self.large.set_view(by_name.get(self.large_name))
        others = [v for v in self.views if v.name != self.large_name]
        while len(self.small) < len(others):
            tile = CameraTile(self)
            tile.setMaximumHeight(SMALL_TILE_HEIGHT_PX)
            tile.clicked.connect(lambda t, *_: t.view is not None and self.enlarge(t.view.name))
            self.small.append(tile)
            self.small_row.addWidget(tile)
        for tile, view in zip(self.small, others + [None] * len(self.small)):
            tile.set_view(view)
            tile.setVisible(view is not None)

    def _on_large_clicked(self, tile: CameraTile, x_px: float, y_px: float) -> None:
        if tile.view is None or x_px < 0:
            return
        hits = tile.view.boxes_at(x_px, y_px)
        if hits:
            self.box_clicked.emit(hits[0].token)


def _decode_for_panel(sequence, frame_index: int) -> list[CameraImage]:  # noqa: ANN001 - worker side
    depth_colors()  # the colour table's first use (imports matplotlib) stays off the UI thread
    return decode_frame_images(sequence, frame_index)


class CameraDock(QObject):
    """The camera panel in a dock of ``window``, kept in step with the frame, the boxes and
    the selection. Hidden when the sequence has no cameras."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.panel = CameraPanel(window)
        self.dock = window._dock("Cameras", self.panel, Qt.DockWidgetArea.RightDockWidgetArea)
        # shown when the sequence has camera images (a dataset shipped without images keeps the space,
        # and the other right-hand docks keep their column)
        has_images = any(c.image_path is not None for f in window.project.sequence for c in f.cameras)
        if has_images:
            self._place_beside_view()
        self.dock.setVisible(has_images)
        self._key: tuple | None = None
        self._bases: dict[int, object] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._step)
        self._job: Iterator[None] | None = None
        self._views: dict[int, CameraView] = {}
        window.loader.add_attachment(CAMERA_IMAGES, _decode_for_panel)
        window.loader.attached.connect(self._on_attached)
        window.editor.selection_changed.connect(self.schedule)  # also fires after every frame change
        for name in _MODEL_SIGNALS:
            getattr(window.project.events, name).connect(self._on_model_changed)
        self.panel.box_clicked.connect(self._select)
        self.panel.points_toggled.connect(lambda _on: self.schedule())
        self.dock.visibilityChanged.connect(lambda visible: visible and self.schedule())
        window.installEventFilter(self)  # let go of the project's signals when the window closes

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if obj is self.window and event.type() == QEvent.Type.Close:
            self.shutdown()
        return False

    def shutdown(self) -> None:
        self._timer.stop()
        for name in _MODEL_SIGNALS:
            getattr(self.window.project.events, name).disconnect(self._on_model_changed)

    def _place_beside_view(self) -> None:
        """A column of its own between the 3D view and the other right-hand docks."""
        win = self.window
        others = [d for d in win.findChildren(QDockWidget) if d is not self.dock and not d.isFloating()
                  and win.dockWidgetArea(d) == Qt.DockWidgetArea.RightDockWidgetArea]
        if others:
            win.splitDockWidget(others[0], self.dock, Qt.Orientation.Horizontal)
            win.splitDockWidget(self.dock, others[0], Qt.Orientation.Horizontal)
        win.resizeDocks([self.dock], [DOCK_WIDTH_PX], Qt.Orientation.Horizontal)

    def schedule(self, *_args: object) -> None:
        """Redraw from the next event-loop turn on (many model events in one step draw once)."""
        self._job = None
        self._timer.start()

    def _on_model_changed(self, *_args: object) -> None:
        self.schedule()

    def _on_attached(self, frame_index: int, name: str, _value: object) -> None:
        if name == CAMERA_IMAGES and frame_index == self.window.scene.frame_index:
            self.schedule()

    def _select(self, token: str) -> None:
        self.window.editor.select(token)

    def images(self, frame_index: int) -> list[CameraImage] | Exception | None:
        """The frame's decoded images (starting their decode on the worker when missing)."""
        images = self.window.loader.attachment(frame_index, CAMERA_IMAGES)
        if images is None:
            self.window.loader.request_attachment(frame_index, CAMERA_IMAGES)
        return images

    def refresh(self) -> None:
        """Draw the shown frame's cameras now (scripts and tests; the app draws step by step)."""
        self._job = None
        for _ in self._draw_steps():
            pass

    def _step(self) -> None:
        """One camera per event-loop turn, the large one first: no long stall on a frame switch."""
        if self._job is None:
            self._job = self._draw_steps()
        try:
            next(self._job)
        except StopIteration:
            self._job = None
            return
        self._timer.start()

    def _draw_steps(self) -> Iterator[None]:
        """Draw the cameras (points reused while the frame and the toggle stay the same),
        yielding after each camera."""
        try:
            scene, project = self.window.scene, self.window.project
            frame_index = scene.frame_index
        except RuntimeError:  # the window is gone
            return
        if frame_index is None or self.dock.isHidden() or not project.sequence[frame_index].cameras:
            self.panel.set_views([])
            return
        images = self.images(frame_index)
        if images is None:
            self.panel.set_message(f"frame {frame_index + 1}: decoding camera images …")
            return
        if isinstance(images, Exception):
            self.panel.set_message(f"frame {frame_index + 1}: camera images failed: {images}")
            return
        data = scene.data
        key = (frame_index, id(data), id(images), self.panel.show_points)
        if key != self._key:
            self._key, self._bases, self._views = key, {}, {}
        anns, boxes, T_world_render = render_frame_boxes(project, frame_index)
        missing = any(ci.image is not None and k not in self._bases for k, ci in enumerate(images))
        xyz = data.xyz_m if (data is not None and missing) else np.zeros((0, 3), np.float32)
        usable, proj = project_frame(images, project.sequence[frame_index].T_world_sensor, T_world_render, xyz, boxes)
        styles = box_styles(project, anns, self.window.editor.selected)
        names = [ci.camera.name for ci in images]
        large = names.index(self.panel.large_name) if self.panel.large_name in names else 0
        for k in [large] + [k for k in range(len(images)) if k != large]:
            cam = usable.index(k) if k in usable else None
            view, base = draw_camera(images[k], proj, cam, styles, self.panel.show_points, self._bases.get(k))
            if base is not None:
                self._bases[k] = base
            self._views[k] = view
            self.panel.set_views([self._views.get(j) or CameraView(names[j], None, DRAWING)
                                  for j in range(len(images))])
            yield
