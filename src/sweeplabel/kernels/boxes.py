"""Points in oriented (yaw-only) boxes: one pass over the points with a bird's-eye-view grid of boxes.

Semantics (shared with :mod:`.reference`): a point ``p`` is inside box ``b`` when, in float64,
``|p.z - cz| <= h/2``, ``|dx*cos + dy*sin| <= l/2`` and ``|dy*cos - dx*sin| <= w/2`` with
``(dx, dy) = (p.x - cx, p.y - cy)``. Faces are inclusive: a point exactly on a face is inside,
so a zero-size box contains the points exactly at its centre. Non-finite points are in no box.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ._common import box_params
from ._validate import check_boxes, check_device, check_points, check_positive

__all__ = ["points_in_boxes", "points_in_boxes_csr", "build_box_grid"]

_MAX_GRID_CELLS = 1 << 20
_AABB_PAD_M = 1e-6


def build_box_grid(params: np.ndarray, cell_m: float = 2.0):
    """BEV grid of boxes: ``(origin_xy, inv_cell, nx, ny, cell_start, cell_boxes)``.

    Each box is registered in every cell its padded axis-aligned footprint touches, in
    ascending box order (so the first hit in a cell is the lowest box index).
    """
    m = params.shape[0]
    ext_x = np.abs(params[:, 6]) * params[:, 3] + np.abs(params[:, 7]) * params[:, 4] + _AABB_PAD_M
    ext_y = np.abs(params[:, 7]) * params[:, 3] + np.abs(params[:, 6]) * params[:, 4] + _AABB_PAD_M
    if m == 0:
        return _build_grid(params, ext_x, ext_y, 0.0, 0.0, 1.0, 1, 1)
    x0 = float((params[:, 0] - ext_x).min())
    y0 = float((params[:, 1] - ext_y).min())
    span_x = float((params[:, 0] + ext_x).max()) - x0
    span_y = float((params[:, 1] + ext_y).max()) - y0
    if not (np.isfinite(span_x) and np.isfinite(span_y)):
        raise ValueError("boxes: coordinates too large for a bird's-eye-view grid")
    cell = float(cell_m)
    while (int(span_x / cell) + 1) * (int(span_y / cell) + 1) > _MAX_GRID_CELLS:
        cell *= 2.0
    nx = int(span_x / cell) + 1
    ny = int(span_y / cell) + 1
    return _build_grid(params, ext_x, ext_y, x0, y0, 1.0 / cell, nx, ny)


@njit(cache=True)
def _cell_range(lo, hi, origin, inv, n):
    a = int((lo - origin) * inv)
    b = int((hi - origin) * inv)
    if a < 0:
        a = 0
    if b > n - 1:
        b = n - 1
    return a, b


@njit(cache=True)
def _build_grid(params, ext_x, ext_y, x0, y0, inv, nx, ny):
    m = params.shape[0]
    counts = np.zeros(nx * ny + 1, dtype=np.int32)
    for b in range(m):
        ax, bx = _cell_range(params[b, 0] - ext_x[b], params[b, 0] + ext_x[b], x0, inv, nx)
        ay, by = _cell_range(params[b, 1] - ext_y[b], params[b, 1] + ext_y[b], y0, inv, ny)
        for ix in range(ax, bx + 1):
            for iy in range(ay, by + 1):
                counts[ix * ny + iy + 1] += 1
    for c in range(nx * ny):
        counts[c + 1] += counts[c]
    cell_boxes = np.empty(counts[nx * ny], dtype=np.int32)
    fill = counts[:-1].copy()
    for b in range(m):
        ax, bx = _cell_range(params[b, 0] - ext_x[b], params[b, 0] + ext_x[b], x0, inv, nx)
        ay, by = _cell_range(params[b, 1] - ext_y[b], params[b, 1] + ext_y[b], y0, inv, ny)
        for ix in range(ax, bx + 1):
            for iy in range(ay, by + 1):
                c = ix * ny + iy
                cell_boxes[fill[c]] = b
                fill[c] += 1
    return (x0, y0), inv, nx, ny, counts, cell_boxes


@njit(cache=True, inline="always")
def _inside(px, py, pz, params, b):
    dz = pz - params[b, 2]
    if not (abs(dz) <= params[b, 5]):
        return False
    dx = px - params[b, 0]
    dy = py - params[b, 1]
    c = params[b, 6]
    s = params[b, 7]
    if not (abs(dx * c + dy * s) <= params[b, 3]):
        return False
    return abs(dy * c - dx * s) <= params[b, 4]


@njit(cache=True, inline="always")
def _cell_of(px, py, x0, y0, inv, nx, ny):
    fx = (px - x0) * inv
    fy = (py - y0) * inv
    if not (fx >= 0.0 and fx < nx and fy >= 0.0 and fy < ny):
        return -1
    return int(fx) * ny + int(fy)


@njit(cache=True)
def _label_kernel(points, params, x0, y0, inv, nx, ny, cell_start, cell_boxes, labels, counts):
    n = points.shape[0]
    for i in range(n):
        labels[i] = -1
        px = np.float64(points[i, 0])
        py = np.float64(points[i, 1])
        pz = np.float64(points[i, 2])
        c = _cell_of(px, py, x0, y0, inv, nx, ny)
        if c < 0:
            continue
        for k in range(cell_start[c], cell_start[c + 1]):
            b = cell_boxes[k]
            if _inside(px, py, pz, params, b):
                labels[i] = b
                counts[b] += 1
                break


@njit(cache=True)
def _csr_kernel(points, params, x0, y0, inv, nx, ny, cell_start, cell_boxes):
    n = points.shape[0]
    m = params.shape[0]
    offsets = np.zeros(m + 1, dtype=np.int64)
    for i in range(n):
        px = np.float64(points[i, 0])
        py = np.float64(points[i, 1])
        pz = np.float64(points[i, 2])
        c = _cell_of(px, py, x0, y0, inv, nx, ny)
        if c < 0:
            continue
        for k in range(cell_start[c], cell_start[c + 1]):
            b = cell_boxes[k]
            if _inside(px, py, pz, params, b):
                offsets[b + 1] += 1
    for b in range(m):
        offsets[b + 1] += offsets[b]
    indices = np.empty(offsets[m], dtype=np.int32)
    fill = offsets[:-1].copy()
    for i in range(n):
        px = np.float64(points[i, 0])
        py = np.float64(points[i, 1])
        pz = np.float64(points[i, 2])
        c = _cell_of(px, py, x0, y0, inv, nx, ny)
        if c < 0:
            continue
        for k in range(cell_start[c], cell_start[c + 1]):
            b = cell_boxes[k]
            if _inside(px, py, pz, params, b):
                indices[fill[b]] = i
                fill[b] += 1
    return offsets, indices


def points_in_boxes(
    points: np.ndarray, boxes: np.ndarray, *, cell_m: float = 2.0, device: str = "cpu"
) -> tuple[np.ndarray, np.ndarray]:
    """First box containing each point.

    Args:
        points: (N, 3+) float32, x y z first.
        boxes: (M, 7) float64 ``[cx, cy, cz, length, width, height, yaw_rad]``.
        cell_m: BEV grid cell size for bucketing boxes (tuning only; the result does not depend on it).
        device: "cpu", "cuda" or "auto".

    Returns:
        ``(box_index (N,) int32, -1 for none; counts (M,) int64)``. A point inside several
        boxes gets the lowest box index and is counted once; see :func:`points_in_boxes_csr`
        for all hits. Faces are inclusive; NaN/inf points are in no box.
    """
    check_points(points)
    check_boxes(boxes)
    cell_m = check_positive(cell_m, "cell_m")
    dev = check_device(device)
    params = box_params(boxes)
    (x0, y0), inv, nx, ny, cell_start, cell_boxes = build_box_grid(params, cell_m)
    if dev == "cuda":
        from .cuda_kernels import points_in_boxes_cuda

        labels = points_in_boxes_cuda(points, params, x0, y0, inv, nx, ny, cell_start, cell_boxes)
        counts = np.bincount(labels[labels >= 0], minlength=boxes.shape[0]).astype(np.int64)
        return labels, counts
    labels = np.empty(points.shape[0], dtype=np.int32)
    counts = np.zeros(boxes.shape[0], dtype=np.int64)
    _label_kernel(points, params, x0, y0, inv, nx, ny, cell_start, cell_boxes, labels, counts)
    return labels, counts


def points_in_boxes_csr(
    points: np.ndarray, boxes: np.ndarray, *, cell_m: float = 2.0
) -> tuple[np.ndarray, np.ndarray]:
    """All (box, point) hits as CSR: ``(offsets (M+1,) int64, indices (K,) int32)``.

    The points of box ``b`` are ``indices[offsets[b]:offsets[b+1]]`` in ascending order;
    overlapping boxes share points. Same inside test as :func:`points_in_boxes`.
    """
    check_points(points)
    check_boxes(boxes)
    cell_m = check_positive(cell_m, "cell_m")
    params = box_params(boxes)
    (x0, y0), inv, nx, ny, cell_start, cell_boxes = build_box_grid(params, cell_m)
    return _csr_kernel(points, params, x0, y0, inv, nx, ny, cell_start, cell_boxes)
