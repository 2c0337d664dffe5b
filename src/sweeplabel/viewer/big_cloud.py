"""Progressive display of a big LAS/LAZ cloud: decode chunk by chunk, keep every k-th
point (k = points / display budget), hand partial FrameData to the caller as the file
streams in, so a view appears within a second or two and fills in.

Why not ``sweeplabel.io.las.read_las``: it returns only at the end (its ``progress``
callback carries counts, not points). The header checks and the scaled-int -> metres
conversion are the same as there; the file is never held at full resolution."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable

import laspy
import numpy as np

from sweeplabel.io.errors import FormatError
from sweeplabel.io.las import _check_header  # the same size/count sanity checks as the reader
from sweeplabel.kernels import segment_ground
from sweeplabel.model import Sequence

from .frame_data import FrameData, normalised_intensity, to_render_frame

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
    try:
        reader = laspy.open(path)
    except (laspy.errors.LaspyException, OSError, ValueError) as exc:
        raise FormatError(path, f"not a readable LAS/LAZ file ({exc})", offset=0) from None
    origin_m = sequence.render_origin_m
    with reader:
        header = reader.header
        _check_header(path, header)
        total = int(header.point_count)
        stride = max(1, math.ceil(total / max(budget, 1)))
        local_origin = frame.T_world_sensor[:3, 3]  # the reader's frame origin (floor of the mins)
        scales = np.asarray(header.scales, dtype=np.float64)
        shift = np.asarray(header.offsets, dtype=np.float64) - local_origin
        parts: list[np.ndarray] = []
        done, last_partial = 0, time.monotonic()
        try:
            for chunk in reader.chunk_iterator(chunk_points):
                start = (-done) % stride  # keep global indices 0, stride, 2*stride, ...
                block = np.empty((len(range(start, len(chunk), stride)), 4), dtype=np.float32)
                for axis, raw in enumerate((chunk.X, chunk.Y, chunk.Z)):
                    block[:, axis] = np.asarray(raw)[start::stride] * scales[axis] + shift[axis]
                block[:, 3] = np.asarray(chunk.intensity)[start::stride]
                parts.append(block)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
                if partial is not None and time.monotonic() - last_partial >= PARTIAL_EVERY_S and done < total:
                    partial(_frame_data(frame_index, np.concatenate(parts), frame.T_world_sensor, origin_m, False))
                    last_partial = time.monotonic()
        except (RuntimeError, ValueError, laspy.errors.LaspyException) as exc:
            raise FormatError(path, f"point data ends early or is corrupt: decoded {done} of {total} points "
                              f"({exc})", offset=path.stat().st_size) from None
    points = np.concatenate(parts) if parts else np.zeros((0, 4), np.float32)
    return _frame_data(frame_index, points, frame.T_world_sensor, origin_m, True)


def _frame_data(frame_index: int, points: np.ndarray, T_world_sensor: np.ndarray, origin_m: np.ndarray,
                with_ground: bool) -> FrameData:
    xyz_m = to_render_frame(points, T_world_sensor, origin_m)
    if with_ground and len(points):
        ground = segment_ground(np.ascontiguousarray(points[:, :3]), method="grid")
    else:
        ground = np.zeros(len(points), dtype=bool)
    sensor_m = (T_world_sensor[:3, 3] - origin_m).astype(np.float64)
    return FrameData(frame_index, xyz_m, normalised_intensity(points), np.asarray(ground, dtype=bool), sensor_m)
