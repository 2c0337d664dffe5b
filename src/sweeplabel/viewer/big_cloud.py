"""Progressive display of a big LAS/LAZ cloud: decode chunk by chunk, keep every k-th
point (k = points / display budget), hand partial FrameData to the caller as the file
streams in, so a view appears within a second or two and fills in.

Why not ``sweeplabel.io.las.read_las``: it returns only at the end (its ``progress``
callback carries counts, not points). Both stream through ``sweeplabel.io.las.LasStream``
(the same header checks and scaled-int -> metres conversion); here with a stride, so the
file is never held at full resolution."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable

import numpy as np

from sweeplabel.io.las import LasStream
from sweeplabel.model import Sequence

from .frame_data import FrameData, normalised_intensity, to_render_frame, view_ground_mask

CHUNK_POINTS = 1_000_000
PARTIAL_EVERY_S = 1.0

Partial = Callable[[FrameData], None]
Progress = Callable[[int, int], None]


def stream_las_frame_data(sequence: Sequence, frame_index: int, budget: int, *,
                          partial: Partial | None = None, progress: Progress | None = None,
                          chunk_points: int = CHUNK_POINTS) -> FrameData:
    """The frame's LAS/LAZ points decimated by a stride to about ``budget``; ``partial``
    gets the points read so far (no ground yet) every ~second, ``progress(done, total)``
    after each chunk. The final data has the ground found per grid cell."""
    frame = sequence[frame_index]
    path = Path(frame.source_path)  # type: ignore[arg-type]
    origin_m = sequence.render_origin_m
    local_origin = frame.T_world_sensor[:3, 3]  # the reader's frame origin (floor of the mins)
    parts: list[np.ndarray] = []
    with LasStream(path, local_origin) as las:
        total = las.total
        stride = max(1, math.ceil(total / max(budget, 1)))
        last_partial = time.monotonic()
        for block, done, _ in las.chunks(chunk_points, stride):
            parts.append(block[:, :4])  # x, y, z, intensity
            if progress is not None:
                progress(done, total)
            if partial is not None and time.monotonic() - last_partial >= PARTIAL_EVERY_S and done < total:
                partial(_frame_data(frame_index, np.concatenate(parts), frame.T_world_sensor, origin_m, False))
                last_partial = time.monotonic()
    points = np.concatenate(parts) if parts else np.zeros((0, 4), np.float32)
    return _frame_data(frame_index, points, frame.T_world_sensor, origin_m, True)


def _frame_data(frame_index: int, points: np.ndarray, T_world_sensor: np.ndarray, origin_m: np.ndarray,
                with_ground: bool) -> FrameData:
    xyz_m = to_render_frame(points, T_world_sensor, origin_m)
    if with_ground and len(points):
        ground = view_ground_mask(np.ascontiguousarray(points[:, :3], dtype=np.float32), "grid")
    else:
        ground = np.zeros(len(points), dtype=bool)
    sensor_m = (T_world_sensor[:3, 3] - origin_m).astype(np.float64)
    return FrameData(frame_index, xyz_m, normalised_intensity(points), np.asarray(ground, dtype=bool), sensor_m)
