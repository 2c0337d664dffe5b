"""FrameScene: one frame of a project shown through a SceneRenderer (no Qt)."""

from __future__ import annotations

import numpy as np

from sweeplabel.io.errors import SweeplabelIOError
from sweeplabel.model import Project

from .colormap import height_range_m
from .geometry import annotation_wireframes, point_layer, to_render_frame
from .renderer import SceneRenderer


_LOAD_ERRORS = (SweeplabelIOError, OSError, ValueError)


class FrameLoadError(Exception):
    """A frame's points could not be loaded; the frame is shown without points."""

    def __init__(self, frame_index: int, cause: Exception) -> None:
        self.frame_index = frame_index
        super().__init__(f"frame {frame_index + 1}: could not load points: {cause}")


class FrameScene:
    """Keeps a SceneRenderer's geometries in step with the project's current frame.

    The height colour range is taken from the first frame shown and kept, so colours
    do not flicker while stepping through the sequence."""

    def __init__(self, project: Project, renderer: SceneRenderer | None = None) -> None:
        self.project = project
        self.renderer = renderer or SceneRenderer()
        self._frame_index: int | None = None
        self._z_range_m: tuple[float, float] | None = None
        self._n_boxes = 0

    @property
    def frame_index(self) -> int | None:
        return self._frame_index

    @property
    def n_frames(self) -> int:
        return len(self.project.sequence)

    @property
    def n_points(self) -> int:
        points = self.renderer.points
        return len(points) if points is not None else 0

    @property
    def n_boxes(self) -> int:
        return self._n_boxes

    def show_frame(self, frame_index: int) -> None:
        """Load the frame's points and boxes; the first frame shown also fits the camera.

        Raises FrameLoadError (after showing the frame's boxes without points) when
        the points cannot be read, so a bad file never leaves a stale frame on screen."""
        if not 0 <= frame_index < self.n_frames:
            raise IndexError(f"frame {frame_index} outside 0..{self.n_frames - 1}")
        frame = self.project.sequence[frame_index]
        try:
            points_sensor = frame.load_points()
        except _LOAD_ERRORS as exc:
            self._show(frame_index, np.zeros((0, 3), dtype=np.float32))
            raise FrameLoadError(frame_index, exc) from exc
        self._show(frame_index, points_sensor)

    def _show(self, frame_index: int, points_sensor: np.ndarray) -> None:
        sequence = self.project.sequence
        frame = sequence[frame_index]
        xyz_m = to_render_frame(points_sensor, frame.T_world_sensor, sequence.render_origin_m)
        first = self._frame_index is None
        if self._z_range_m is None and len(xyz_m):
            self._z_range_m = height_range_m(xyz_m[:, 2])
        self.renderer.set_points(point_layer(xyz_m, self._z_range_m or height_range_m(xyz_m[:, 2])))
        self._frame_index = frame_index
        self.refresh_annotations()
        if first:
            self.renderer.fit_camera()

    def refresh_annotations(self) -> None:
        """Rebuild the current frame's box wireframes from the project."""
        if self._frame_index is None:
            return
        wires = annotation_wireframes(self.project, self._frame_index)
        self.renderer.set_wireframes(wires)
        self._n_boxes = len(wires)

    def render(self) -> np.ndarray:
        return self.renderer.render()
