"""Euclidean clustering (voxel hash + union-find) and region growing from a clicked point.

Two points are neighbours when their float64 distance is <= ``radius_m``; clusters are the
connected components of that graph. Labels are numbered 0.. in order of each cluster's
lowest point index; clusters smaller than ``min_points`` and NaN/inf points get -1.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._hash import lookup, pack_key, voxel_cells, voxel_coords
from ._validate import check_points, check_positive, check_vector

__all__ = ["cluster_euclidean", "cluster_around"]


@njit(cache=True, inline="always")
def _find(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True, inline="always")
def _close(points, i, j, r2):
    dx = np.float64(points[i, 0]) - np.float64(points[j, 0])
    dy = np.float64(points[i, 1]) - np.float64(points[j, 1])
    dz = np.float64(points[i, 2]) - np.float64(points[j, 2])
    return dx * dx + dy * dy + dz * dz <= r2


@njit(cache=True)
def _cluster_kernel(points, valid_in, radius_m, min_points):
    """Cells of side r/sqrt(3) are cliques (any two of their points are within r), so each
    cell is united at once and a pair of cells needs only one close pair to merge."""
    n = points.shape[0]
    side_m = radius_m / np.sqrt(3.0) * (1.0 - 1e-9)
    coords, valid = voxel_coords(points, 1.0 / side_m)
    for i in range(n):
        valid[i] = valid[i] and valid_in[i]
    cell_of, n_cells, cell_start, cell_pts, cell_coords, tkeys, tvals = voxel_cells(coords, valid)
    parent = np.arange(n).astype(np.int32)
    for a in range(n_cells):
        first = cell_pts[cell_start[a]]
        for u in range(cell_start[a] + 1, cell_start[a + 1]):
            parent[cell_pts[u]] = first  # points of a cell are ascending: first is the smallest
    r2 = radius_m * radius_m
    for a in range(n_cells):
        ax = cell_coords[a, 0]
        ay = cell_coords[a, 1]
        az = cell_coords[a, 2]
        rep_a = cell_pts[cell_start[a]]
        # the 62 "forward" neighbours within two cells: each cell pair is visited once
        for dx in range(0, 3):
            for dy in range(-2, 3):
                if dx == 0 and dy < 0:
                    continue
                for dz in range(-2, 3):
                    if dx == 0 and dy == 0 and dz <= 0:
                        continue
                    b = lookup(tkeys, tvals, pack_key(ax + dx, ay + dy, az + dz))
                    if b < 0:
                        continue
                    ra = _find(parent, rep_a)
                    rb = _find(parent, cell_pts[cell_start[b]])
                    if ra == rb:
                        continue
                    linked = False
                    for u in range(cell_start[a], cell_start[a + 1]):
                        i = cell_pts[u]
                        for v in range(cell_start[b], cell_start[b + 1]):
                            if _close(points, i, cell_pts[v], r2):
                                linked = True
                                break
                        if linked:
                            break
                    if linked:
                        if ra < rb:
                            parent[rb] = ra
                        else:
                            parent[ra] = rb
    # sizes and compact labels in order of the lowest point index
    size = np.zeros(n, dtype=np.int64)
    for i in range(n):
        if valid[i]:
            size[_find(parent, i)] += 1
    labels = np.full(n, -1, dtype=np.int32)
    root_label = np.full(n, -1, dtype=np.int32)
    nxt = 0
    for i in range(n):
        if not valid[i]:
            continue
        r = _find(parent, i)
        if size[r] < min_points:
            continue
        if root_label[r] < 0:
            root_label[r] = nxt
            nxt += 1
        labels[i] = root_label[r]
    return labels


def _valid_mask(points: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    if mask is None:
        return np.ones(points.shape[0], dtype=np.bool_)
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.shape != (points.shape[0],):
        raise ValueError(f"mask: expected a bool array of shape ({points.shape[0]},)")
    return np.ascontiguousarray(mask)


def cluster_euclidean(
    points: np.ndarray, radius_m: float = 0.5, min_points: int = 5, *, mask: np.ndarray | None = None
) -> np.ndarray:
    """Euclidean clustering: int32 labels (N,), -1 for noise, excluded (``mask`` False) or NaN points.

    Args:
        points: (N, 3+) float32.
        radius_m: linking distance (points at exactly ``radius_m`` are linked).
        min_points: smallest cluster kept.
        mask: optional bool (N,) of points to cluster (e.g. ``~ground``).

    Points more than 2^20 hash cells (``radius_m / sqrt(3)`` each) from the origin count as invalid.
    """
    check_points(points)
    radius_m = check_positive(radius_m, "radius_m")
    if int(min_points) < 1:
        raise ValueError(f"min_points: expected >= 1, got {min_points!r}")
    valid = _valid_mask(points, mask)
    return _cluster_kernel(points, valid, radius_m, int(min_points))


@njit(cache=True)
def _grow_kernel(points, valid_in, seed, radius_m, roi_radius_m):
    n = points.shape[0]
    sx, sy, sz = seed[0], seed[1], seed[2]
    roi2 = roi_radius_m * roi_radius_m
    # crop to the BEV disc around the seed
    roi = np.empty(n, dtype=np.int32)
    m = 0
    for i in range(n):
        if not valid_in[i]:
            continue
        dx = np.float64(points[i, 0]) - sx
        dy = np.float64(points[i, 1]) - sy
        if dx * dx + dy * dy <= roi2 and np.isfinite(points[i, 2]):
            roi[m] = i
            m += 1
    if m == 0:
        return np.empty(0, dtype=np.int64)
    sub = np.empty((m, 3), dtype=np.float32)
    best = 0
    best_d = np.inf
    for k in range(m):
        i = roi[k]
        sub[k, 0] = points[i, 0]
        sub[k, 1] = points[i, 1]
        sub[k, 2] = points[i, 2]
        dx = np.float64(points[i, 0]) - sx
        dy = np.float64(points[i, 1]) - sy
        dz = np.float64(points[i, 2]) - sz
        d = dx * dx + dy * dy + dz * dz
        if d < best_d:
            best_d = d
            best = k
    coords, valid = voxel_coords(sub, 1.0 / radius_m)
    cell_of, n_cells, cell_start, cell_pts, cell_coords, tkeys, tvals = voxel_cells(coords, valid)
    seen = np.zeros(m, dtype=np.bool_)
    stack = np.empty(m, dtype=np.int32)
    top = 0
    stack[0] = best
    top = 1
    seen[best] = True
    r2 = radius_m * radius_m
    while top > 0:
        top -= 1
        k = stack[top]
        c = cell_of[k]
        cx = cell_coords[c, 0]
        cy = cell_coords[c, 1]
        cz = cell_coords[c, 2]
        for dx in range(-1, 2):
            for dy in range(-1, 2):
                for dz in range(-1, 2):
                    b = lookup(tkeys, tvals, pack_key(cx + dx, cy + dy, cz + dz))
                    if b < 0:
                        continue
                    for v in range(cell_start[b], cell_start[b + 1]):
                        j = cell_pts[v]
                        if not seen[j] and _close(sub, k, j, r2):
                            seen[j] = True
                            stack[top] = j
                            top += 1
    cnt = 0
    for k in range(m):
        if seen[k]:
            cnt += 1
    out = np.empty(cnt, dtype=np.int64)
    w = 0
    for k in range(m):
        if seen[k]:
            out[w] = roi[k]
            w += 1
    return out


def cluster_around(
    points: np.ndarray,
    seed_xyz: np.ndarray,
    radius_m: float = 0.5,
    *,
    roi_radius_m: float = 6.0,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Indices (int64, ascending) of the cluster grown from the point nearest to ``seed_xyz``.

    Only points within ``roi_radius_m`` (bird's-eye view) of the seed and with ``mask`` True
    (e.g. ``~ground``) take part; growth links points within ``radius_m``. Empty if no point qualifies.
    """
    check_points(points)
    seed = check_vector(seed_xyz, "seed_xyz", 3)
    radius_m = check_positive(radius_m, "radius_m")
    roi_radius_m = check_positive(roi_radius_m, "roi_radius_m")
    valid = _valid_mask(points, mask)
    return _grow_kernel(points, valid, seed, radius_m, roi_radius_m)
