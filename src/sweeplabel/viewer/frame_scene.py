"""FrameScene: one frame of a project shown through a SceneRenderer (no Qt).

The renderer may also be a ``render_process.ProcessRenderer`` (same API, renders in
a child process); FrameScene only sets geometries and calls ``render()``.

Holds the frame's prepared points (FrameData), the display options and the selected
annotation; rebuilds the point layer and the box wireframes when any of them changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from sweeplabel.io.errors import SweeplabelIOError
from sweeplabel.model import Annotation, Box, Project

from .colormap import height_range_m
from .frame_data import FrameData, label_points, load_frame_data, points_in_box_mask
from .geometry import annotation_wireframes, box_geometry_name, box_wireframe, merged_wireframe
from .point_style import ColorMode, DisplayOptions, point_colors, styled_layer

if TYPE_CHECKING:
    from .renderer import SceneRenderer

_LOAD_ERRORS = (SweeplabelIOError, OSError, ValueError)
SELECTED_RGB = (1.0, 1.0, 1.0)
BOXES_NAME = "boxes"


class FrameLoadError(Exception):
    """A frame's points could not be loaded; the frame is shown without points."""

    def __init__(self, frame_index: int, cause: Exception) -> None:
        self.frame_index = frame_index
        super().__init__(f"frame {frame_index + 1}: could not load points: {cause}")


def empty_frame_data(project: Project, frame_index: int) -> FrameData:
    frame = project.sequence[frame_index]
    sensor_m = frame.T_world_sensor[:3, 3] - project.sequence.render_origin_m
    return FrameData(frame_index, np.zeros((0, 3), np.float32), np.zeros(0, np.float32), np.zeros(0, bool), sensor_m)


