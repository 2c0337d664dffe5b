"""A person's box from their own points, as labellers draw it: the bird's-eye rectangle that holds
the points (the stride, the arms) and a little more, kept within a body's bounds. Used by
pre-annotation (``scored.person_box``) and one-click / rectangle (``prior_fit.fit_with_prior``).

Measured on the five real sets (benchmarks/README.md, Follow-up ped5): the truth box's centre lies
0.00-0.08 m from the centroid of its points and its sides 0.02-0.11 m beyond their extent where the
points are dense (KITTI, SUSTechPOINTS); a class-sized box anchored on the seen face puts the centre
0.11-0.43 m behind the person."""

from __future__ import annotations

import math

import numpy as np

from ..kernels import fit_box

PERSON_MARGIN_M = 0.1  # added to the points' extent on each axis: the returns do not reach the edges
# no box smaller than the smallest person labelled on the five real sets (SUSTechPOINTS, 0.40 x 0.50),
# none longer than a long stride (KITTI object's walker, 1.20 m) nor wider than arms held out
PERSON_MIN_LW_M = (0.5, 0.4)  # (longer, shorter side)
PERSON_MAX_LW_M = (1.2, 0.9)
# a walking person's box holds both feet: a step (0.65-0.75 m for an adult) and a foot (0.26 m)
PERSON_STRIDE_M = 0.9


def person_footprint(points_m: np.ndarray, yaw_rad: float | None = None, walking: bool = False,
                     min_lw_m: tuple[float, float] = PERSON_MIN_LW_M) -> tuple[np.ndarray, float, float, float]:
    """``(centre_xy_m, length_m, width_m, yaw_rad)`` of the rectangle holding ``points_m`` (N, 3+)
    at ``yaw_rad`` (the direction of travel; None: the minimum-area rectangle's), grown by
    ``PERSON_MARGIN_M`` and kept within a body's bounds (a walker's length holds a stride); no side
    shorter than ``min_lw_m`` (longer, shorter side)."""
    pts = np.asarray(points_m[:, :2], dtype=np.float64)
    if yaw_rad is None:
        yaw_rad = float(fit_box(np.ascontiguousarray(points_m[:, :3], dtype=np.float32))[6])
    c, s = math.cos(yaw_rad), math.sin(yaw_rad)
    u, v = pts @ np.array([c, s]), pts @ np.array([-s, c])
    (u0, u1), (v0, v1) = (u.min(), u.max()), (v.min(), v.max())
    longer_u = walking or (u1 - u0) >= (v1 - v0)
    lo = tuple(min_lw_m) if longer_u else tuple(min_lw_m)[::-1]
    hi = PERSON_MAX_LW_M if longer_u else PERSON_MAX_LW_M[::-1]
    if walking:  # along the direction of travel
        lo = (max(lo[0], PERSON_STRIDE_M), lo[1])
    length = float(np.clip(u1 - u0 + PERSON_MARGIN_M, lo[0], hi[0]))
    width = float(np.clip(v1 - v0 + PERSON_MARGIN_M, lo[1], hi[1]))
    cu, cv = 0.5 * (u0 + u1), 0.5 * (v0 + v1)
    return np.array([c * cu - s * cv, s * cu + c * cv]), length, width, float(yaw_rad)
