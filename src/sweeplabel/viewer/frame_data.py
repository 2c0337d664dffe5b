"""FrameData: one frame's points prepared for the editor (render frame, intensity,
ground mask, in-box labels). ``load_frame_data`` is pure and thread-safe, so the app
runs it on a worker thread and prefetches the next frames."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from sweeplabel.io.errors import SweeplabelIOError
from sweeplabel.kernels import kernels_ready, points_in_boxes, segment_ground
from sweeplabel.kernels.reference import points_in_boxes_ref, segment_ground_ref
from sweeplabel.assist.point_count import points_in_box_mask as _points_in_box_mask
from sweeplabel.model import Annotation, Box, Frame, Sequence

from .geometry import to_render_frame


@dataclass(frozen=True, eq=False)
class FrameData:
    """``xyz_m`` (N, 3) float32 render frame; ``intensity`` (N,) float32 0..1 (zeros when
    the format has none); ``ground`` (N,) bool; ``sensor_m`` (3,) render frame;
    ``box_labels`` (N,) int32 index into ``box_tokens`` of the box holding each point (-1 none)."""

    frame_index: int
    xyz_m: np.ndarray
    intensity: np.ndarray
    ground: np.ndarray
    sensor_m: np.ndarray
    box_tokens: tuple[str, ...] = ()
    box_labels: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.xyz_m.shape[0])

    def with_boxes(self, box_tokens: tuple[str, ...], box_labels: np.ndarray) -> "FrameData":
        return FrameData(self.frame_index, self.xyz_m, self.intensity, self.ground, self.sensor_m,
                         box_tokens, box_labels)


def normalised_intensity(points: np.ndarray) -> np.ndarray:
    """Column 3 scaled to 0..1 (0-255 data divided by 255); zeros without the column."""
    if points.shape[1] < 4 or len(points) == 0:
        return np.zeros(len(points), dtype=np.float32)
    raw = np.nan_to_num(points[:, 3].astype(np.float32))
    top = float(np.percentile(raw, 99.5)) if len(raw) else 1.0
    scale = 255.0 if top > 1.5 else 1.0
    return np.clip(raw / scale, 0.0, 1.0).astype(np.float32)


def points_in_box_mask(xyz_m: np.ndarray, box: Box, margin_m: float = 0.0) -> np.ndarray:
    """The points inside ``box``: the one point-in-box test (``assist.point_count``)."""
    return _points_in_box_mask(xyz_m, box, margin_m)


def label_points(xyz_m: np.ndarray, annotations: list[Annotation], render_origin_m: np.ndarray
                 ) -> tuple[tuple[str, ...], np.ndarray]:
    """(tokens, labels): the box (index into tokens) holding each render-frame point."""
    tokens = tuple(a.token for a in annotations)
    if not annotations or len(xyz_m) == 0:
        return tokens, np.full(len(xyz_m), -1, dtype=np.int32)
    boxes = np.stack([a.box.to_array() for a in annotations])
    boxes[:, :3] -= np.asarray(render_origin_m, dtype=np.float64)
    in_boxes = points_in_boxes if kernels_ready() else points_in_boxes_ref
    labels, _ = in_boxes(np.ascontiguousarray(xyz_m, dtype=np.float32), np.ascontiguousarray(boxes))
    return tokens, labels


def view_ground_mask(sensor_xyz: np.ndarray, method: str) -> np.ndarray:
    """The kernel once the kernels are ready; before (the first frames of a session,
    while ``warmup`` loads or, on a first run, compiles them: 20 s and more) its NumPy
    twin, which gives the same mask (parity-tested) in ~0.1 s a 110k-point sweep, so
    the first sweep never waits for Numba's compiler."""
    return (segment_ground if kernels_ready() else segment_ground_ref)(sensor_xyz, method=method)


DISPLAY_POINT_BUDGET = 3_000_000  # larger LAS/LAZ clouds are voxel-decimated while streaming
LAS_SUFFIXES = (".las", ".laz")
Progress = Callable[[int, int], None]


def is_big_cloud(frame: Frame, budget: int | None = None) -> bool:
    """A LAS/LAZ frame whose header declares more points than the display budget (the
    count the LAS reader put in ``frame.meta``, else io's raw-header read)."""
    path = frame.source_path
    if path is None or Path(path).suffix.lower() not in LAS_SUFFIXES:
        return False
    count = frame.meta.get("las_point_count")
    if not isinstance(count, int):
        from sweeplabel.io.las import las_point_count  # io imports its LAS library only now

        try:
            count = las_point_count(Path(path))
        except SweeplabelIOError:  # the loader reports the real error with the file name
            return False
    return count > (DISPLAY_POINT_BUDGET if budget is None else budget)


def load_frame_data(sequence: Sequence, frame_index: int, annotations: list[Annotation] | None = None,
                    *, progress: Progress | None = None, partial: Callable[[FrameData], None] | None = None,
                    budget: int | None = None) -> FrameData:
    """Read a frame, move it to the render frame, segment the ground (in the sensor
    frame, where the ground model expects the sensor at the origin) and label the points
    of ``annotations``. A LAS/LAZ cloud above ``budget`` points streams in decimated
    (``progress(done, total)`` per chunk, ``partial(data)`` about every second, see
    ``big_cloud``); LAS/LAZ ground is found per grid cell (a mapping cloud has no sensor
    at its origin). Raises what the loader raises."""
    frame = sequence[frame_index]
    budget = DISPLAY_POINT_BUDGET if budget is None else budget
    origin_m = sequence.render_origin_m
    if is_big_cloud(frame, budget):
        from .big_cloud import stream_las_frame_data  # imports this module

        data = stream_las_frame_data(sequence, frame_index, budget, partial=partial, progress=progress)
        return data if annotations is None else data.with_boxes(*label_points(data.xyz_m, annotations, origin_m))
    points = frame.load_points()
    is_map = frame.source_path is not None and Path(frame.source_path).suffix.lower() in LAS_SUFFIXES
    xyz_m = to_render_frame(points, frame.T_world_sensor, origin_m)
    sensor_xyz = np.ascontiguousarray(points[:, :3], dtype=np.float32)
    if len(points) and not is_map:
        try:
            ground = view_ground_mask(sensor_xyz, "patchwork")
        except ValueError:  # too few / degenerate points for Patchwork++
            ground = view_ground_mask(sensor_xyz, "grid")
    elif len(points):
        ground = view_ground_mask(sensor_xyz, "grid")
    else:
        ground = np.zeros(0, dtype=bool)
    sensor_m = (frame.T_world_sensor[:3, 3] - origin_m).astype(np.float64)
    data = FrameData(frame_index, xyz_m, normalised_intensity(points), np.asarray(ground, dtype=bool), sensor_m)
    if annotations is not None:
        data = data.with_boxes(*label_points(xyz_m, annotations, origin_m))
    return data
