"""The one point-in-box count. The status bar, the sub-views, the object view and the
QA check all count the points in a box with these functions, so the same box shows the
same number everywhere: the kernel's inside test (``kernels.points_in_boxes``: float64,
faces inclusive, non-finite points in no box) on the frame's points, all in one frame of
reference (sensor, render or world: the caller's, the same for points and box)."""

from __future__ import annotations

import numpy as np

from ..kernels import points_in_boxes
from ..model import Box


def points_in_box_mask(xyz_m: np.ndarray, box: Box, margin_m: float = 0.0) -> np.ndarray:
    """(N,) bool: the points of ``xyz_m`` (N, 3+) inside ``box`` grown by ``margin_m`` on every side."""
    if len(xyz_m) == 0:
        return np.zeros(0, dtype=bool)
    params = box.to_array()
    if margin_m:
        params[3:6] = np.maximum(params[3:6] + 2.0 * margin_m, 0.0)
    points = np.ascontiguousarray(xyz_m[:, :3], dtype=np.float32)
    labels, _ = points_in_boxes(points, params[None, :])
    return labels >= 0


def count_points_in_box(xyz_m: np.ndarray, box: Box) -> int:
    """How many points of ``xyz_m`` are inside ``box`` (what every panel shows)."""
    return int(np.count_nonzero(points_in_box_mask(xyz_m, box)))
