"""The road the sensor stands on, extrapolated: a plane through the measured ground near the
sensor, for far clusters with no road measured around them. A vehicle stands on the road:
one whose lowest point is far above any plausible road (a line of points on a wall top or
a roof beyond an occluded stretch, whose few 'ground' points set the local ground metres up)
is not a vehicle."""

from __future__ import annotations

import math

import numpy as np

FIT_RANGE_M = 30.0  # Patchwork++'s near zones: the ground it measures densely and reliably
FIT_CELL_M = 2.0  # cell means weigh the near, dense ground no more than the farther road
FIT_INLIER_M = 0.3  # a cell farther than this from the first fit (a sidewalk, a ramp) is left out


def fit_road_plane(ground_xyz_m: np.ndarray, max_range_m: float = FIT_RANGE_M,
                   cell_m: float = FIT_CELL_M) -> np.ndarray | None:
    """``(a, b, c)`` of the road plane ``z = a + b x + c y`` (points about the sensor) through
    the cell means of the ground points within ``max_range_m``; refitted once without the
    cells off it by more than ``FIT_INLIER_M``. None with fewer than 3 cells."""
    if not len(ground_xyz_m):
        return None
    near = ground_xyz_m[np.hypot(ground_xyz_m[:, 0], ground_xyz_m[:, 1]) < max_range_m]
    if len(near) < 3:
        return None
    ij = np.floor(near[:, :2] / cell_m).astype(np.int64)
    _, inverse, count = np.unique(ij, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    cells = np.stack([np.bincount(inverse, near[:, k]) / count for k in range(3)], axis=1)
    if len(cells) < 3:
        return None
    coef = _lstsq_plane(cells)
    inlier = np.abs(cells[:, 2] - road_height(coef, cells[:, :2])) < FIT_INLIER_M
    if inlier.sum() >= 3:
        coef = _lstsq_plane(cells[inlier])
    return coef


def _lstsq_plane(cells: np.ndarray) -> np.ndarray:
    design = np.column_stack([np.ones(len(cells)), cells[:, 0], cells[:, 1]])
    return np.linalg.lstsq(design, cells[:, 2], rcond=None)[0]


def road_height(coef: np.ndarray, xy_m: np.ndarray) -> np.ndarray:
    """Height of the road plane at ``xy_m`` (N, 2)."""
    xy = np.atleast_2d(xy_m)
    return coef[0] + coef[1] * xy[:, 0] + coef[2] * xy[:, 1]


def clearance_m(cluster_m: np.ndarray, coef: np.ndarray | None) -> float:
    """How far the cluster's lowest point lies above the extrapolated road (NaN: no plane)."""
    if coef is None or not len(cluster_m):
        return math.nan
    centre = cluster_m[:, :2].mean(axis=0)
    return float(cluster_m[:, 2].min() - road_height(coef, centre[None])[0])
