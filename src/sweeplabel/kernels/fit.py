"""Box fitting to a cluster: minimum-area rectangle in bird's-eye view over the convex hull.

The rectangle of minimum area around a point set has one side along a hull edge, so the
yaw search only tests hull-edge directions (exact, O(h^2) for h hull points). With a prior
box the size is kept and the yaw is searched within ``max_yaw_dev_rad`` of the prior's yaw;
the box is then anchored on the extents nearest to the sensor (the visible faces).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._validate import check_points, check_positive, check_vector

__all__ = ["fit_box"]


@njit(cache=True)
def _hull(xy):
    """Convex hull (Andrew's monotone chain), counter-clockwise, no repeated last point."""
    n = xy.shape[0]
    o1 = np.argsort(xy[:, 1], kind="mergesort")
    o2 = np.argsort(xy[o1, 0], kind="mergesort")
    order = o1[o2]
    hull = np.empty((2 * n + 1, 2), dtype=np.float64)
    k = 0
    for t in range(n):
        i = order[t]
        while k >= 2 and ((hull[k - 1, 0] - hull[k - 2, 0]) * (xy[i, 1] - hull[k - 2, 1])
                          - (hull[k - 1, 1] - hull[k - 2, 1]) * (xy[i, 0] - hull[k - 2, 0])) <= 0.0:
            k -= 1
        hull[k, 0] = xy[i, 0]
        hull[k, 1] = xy[i, 1]
        k += 1
    lower = k + 1
    for t in range(n - 2, -1, -1):
        i = order[t]
        while k >= lower and ((hull[k - 1, 0] - hull[k - 2, 0]) * (xy[i, 1] - hull[k - 2, 1])
                              - (hull[k - 1, 1] - hull[k - 2, 1]) * (xy[i, 0] - hull[k - 2, 0])) <= 0.0:
            k -= 1
        hull[k, 0] = xy[i, 0]
        hull[k, 1] = xy[i, 1]
        k += 1
    if k > 1:
        k -= 1
    return hull[:k].copy()


@njit(cache=True, inline="always")
def _extents(hull, c, s):
    u_lo = np.inf
    u_hi = -np.inf
    v_lo = np.inf
    v_hi = -np.inf
    for i in range(hull.shape[0]):
        u = hull[i, 0] * c + hull[i, 1] * s
        v = hull[i, 1] * c - hull[i, 0] * s
        u_lo = min(u_lo, u)
        u_hi = max(u_hi, u)
        v_lo = min(v_lo, v)
        v_hi = max(v_hi, v)
    return u_lo, u_hi, v_lo, v_hi


@njit(cache=True)
def _min_area_yaw(hull, yaw_lo, yaw_hi, n_grid):
    """Yaw in [yaw_lo, yaw_hi] minimising the bounding-rectangle area of ``hull``.

    Candidates: hull-edge directions (modulo pi/2) inside the window plus ``n_grid`` evenly
    spaced angles (so a window without hull edges still has candidates)."""
    h = hull.shape[0]
    best_yaw = yaw_lo
    best_area = np.inf
    half_pi = 0.5 * math.pi
    for e in range(h + n_grid):
        if e < h:
            j = (e + 1) % h
            ang = math.atan2(hull[j, 1] - hull[e, 1], hull[j, 0] - hull[e, 0])
            # bring into the window modulo pi/2
            k = math.floor((ang - yaw_lo) / half_pi)
            ang = ang - k * half_pi
            if ang > yaw_hi:
                continue
        else:
            g = e - h
            ang = yaw_lo + (yaw_hi - yaw_lo) * (g / (n_grid - 1) if n_grid > 1 else 0.0)
        u_lo, u_hi, v_lo, v_hi = _extents(hull, math.cos(ang), math.sin(ang))
        area = (u_hi - u_lo) * (v_hi - v_lo)
        if area < best_area:
            best_area = area
            best_yaw = ang
    return best_yaw


@njit(cache=True)
def _trimmed_z(z, ground_z, trim):
    zs = np.sort(z)
    n = zs.shape[0]
    k = int(trim * n)
    top = zs[n - 1 - k]
    bottom = zs[k] if math.isnan(ground_z) else ground_z
    return bottom, top


@njit(cache=True)
def _fit_kernel(points, ground_z, prior, has_prior, max_dev, trim, sensor_xy):
    n = points.shape[0]
    m = 0
    for i in range(n):
        if np.isfinite(points[i, 0]) and np.isfinite(points[i, 1]) and np.isfinite(points[i, 2]):
            m += 1
    xy = np.empty((m, 2), dtype=np.float64)
    z = np.empty(m, dtype=np.float64)
    w = 0
    for i in range(n):
        if np.isfinite(points[i, 0]) and np.isfinite(points[i, 1]) and np.isfinite(points[i, 2]):
            xy[w, 0] = points[i, 0]
            xy[w, 1] = points[i, 1]
            z[w] = points[i, 2]
            w += 1
    out = np.zeros(7, dtype=np.float64)
    if m == 0:
        out[:] = np.nan
        return out
    hull = _hull(xy)
    bottom, top = _trimmed_z(z, ground_z, trim)
    if has_prior:
        yaw = _min_area_yaw(hull, prior[6] - max_dev, prior[6] + max_dev, 33)
        c = math.cos(yaw)
        s = math.sin(yaw)
        u_lo, u_hi, v_lo, v_hi = _extents(hull, c, s)
        length, width, height = prior[3], prior[4], prior[5]
        # anchor on the extents nearest to the sensor (the faces it sees)
        su = sensor_xy[0] * c + sensor_xy[1] * s
        sv = sensor_xy[1] * c - sensor_xy[0] * s
        if u_hi - u_lo >= length:
            uc = 0.5 * (u_lo + u_hi)
        elif abs(u_lo - su) <= abs(u_hi - su):
            uc = u_lo + 0.5 * length
        else:
            uc = u_hi - 0.5 * length
        if v_hi - v_lo >= width:
            vc = 0.5 * (v_lo + v_hi)
        elif abs(v_lo - sv) <= abs(v_hi - sv):
            vc = v_lo + 0.5 * width
        else:
            vc = v_hi - 0.5 * width
    else:
        yaw = _min_area_yaw(hull, -0.25 * math.pi, 0.25 * math.pi, 2)
        c = math.cos(yaw)
        s = math.sin(yaw)
        u_lo, u_hi, v_lo, v_hi = _extents(hull, c, s)
        uc = 0.5 * (u_lo + u_hi)
        vc = 0.5 * (v_lo + v_hi)
        length = u_hi - u_lo
        width = v_hi - v_lo
        if width > length:  # length is the longer side: turn by +pi/2
            uc, vc = vc, -uc
            length, width = width, length
            yaw += 0.5 * math.pi
            c = math.cos(yaw)
            s = math.sin(yaw)
        height = max(top - bottom, 0.0)
        if yaw > 0.5 * math.pi:
            yaw -= math.pi
    out[0] = uc * c - vc * s
    out[1] = uc * s + vc * c
    out[2] = bottom + 0.5 * height
    out[3] = length
    out[4] = width
    out[5] = height
    out[6] = math.atan2(math.sin(yaw), math.cos(yaw))
    return out


def fit_box(
    points: np.ndarray,
    *,
    ground_z_m: float | None = None,
    prior_box: np.ndarray | None = None,
    max_yaw_dev_rad: float = math.radians(15.0),
    trim_fraction: float = 0.0,
    sensor_xy_m: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """Fit one box (7,) float64 ``[cx, cy, cz, l, w, h, yaw]`` to a cluster's points.

    Args:
        points: (N, 3+) float32 points of one object (NaN/inf ignored; at least one finite point).
        ground_z_m: local ground height; the box bottom sits on it (else the lowest point).
        prior_box: optional (7,) previous box: size kept, yaw searched within ``max_yaw_dev_rad``.
        trim_fraction: fraction of lowest/highest z ignored for a robust height (0 = min/max).
        sensor_xy_m: sensor position; with a prior whose size exceeds the points' extent, the box is
            anchored on the extents nearest to the sensor (the faces it sees), else centred.

    Without a prior, yaw is in (-pi/2, pi/2] along the longer side (a rectangle has no heading).
    """
    check_points(points)
    ground = np.nan if ground_z_m is None else float(ground_z_m)
    if ground_z_m is not None and not np.isfinite(ground):
        raise ValueError(f"ground_z_m: expected a finite number, got {ground_z_m!r}")
    if not 0.0 <= float(trim_fraction) < 0.5:
        raise ValueError(f"trim_fraction: expected 0 <= value < 0.5, got {trim_fraction!r}")
    if prior_box is None:
        prior = np.zeros(7)
    else:
        prior = np.asarray(prior_box, dtype=np.float64)
        if prior.shape != (7,) or not np.isfinite(prior).all() or (prior[3:6] < 0).any():
            raise ValueError("prior_box: expected 7 finite numbers [cx, cy, cz, l, w, h, yaw] with sizes >= 0")
        prior = np.ascontiguousarray(prior)
    max_dev = check_positive(max_yaw_dev_rad, "max_yaw_dev_rad", allow_zero=True)
    sensor = check_vector(sensor_xy_m, "sensor_xy_m", 2)
    out = _fit_kernel(points, ground, prior, prior_box is not None, min(max_dev, math.pi / 4), float(trim_fraction),
                      sensor)
    if np.isnan(out[0]):
        raise ValueError("points: need at least one finite point to fit a box")
    return out
