"""Picking: nearest point along a ray, and points inside a screen-space lasso or rectangle."""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._validate import check_device, check_points, check_positive, check_vector

__all__ = ["pick_point", "points_in_polygon", "project_to_screen"]


@njit(cache=True)
def _pick_kernel(points, origin, direction, radius_m, radius_per_m, max_distance_m):
    best = -1
    best_t = np.inf
    ox, oy, oz = origin[0], origin[1], origin[2]
    ux, uy, uz = direction[0], direction[1], direction[2]
    for i in range(points.shape[0]):
        vx = np.float64(points[i, 0]) - ox
        vy = np.float64(points[i, 1]) - oy
        vz = np.float64(points[i, 2]) - oz
        t = vx * ux + vy * uy + vz * uz
        if not (t >= 0.0 and t <= max_distance_m and t < best_t):
            continue
        r = radius_m + radius_per_m * t
        px = vx - t * ux
        py = vy - t * uy
        pz = vz - t * uz
        if px * px + py * py + pz * pz <= r * r:
            best = i
            best_t = t
    return best


def pick_point(
    points: np.ndarray,
    origin: np.ndarray,
    direction: np.ndarray,
    radius_m: float,
    *,
    radius_per_m: float = 0.0,
    max_distance_m: float = math.inf,
    device: str = "cpu",
) -> int:
    """Index of the point nearest to ``origin`` along the ray within the pick radius, or -1.

    A point qualifies when it is in front of the origin (``0 <= t <= max_distance_m``, t the
    distance along the normalised direction) and its distance to the ray is
    ``<= radius_m + radius_per_m * t`` (a cone: a pixel radius seen through a perspective camera).
    Ties go to the lowest index; NaN/inf points never qualify. ``device``: "cpu" | "cuda" | "auto".
    """
    check_points(points)
    o = check_vector(origin, "origin", 3)
    d = check_vector(direction, "direction", 3)
    norm = float(np.linalg.norm(d))
    if norm == 0.0:
        raise ValueError("direction: must be non-zero")
    d = d / norm
    radius_m = check_positive(radius_m, "radius_m", allow_zero=True)
    radius_per_m = check_positive(radius_per_m, "radius_per_m", allow_zero=True)
    max_d = float(max_distance_m)
    if not max_d >= 0:
        raise ValueError(f"max_distance_m: expected >= 0, got {max_distance_m!r}")
    if check_device(device) == "cuda":
        from .cuda_kernels import pick_point_cuda

        return pick_point_cuda(points, o, d, radius_m, radius_per_m, max_d)
    return int(_pick_kernel(points, o, d, radius_m, radius_per_m, max_d))


@njit(cache=True, inline="always")
def _project(points, i, vp, width, height):
    x = np.float64(points[i, 0])
    y = np.float64(points[i, 1])
    z = np.float64(points[i, 2])
    cx = vp[0, 0] * x + vp[0, 1] * y + vp[0, 2] * z + vp[0, 3]
    cy = vp[1, 0] * x + vp[1, 1] * y + vp[1, 2] * z + vp[1, 3]
    cw = vp[3, 0] * x + vp[3, 1] * y + vp[3, 2] * z + vp[3, 3]
    if not (cw > 0.0):
        return np.nan, np.nan
    return (cx / cw + 1.0) * 0.5 * width, (1.0 - cy / cw) * 0.5 * height


@njit(cache=True)
def _polygon_kernel(points, vp, polygon, width, height):
    n = points.shape[0]
    k = polygon.shape[0]
    x_lo = polygon[:, 0].min()
    x_hi = polygon[:, 0].max()
    y_lo = polygon[:, 1].min()
    y_hi = polygon[:, 1].max()
    out = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        sx, sy = _project(points, i, vp, width, height)
        if not (sx >= x_lo and sx <= x_hi and sy >= y_lo and sy <= y_hi):
            continue
        inside = False
        j = k - 1
        for e in range(k):
            xi = polygon[e, 0]
            yi = polygon[e, 1]
            xj = polygon[j, 0]
            yj = polygon[j, 1]
            if (yi > sy) != (yj > sy):
                if sx < (xj - xi) * (sy - yi) / (yj - yi) + xi:
                    inside = not inside
            j = e
        out[i] = inside
    return out


@njit(cache=True)
def _screen_kernel(points, vp, width, height):
    n = points.shape[0]
    out = np.empty((n, 2), dtype=np.float64)
    for i in range(n):
        out[i, 0], out[i, 1] = _project(points, i, vp, width, height)
    return out


def _check_view(view_proj: np.ndarray, viewport_px: tuple[float, float]) -> tuple[np.ndarray, float, float]:
    vp = np.asarray(view_proj, dtype=np.float64)
    if vp.shape != (4, 4) or not np.isfinite(vp).all():
        raise ValueError("view_proj: expected a finite (4, 4) view-projection matrix")
    if len(viewport_px) != 2:
        raise ValueError("viewport_px: expected (width, height)")
    w = check_positive(viewport_px[0], "viewport_px[0]")
    h = check_positive(viewport_px[1], "viewport_px[1]")
    return np.ascontiguousarray(vp), w, h


def project_to_screen(points: np.ndarray, view_proj: np.ndarray, viewport_px: tuple[float, float]) -> np.ndarray:
    """(N, 2) float64 pixel coordinates (origin top-left, y down); NaN behind the camera."""
    check_points(points)
    vp, w, h = _check_view(view_proj, viewport_px)
    return _screen_kernel(points, vp, w, h)


def points_in_polygon(
    points: np.ndarray,
    view_proj: np.ndarray,
    polygon_px: np.ndarray,
    viewport_px: tuple[float, float],
    *,
    device: str = "cpu",
) -> np.ndarray:
    """Bool mask (N,) of points whose screen projection lies inside a lasso/rectangle polygon.

    Args:
        points: (N, 3+) float32.
        view_proj: (4, 4) float64 matrix mapping world to clip space (column vectors, OpenGL
            convention: ``clip = view_proj @ [x, y, z, 1]``).
        polygon_px: (K >= 3, 2) polygon vertices in pixels (origin top-left, y down);
            a rectangle is a 4-vertex polygon. Even-odd rule; boundary pixels may fall either way.
        viewport_px: (width, height) in pixels.

    Points behind the camera (clip w <= 0) and NaN/inf points are outside.
    ``device``: "cpu" | "cuda" | "auto".
    """
    check_points(points)
    vp, w, h = _check_view(view_proj, viewport_px)
    poly = np.asarray(polygon_px, dtype=np.float64)
    if poly.ndim != 2 or poly.shape[1] != 2 or poly.shape[0] < 3 or not np.isfinite(poly).all():
        raise ValueError("polygon_px: expected a finite (K >= 3, 2) array of pixel vertices")
    poly = np.ascontiguousarray(poly)
    if check_device(device) == "cuda":
        from .cuda_kernels import points_in_polygon_cuda

        return points_in_polygon_cuda(points, vp, poly, w, h)
    return _polygon_kernel(points, vp, poly, w, h)
