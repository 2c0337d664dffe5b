"""The apparent shift of the static scene around an object between two frames without poses.

Where a sequence has no poses (world = each sensor frame), a parked car or a standing person
moves between frames by the ego's own motion (SUSTechPOINTS: 2-5 m in 0.5 s). Around a box,
the static scene (walls, poles, parked cars, trees) shifts almost uniformly, so the shift is
found by cross-correlating the two frames' bird's-eye occupancy of the non-ground points in a
disc around the box (the object itself left out of the first frame). Propagation uses it as the
prediction while the track's own motion is not yet known; the class's speed then bounds the
search around it."""

from __future__ import annotations

import numpy as np

from ..kernels import GridGroundParams, segment_ground
from ..model import Box


def _occupancy(xy_m: np.ndarray, centre_xy_m: np.ndarray, half_m: float, cell_m: float) -> np.ndarray:
    n = int(np.ceil(2.0 * half_m / cell_m))
    ij = np.floor((xy_m - centre_xy_m + half_m) / cell_m).astype(np.int64)
    ok = (ij[:, 0] >= 0) & (ij[:, 0] < n) & (ij[:, 1] >= 0) & (ij[:, 1] < n)
    flat = np.compress(ok, ij[:, 0] * n + ij[:, 1])
    grid = np.bincount(flat, minlength=n * n).reshape(n, n).astype(np.float64)
    return np.minimum(grid, 3.0)  # a wall's dense column counts little more than a pole


def _above_ground(points: np.ndarray, centre_xy_m: np.ndarray, radius_m: float) -> np.ndarray:
    c = np.asarray(centre_xy_m, dtype=points.dtype)
    d2 = (points[:, 0] - c[0]) ** 2 + (points[:, 1] - c[1]) ** 2
    crop = np.ascontiguousarray(np.compress(d2 <= radius_m * radius_m, points, axis=0)[:, :3], dtype=np.float32)
    if len(crop) == 0:
        return crop
    ground = segment_ground(crop, method="grid", params=GridGroundParams(cell_m=1.0, above_min_m=0.25))
    return np.compress(~ground, crop, axis=0)  # compress: several times faster than a boolean row index


def scene_shift_m(points_a: np.ndarray, points_b: np.ndarray, box_a: Box, max_shift_m: float,
                  radius_m: float = 15.0, cell_m: float = 0.25,
                  min_peak_share: float = 0.3) -> np.ndarray | None:
    """The BEV shift (2,) that carries the static scene around ``box_a`` in frame A (points
    ``points_a``, same axes as the box) onto frame B (``points_b``), at most ``max_shift_m``;
    None when the scene is too bare or the best match holds less than ``min_peak_share`` of
    frame A's occupied cells (no clear match: the caller keeps the last box)."""
    centre = np.asarray(box_a.center_m[:2], dtype=np.float64)
    a = _above_ground(points_a, centre, radius_m)
    if len(a):
        a = np.compress(~box_a.with_size(box_a.size_lwh_m + [1.0, 1.0, 1e3]).contains(a), a, axis=0)  # it moves on its own
    b = _above_ground(points_b, centre, radius_m + max_shift_m)
    if len(a) < 30 or len(b) < 30:
        return None
    half_a, half_b = radius_m, radius_m + max_shift_m
    occ_a = _occupancy(a[:, :2].astype(np.float64), centre, half_a, cell_m)
    occ_b = _occupancy(b[:, :2].astype(np.float64), centre, half_b, cell_m)
    from scipy.signal import fftconvolve  # 1 s to import: not at start-up (the tool warm-up loads it)

    corr = fftconvolve(occ_b, occ_a[::-1, ::-1], mode="valid")  # corr[k] = sum occ_b[k + i] occ_a[i]
    k = np.arange(corr.shape[0]) * cell_m - max_shift_m  # shift of each lag (cells of A start at -half_a)
    kk = np.hypot(k[:, None], k[None, :])
    corr[kk > max_shift_m] = -np.inf
    i, j = np.unravel_index(int(np.argmax(corr)), corr.shape)
    if corr[i, j] < min_peak_share * float(np.sum(occ_a * occ_a)):
        return None
    return np.array([k[i], k[j]])