class FrameScene:
    """Keeps a SceneRenderer's geometries in step with the project's current frame.

    The height colour range is taken from the first frame shown and kept, so colours
    do not flicker while stepping through the sequence."""

    def __init__(self, project: Project, renderer: SceneRenderer | None = None) -> None:
        self.project = project
        if renderer is None:
            from .renderer import SceneRenderer  # Open3D in this process only when rendering here

            renderer = SceneRenderer()
        self.renderer = renderer
        self.options = DisplayOptions(point_size_px=self.renderer.point_size_px)
        self.data: FrameData | None = None
        self.selected: str | None = None
        self._frame_index: int | None = None
        self._z_range_m: tuple[float, float] | None = None
        self._n_boxes = 0
        self.annotation_filter: Callable[[Annotation], bool] | None = None  # which boxes are shown
        self._selected_mask: np.ndarray | None = None
        self._colors_key: tuple | None = None
        self._colors: np.ndarray | None = None

    # -- queries --------------------------------------------------------------------
    @property
    def frame_index(self) -> int | None:
        return self._frame_index

    @property
    def n_frames(self) -> int:
        return len(self.project.sequence)

    @property
    def n_points(self) -> int:
        """Points drawn (after hidden ground and the range limit)."""
        points = self.renderer.points
        return len(points) if points is not None else 0

    @property
    def n_boxes(self) -> int:
        return self._n_boxes

    @property
    def n_in_selected(self) -> int:
        """Points inside the selected box (0 without one)."""
        return int(np.count_nonzero(self._selected_mask)) if self._selected_mask is not None else 0

    @property
    def render_origin_m(self) -> np.ndarray:
        return self.project.sequence.render_origin_m

    def to_render(self, box: Box) -> Box:
        """A world box in the render frame."""
        return box.translated(-self.render_origin_m)

    def to_world(self, box: Box) -> Box:
        return box.translated(self.render_origin_m)

    def frame_annotations(self) -> list[Annotation]:
        """The frame's annotations shown (``annotation_filter``, e.g. auto boxes by score)."""
        if self._frame_index is None:
            return []
        anns = self.project.annotations_in_frame(self._frame_index)
        keep = self.annotation_filter
        return anns if keep is None else [a for a in anns if keep(a)]

    # -- showing --------------------------------------------------------------------
    def show_frame(self, frame_index: int) -> None:
        """Load the frame (on this thread) and show it; the first frame shown also fits the camera.

        Raises FrameLoadError (after showing the frame's boxes without points) when
        the points cannot be read, so a bad file never leaves a stale frame on screen."""
        if not 0 <= frame_index < self.n_frames:
            raise IndexError(f"frame {frame_index} outside 0..{self.n_frames - 1}")
        try:
            data = load_frame_data(self.project.sequence, frame_index)
        except _LOAD_ERRORS as exc:
            self.show_data(empty_frame_data(self.project, frame_index))
            raise FrameLoadError(frame_index, exc) from exc
        self.show_data(data)

    def show_data(self, data: FrameData) -> None:
        """Show prepared frame data (e.g. from the prefetching loader)."""
        first = self._frame_index is None
        self.data = data
        self._frame_index = data.frame_index
        if self._z_range_m is None and len(data):
            self._z_range_m = height_range_m(data.xyz_m[:, 2])
        if self.selected is not None and self.project.get_annotation(self.selected) is None:
            self.selected = None
        self.refresh_annotations()
        if first:
            self.renderer.fit_camera()

    def set_options(self, options: DisplayOptions) -> None:
        self.options = options
        self.renderer.point_size_px = options.point_size_px
        self._restyle_points()

    def select(self, token: str | None) -> None:
        """Highlight another box (boxes unchanged: wireframes and colours only)."""
        if token == self.selected:
            return
        self.selected = token
        if self._frame_index is None or self.data is None:
            return
        if token is not None and all(a.token != token for a in self.frame_annotations()):
            self.selected = None
        self._set_wireframes()
        self._restyle_points()

    def refresh_annotations(self) -> None:
        """Rebuild the frame's box wireframes, in-box labels and point colours."""
        if self._frame_index is None or self.data is None:
            return
        anns = self.frame_annotations()
        if self.selected is not None and all(a.token != self.selected for a in anns):
            self.selected = None
        self._set_wireframes()
        tokens, labels = label_points(self.data.xyz_m, anns, self.render_origin_m)
        self.data = self.data.with_boxes(tokens, labels)
        self._restyle_points()

    def _set_wireframes(self) -> None:
        assert self._frame_index is not None
        wires = annotation_wireframes(self.project, self._frame_index, self.annotation_filter)
        if self.selected is not None:
            box = self.project.annotation(self.selected).box
            wires[box_geometry_name(self.selected)] = box_wireframe(box, self.render_origin_m, SELECTED_RGB)
        self.renderer.set_wireframes({BOXES_NAME: merged_wireframe(list(wires.values()))} if wires else {})
        self._n_boxes = len(wires)

    def _restyle_points(self) -> None:
        data = self.data
        if data is None:
            return
        self._selected_mask = None
        if self.selected is not None:
            box = self.to_render(self.project.annotation(self.selected).box)
            self._selected_mask = points_in_box_mask(data.xyz_m, box)
        box_rgb = np.array([self._class_rgb(t) for t in data.box_tokens], dtype=np.float32).reshape(-1, 3)
        z_range = self._z_range_m or (height_range_m(data.xyz_m[:, 2]) if len(data) else (-2.0, 3.0))
        layer = styled_layer(data, self.options, z_range, box_labels=data.box_labels, box_rgb=box_rgb,
                             highlight=self._selected_mask, base_colors=self._base_colors(data, z_range, box_rgb))
        self.renderer.set_points(layer)

    def _base_colors(self, data: FrameData, z_range: tuple[float, float], box_rgb: np.ndarray) -> np.ndarray:
        """The colour mode's colours, cached per frame (class colours follow the boxes)."""
        mode = self.options.color_mode
        key: tuple = (id(data.xyz_m), data.frame_index, len(data), mode, z_range)
        if mode is ColorMode.CLASS:
            key += (id(data.box_labels), box_rgb.tobytes())
        if key != self._colors_key or self._colors is None:
            self._colors = point_colors(data, self.options, z_range, data.box_labels, box_rgb)
            self._colors_key = key
        return self._colors

    def _class_rgb(self, annotation_token: str) -> tuple[float, float, float]:
        ann = self.project.get_annotation(annotation_token)
        if ann is None or self.project.get_track(ann.track_token) is None:  # labels not refreshed yet
            return (0.4, 0.42, 0.46)
        return self.project.schema.category(self.project.track(ann.track_token).category).color_rgb

    def label_anchors(self) -> list[tuple[str, np.ndarray, tuple[float, float, float]]]:
        """(text, render-frame point above the box, class RGB) for each box of the frame."""
        out = []
        for ann in self.frame_annotations():
            track = self.project.track(ann.track_token)
            top_m = ann.box.center_m + [0.0, 0.0, ann.box.size_lwh_m[2] / 2.0] - self.render_origin_m
            out.append((str(track.number), top_m, self.project.schema.category(track.category).color_rgb))
        return out

    def render(self) -> np.ndarray:
        return self.renderer.render()
