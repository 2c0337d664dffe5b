"""What a click or a rectangle in the 3D view does under the active tool."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QObject, QRectF

from sweeplabel.kernels import pick_point, points_in_polygon
from sweeplabel.model import Box
from sweeplabel.viewer import camera_ray, pick_box, ray_plane_z

from .editor import EditorController
from .render_view import RenderView

PICK_RADIUS_PX = 5.0


class ViewTools(QObject):
    """Routes RenderView clicks and rectangles to the EditorController."""

    def __init__(self, view: RenderView, editor: EditorController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self.editor, self.scene = view, editor, editor.scene
        view.clicked.connect(self.on_click)
        view.rect_selected.connect(self.on_rect)
        view.mouse_released.connect(editor.end_merge)
        view.box_drag.connect(self.on_box_drag)
        self._drag_start: tuple[Box, np.ndarray] | None = None  # world box, grabbed point (render frame)

    def ray(self, x_px: float, y_px: float) -> tuple[np.ndarray, np.ndarray]:
        return camera_ray(self.scene.renderer.camera, x_px, y_px, self.view.size_px())

    def pick_point_m(self, x_px: float, y_px: float) -> np.ndarray | None:
        """The render-frame point under the cursor (nearest along the ray), or None."""
        layer = self.scene.renderer.points
        if layer is None or len(layer) == 0:
            return None
        origin, direction = self.ray(x_px, y_px)
        camera = self.scene.renderer.camera
        rad_per_px = math.radians(camera.fov_deg) / self.view.size_px()[1]
        index = pick_point(layer.xyz_m, origin, direction, 0.02, radius_per_m=PICK_RADIUS_PX * rad_per_px)
        return layer.xyz_m[index].astype(np.float64) if index >= 0 else None

    def pick_box_token(self, x_px: float, y_px: float) -> str | None:
        origin, direction = self.ray(x_px, y_px)
        boxes = {a.token: self.scene.to_render(a.box) for a in self.scene.frame_annotations()}
        return pick_box(origin, direction, boxes)

    def ground_under(self, x_px: float, y_px: float) -> np.ndarray | None:
        """Where the ray meets the frame's ground (a picked point, else the median ground plane)."""
        data = self.scene.data
        hit = self.pick_point_m(x_px, y_px)
        if data is not None and len(data) and np.any(data.ground):
            ground_z = float(np.median(data.xyz_m[data.ground, 2]))
        else:
            ground_z = float(data.sensor_m[2] - 1.8) if data is not None else 0.0
        if hit is not None:
            return np.array([hit[0], hit[1], min(hit[2], ground_z + 0.3) if hit[2] > ground_z else hit[2]])
        origin, direction = self.ray(x_px, y_px)
        return ray_plane_z(origin, direction, ground_z)

    def on_click(self, x_px: float, y_px: float) -> None:
        tool = self.editor.tool
        if tool == "select":
            token = self.pick_box_token(x_px, y_px)
            if token is None:
                self.editor.deselect()
            else:
                self.editor.select(token)
        elif tool == "one_click":
            seed = self.pick_point_m(x_px, y_px)
            if seed is None:
                self.editor.message.emit("One-click: no point under the cursor")
            else:
                self.editor.create_at_point(seed)
        elif tool == "place":
            ground = self.ground_under(x_px, y_px)
            if ground is None:
                self.editor.message.emit("Place: click on the ground")
            else:
                yaw_rad = self._ego_yaw_rad()
                self.editor.place_default(ground, yaw_rad)

    def on_rect(self, rect: QRectF) -> None:
        if self.editor.tool != "rectangle" or self.scene.data is None:
            return
        polygon = np.array([[rect.left(), rect.top()], [rect.right(), rect.top()],
                            [rect.right(), rect.bottom()], [rect.left(), rect.bottom()]], dtype=np.float64)
        inside = points_in_polygon(self.scene.data.xyz_m, self.view.view_proj(), polygon, self.view.size_px())
        self.editor.create_in_region(inside)

    def on_box_drag(self, phase: str, x_px: float, y_px: float) -> None:
        """Ctrl + drag on the selected box moves it over the ground plane (one undo step)."""
        token = self.editor.selected
        if phase == "end" or token is None:
            self._drag_start = None
            self.editor.end_merge()
            return
        box = self.editor.project.annotation(token).box
        origin, direction = self.ray(x_px, y_px)
        if phase == "start":
            hit = pick_box(origin, direction, {token: self.scene.to_render(box)})
            grab = ray_plane_z(origin, direction, float(box.center_m[2] - self.scene.render_origin_m[2]))
            self._drag_start = (box, grab) if hit is not None and grab is not None else None
            return
        if self._drag_start is None:
            return
        start_box, grab = self._drag_start
        now = ray_plane_z(origin, direction, float(grab[2]))
        if now is not None:
            delta = np.array([now[0] - grab[0], now[1] - grab[1], 0.0])
            self.editor.set_box(start_box.translated(delta), f"drag3d:{token}:{id(start_box)}", "Move box")

    def _ego_yaw_rad(self) -> float:
        frame_index = self.scene.frame_index
        if frame_index is None:
            return 0.0
        T = self.scene.project.sequence[frame_index].T_world_sensor
        return math.atan2(T[1, 0], T[0, 0])
