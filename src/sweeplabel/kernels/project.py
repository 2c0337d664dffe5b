"""Projection into pinhole cameras: points and box wireframes, near-plane and image-border clipping.

One implementation for every user of camera projection (camera panel, snapshots, KITTI 2D
boxes, checks). A camera is a 3x4 matrix ``P = K [R | t]`` mapping the input frame (the
frame of the points and boxes) to homogeneous pixels; ``w = P[2] . X`` is the depth in
front of the camera (K's last row is ``0 0 1``). Pixels: origin at the top-left corner of
the top-left pixel, u right, v down; a point is in the image when ``0 <= u < W``,
``0 <= v < H`` and ``w > near_m``.

Box edges are clipped in homogeneous space at ``w = near_m`` (an edge that crosses the
camera plane keeps its visible part, it is not dropped), then in pixels at the image
rectangle ``[0, W] x [0, H]`` (Liang-Barsky).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ._common import box_params
from ._validate import check_boxes, check_points, check_positive

__all__ = ["BOX_CORNER_SIGNS", "PROJECTION_EDGES", "HEADING_EDGES", "CameraProjection", "box_outline_px",
           "project_to_cameras"]

#: (8, 3) corner signs along (length, width, height): 0-3 bottom, 4-7 top; 0, 1, 4, 5 the front face.
BOX_CORNER_SIGNS = np.array([[1, 1, -1], [1, -1, -1], [-1, -1, -1], [-1, 1, -1],
                             [1, 1, 1], [1, -1, 1], [-1, -1, 1], [-1, 1, 1]], dtype=np.float64)
#: (14, 2) corner pairs: 12 box edges, then the 2 diagonals across the front (heading) face.
PROJECTION_EDGES = np.array([[0, 1], [1, 2], [2, 3], [3, 0], [4, 5], [5, 6], [6, 7], [7, 4],
                             [0, 4], [1, 5], [2, 6], [3, 7], [0, 5], [1, 4]], dtype=np.int64)
#: Indices into ``PROJECTION_EDGES`` of the heading mark (front-face cross).
HEADING_EDGES = (12, 13)


class CameraProjection(NamedTuple):
    """Result of :func:`project_to_cameras` for C cameras, N points and M boxes (E = 14 edges).

    ``point_index[c]`` (k,) int32 indices of the points in camera c's image, ``point_uv_px[c]``
    (k, 2) float32 and ``point_depth_m[c]`` (k,) float32 their pixels and depths.
    ``edges_px`` (C, M, E, 4) float64 ``[u0, v0, u1, v1]`` clipped at the near plane and the image
    border (NaN: not visible); ``edges_near_px`` the same clipped at the near plane only (for hulls).
    ``bbox_px`` (C, M, 4) ``[u_min, v_min, u_max, v_max]`` of the near-clipped box, not clipped to
    the image (NaN: entirely behind the camera)."""

    point_index: list[np.ndarray]
    point_uv_px: list[np.ndarray]
    point_depth_m: list[np.ndarray]
    edges_px: np.ndarray
    edges_near_px: np.ndarray
    bbox_px: np.ndarray


@njit(cache=True)
def _points_kernel(points, P, image_wh, near_m):
    n = points.shape[0]
    n_cam = P.shape[0]
    idx = np.empty((n_cam, n), dtype=np.int32)
    uv = np.empty((n_cam, n, 2), dtype=np.float32)
    depth = np.empty((n_cam, n), dtype=np.float32)
    counts = np.zeros(n_cam, dtype=np.int64)
    for c in range(n_cam):
        width = image_wh[c, 0]
        height = image_wh[c, 1]
        k = 0
        for i in range(n):
            x = np.float64(points[i, 0])
            y = np.float64(points[i, 1])
            z = np.float64(points[i, 2])
            w = P[c, 2, 0] * x + P[c, 2, 1] * y + P[c, 2, 2] * z + P[c, 2, 3]
            if not (w > near_m):
                continue
            u = (P[c, 0, 0] * x + P[c, 0, 1] * y + P[c, 0, 2] * z + P[c, 0, 3]) / w
            v = (P[c, 1, 0] * x + P[c, 1, 1] * y + P[c, 1, 2] * z + P[c, 1, 3]) / w
            if u >= 0.0 and u < width and v >= 0.0 and v < height:
                idx[c, k] = i
                uv[c, k, 0] = u
                uv[c, k, 1] = v
                depth[c, k] = w
                k += 1
        counts[c] = k
    return idx, uv, depth, counts


@njit(cache=True, inline="always")
def _clip_rect(u0, v0, u1, v1, width, height):
    """Liang-Barsky clip of a segment to [0, W] x [0, H]; returns (ok, u0, v0, u1, v1)."""
    du = u1 - u0
    dv = v1 - v0
    t0 = 0.0
    t1 = 1.0
    for side in range(4):
        if side == 0:
            p, q = -du, u0
        elif side == 1:
            p, q = du, width - u0
        elif side == 2:
            p, q = -dv, v0
        else:
            p, q = dv, height - v0
        if p == 0.0:
            if q < 0.0:
                return False, 0.0, 0.0, 0.0, 0.0
        else:
            r = q / p
            if p < 0.0:
                if r > t1:
                    return False, 0.0, 0.0, 0.0, 0.0
                if r > t0:
                    t0 = r
            else:
                if r < t0:
                    return False, 0.0, 0.0, 0.0, 0.0
                if r < t1:
                    t1 = r
    return True, u0 + t0 * du, v0 + t0 * dv, u0 + t1 * du, v0 + t1 * dv


@njit(cache=True)
def _edges_kernel(params, signs, edges, P, image_wh, near_m):
    n_cam = P.shape[0]
    m = params.shape[0]
    n_edges = edges.shape[0]
    out = np.full((n_cam, m, n_edges, 4), np.nan)
    near_out = np.full((n_cam, m, n_edges, 4), np.nan)
    bbox = np.full((n_cam, m, 4), np.nan)
    corners = np.empty((8, 3))
    hom = np.empty((8, 3))
    for b in range(m):
        cx, cy, cz = params[b, 0], params[b, 1], params[b, 2]
        hl, hw, hh = params[b, 3], params[b, 4], params[b, 5]
        co, si = params[b, 6], params[b, 7]
        for k in range(8):
            lx = signs[k, 0] * hl
            ly = signs[k, 1] * hw
            corners[k, 0] = cx + lx * co - ly * si
            corners[k, 1] = cy + lx * si + ly * co
            corners[k, 2] = cz + signs[k, 2] * hh
        for c in range(n_cam):
            width = image_wh[c, 0]
            height = image_wh[c, 1]
            for k in range(8):
                for r in range(3):
                    hom[k, r] = (P[c, r, 0] * corners[k, 0] + P[c, r, 1] * corners[k, 1]
                                 + P[c, r, 2] * corners[k, 2] + P[c, r, 3])
            u_lo = np.inf
            v_lo = np.inf
            u_hi = -np.inf
            v_hi = -np.inf
            for e in range(n_edges):
                a = edges[e, 0]
                z = edges[e, 1]
                xa, ya, wa = hom[a, 0], hom[a, 1], hom[a, 2]
                xb, yb, wb = hom[z, 0], hom[z, 1], hom[z, 2]
                if not (wa > near_m or wb > near_m):
                    continue  # entirely behind the near plane
                if wa < near_m:
                    t = (near_m - wa) / (wb - wa)
                    xa, ya, wa = xa + t * (xb - xa), ya + t * (yb - ya), near_m
                elif wb < near_m:
                    t = (near_m - wb) / (wa - wb)
                    xb, yb, wb = xb + t * (xa - xb), yb + t * (ya - yb), near_m
                u0 = xa / wa
                v0 = ya / wa
                u1 = xb / wb
                v1 = yb / wb
                near_out[c, b, e, 0] = u0
                near_out[c, b, e, 1] = v0
                near_out[c, b, e, 2] = u1
                near_out[c, b, e, 3] = v1
                u_lo = min(u_lo, u0, u1)
                v_lo = min(v_lo, v0, v1)
                u_hi = max(u_hi, u0, u1)
                v_hi = max(v_hi, v0, v1)
                ok, cu0, cv0, cu1, cv1 = _clip_rect(u0, v0, u1, v1, width, height)
                if ok:
                    out[c, b, e, 0] = cu0
                    out[c, b, e, 1] = cv0
                    out[c, b, e, 2] = cu1
                    out[c, b, e, 3] = cv1
            if u_lo <= u_hi:
                bbox[c, b, 0] = u_lo
                bbox[c, b, 1] = v_lo
                bbox[c, b, 2] = u_hi
                bbox[c, b, 3] = v_hi
    return out, near_out, bbox


def check_cameras(P: object, image_wh: object) -> tuple[np.ndarray, np.ndarray]:
    """``P`` as (C, 3, 4) float64 and ``image_wh`` as (C, 2) float64, finite, sizes > 0."""
    mats = np.asarray(P, dtype=np.float64)
    if mats.ndim == 2:
        mats = mats[None]
    if mats.ndim != 3 or mats.shape[1:] != (3, 4) or not np.isfinite(mats).all():
        raise ValueError(f"P: expected finite (C, 3, 4) camera matrices, got shape {mats.shape}")
    wh = np.asarray(image_wh, dtype=np.float64).reshape(-1, 2)
    if wh.shape[0] != mats.shape[0] or not np.isfinite(wh).all() or (wh <= 0).any():
        raise ValueError(f"image_wh: expected ({mats.shape[0]}, 2) positive image sizes, got {wh.tolist()}")
    return np.ascontiguousarray(mats), np.ascontiguousarray(wh)


def project_to_cameras(points: np.ndarray, boxes: np.ndarray, P: np.ndarray, image_wh: np.ndarray,
                       near_m: float = 0.1) -> CameraProjection:
    """Project ``points`` (N, 3+) float32 and the wireframes of ``boxes`` (M, 7) float64 (same
    frame) into C cameras ``P`` (C, 3, 4) of sizes ``image_wh`` (C, 2) pixels.

    Points behind ``near_m`` or outside the image are left out; box edges are clipped at the
    near plane and the image border (see :class:`CameraProjection`)."""
    check_points(points)
    check_boxes(boxes)
    mats, wh = check_cameras(P, image_wh)
    near_m = check_positive(near_m, "near_m")
    idx, uv, depth, counts = _points_kernel(points, mats, wh, near_m)
    edges, edges_near, bbox = _edges_kernel(box_params(boxes), BOX_CORNER_SIGNS, PROJECTION_EDGES, mats, wh, near_m)
    ks = [int(k) for k in counts]
    return CameraProjection([idx[c, :k] for c, k in enumerate(ks)], [uv[c, :k] for c, k in enumerate(ks)],
                            [depth[c, :k] for c, k in enumerate(ks)], edges, edges_near, bbox)


def box_outline_px(edges_near_px: np.ndarray) -> np.ndarray:
    """(K, 2) convex hull (counter-clockwise) of one box's near-clipped edges (E, 4) in pixels:
    the box's silhouette in the image. Empty (0, 2) when fewer than 3 distinct points."""
    from scipy.spatial import ConvexHull, QhullError

    pts = np.asarray(edges_near_px, dtype=np.float64).reshape(-1, 2)
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(np.unique(pts.round(6), axis=0)) < 3:
        return np.zeros((0, 2))
    try:
        hull = ConvexHull(pts)
    except QhullError:
        return np.zeros((0, 2))
    return pts[hull.vertices]
