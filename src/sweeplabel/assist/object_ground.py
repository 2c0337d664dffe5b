"""The road under an object (pure NumPy + kernels): the local ground height around a point, the
lower layer of the ground points (a car's flat lower body taken for ground), the ground under an
object of a class (a plane through far road returns) and the ground in a ring around its footprint."""

from __future__ import annotations

import numpy as np

from sweeplabel.kernels import fit_box
from sweeplabel.model import Box

from .class_prior import ClassPrior

FAR_GROUND_RADIUS_M = 48.0  # the widest search for the road under a far object (BEV)
MISLABELLED_GROUND_M = 0.4  # 'ground' points this far above the object's road are the object's (or a kerb's)


def _bev_distance_m(points: np.ndarray, xy_m: np.ndarray) -> np.ndarray:
    return np.hypot(points[:, 0] - xy_m[0], points[:, 1] - xy_m[1])


def local_ground_z_m(points: np.ndarray, ground_mask: np.ndarray, xy_m: np.ndarray,
                     radius_m: float = 4.0, percentile: float = 50.0) -> float | None:
    """Height of the ground points within ``radius_m`` (BEV) of ``xy_m`` (their median, or
    ``percentile``: a low one resists flat object tops taken for ground); None if none."""
    if len(points) == 0:
        return None
    near = ground_mask & (_bev_distance_m(points, xy_m) <= radius_m)
    if not np.any(near):
        return None
    return road_z_m(points[near, 2], float(np.percentile(points[near, 2], percentile)))


def road_z_m(ground_z_m: np.ndarray, z_m: float, step_m: float = 0.3, min_points: int = 5) -> float:
    """``z_m`` (a height taken from the ground points ``ground_z_m``), or the median of the
    ground points lower than it by more than ``step_m`` when at least ``min_points`` (5 % of
    them) are: next to the sensor the flat lower body of a car can outnumber the road points
    the car leaves visible around it, and the road is the lower layer."""
    lower = ground_z_m[ground_z_m < z_m - step_m]
    if len(lower) >= max(min_points, 0.05 * len(ground_z_m)):
        return float(np.median(lower))
    return z_m


def object_ground_z_m(points: np.ndarray, ground_mask: np.ndarray, xy_m: np.ndarray,
                      prior: ClassPrior, radius_m: float = 4.0, lowest_m: float | None = None) -> float | None:
    """The ground under an object of the class: the 25th percentile of the ground points
    within ``radius_m`` or the class's half diagonal + 1 m (a bus hides the ground under
    it; a car roof next to the sensor can be taken for ground, the road is lower). Far from the
    sensor the road returns thin out: without ground points that near, the radius doubles up to
    ``FAR_GROUND_RADIUS_M`` and a plane through the ground points found gives the road under the
    object (the road goes on under it and may climb; the object's lowest points are its bumper or
    sill, not the road), no higher than ``lowest_m`` (the object's lowest point less a clearance)."""
    radius_m = max(radius_m, prior.max_radius_m + 1.0)
    z = local_ground_z_m(points, ground_mask, xy_m, radius_m, 25.0)
    if z is not None:
        return z
    while z is None and radius_m < FAR_GROUND_RADIUS_M:
        radius_m = min(2.0 * radius_m, FAR_GROUND_RADIUS_M)
        z = _ground_plane_z_m(points, ground_mask, xy_m, radius_m)
    return z if z is None or lowest_m is None else min(z, lowest_m)


def _ground_plane_z_m(points: np.ndarray, ground_mask: np.ndarray, xy_m: np.ndarray, radius_m: float,
                      min_points: int = 10) -> float | None:
    """The height at ``xy_m`` of the plane fitted (least squares) to the ground points within
    ``radius_m``: far out the nearest road returns lie tens of metres away, on a road that climbs."""
    near = np.flatnonzero(np.asarray(ground_mask, dtype=bool) & (_bev_distance_m(points, xy_m) <= radius_m))
    if len(near) < min_points:
        return None
    pts = np.asarray(points[near, :3], dtype=np.float64)
    design = np.c_[np.ones(len(pts)), pts[:, 0] - xy_m[0], pts[:, 1] - xy_m[1]]
    if np.linalg.matrix_rank(design) < 3:
        return float(np.median(pts[:, 2]))
    return float(np.linalg.lstsq(design, pts[:, 2], rcond=None)[0][0])


def ring_ground_z_m(points: np.ndarray, ground: np.ndarray, object_points: np.ndarray,
                    fallback_z_m: float | None, inner_m: float = 0.3, outer_m: float = 1.5) -> float | None:
    """The median height of the ground points in a ring around the object's footprint
    (``inner_m``..``outer_m`` beyond it): next to the sensor the lower body of a car can be
    taken for ground, the ring's road is not. ``fallback_z_m`` with fewer than 5 such points."""
    foot = Box.from_array(fit_box(np.ascontiguousarray(object_points[:, :3], dtype=np.float32)))
    foot = foot.with_size([*foot.size_lwh_m[:2], 1e3])
    reach = 0.5 * float(np.hypot(*foot.size_lwh_m[:2])) + outer_m
    cand = np.flatnonzero(np.asarray(ground, dtype=bool) & (_bev_distance_m(points, foot.center_m[:2]) <= reach))
    if len(cand) == 0:
        return fallback_z_m
    pts = points[cand]
    outer = foot.with_size(foot.size_lwh_m + [2 * outer_m, 2 * outer_m, 0.0]).contains(pts)
    inner = foot.with_size(foot.size_lwh_m + [2 * inner_m, 2 * inner_m, 0.0]).contains(pts)
    ring = outer & ~inner
    if int(ring.sum()) < 5:
        return fallback_z_m
    z = road_z_m(pts[ring, 2], float(np.median(pts[ring, 2])))
    lowest_m = float(np.min(object_points[:, 2]))
    if fallback_z_m is not None and z > min(lowest_m + 0.1, fallback_z_m + 0.3) > fallback_z_m:
        # the road is not above the object's lowest points, nor a step above the wider ground's lower layer:
        # the ring took the object's body for ground
        return fallback_z_m
    return z
