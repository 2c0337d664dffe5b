"""Voxel keys and an open-addressing hash table (Numba) for sparse 3D grids."""
from __future__ import annotations

import math

import numpy as np
from numba import njit

_BITS = 21
_OFFSET = 1 << (_BITS - 1)  # voxel coordinates must lie in [-2^20, 2^20)
_EMPTY = np.int64(-1)


@njit(cache=True, inline="always")
def pack_key(ix, iy, iz):
    """Pack three voxel coordinates (each in [-2^20, 2^20)) into one non-negative int64."""
    return ((ix + _OFFSET) << (2 * _BITS)) | ((iy + _OFFSET) << _BITS) | (iz + _OFFSET)


@njit(cache=True)
def voxel_coords(points, inv_voxel_m):
    """(N, 3) int64 voxel coordinates and a validity mask (finite and within the key range)."""
    n = points.shape[0]
    coords = np.zeros((n, 3), dtype=np.int64)
    valid = np.zeros(n, dtype=np.bool_)
    lim = float(_OFFSET)
    for i in range(n):
        ok = True
        for a in range(3):
            f = math.floor(np.float64(points[i, a]) * inv_voxel_m)
            if not (f >= -lim and f < lim):
                ok = False
                break
            coords[i, a] = int(f)
        valid[i] = ok
    return coords, valid


@njit(cache=True, inline="always")
def _slot(key, mask):
    h = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64(h >> np.uint64(20)) & mask


@njit(cache=True)
def make_table(n_items):
    """Empty table sized to a power of two >= 2 * n_items: (keys, values)."""
    size = 16
    while size < 2 * n_items:
        size *= 2
    return np.full(size, _EMPTY, dtype=np.int64), np.full(size, -1, dtype=np.int32)


@njit(cache=True, inline="always")
def insert_or_get(tkeys, tvals, key, new_value):
    """Value stored for ``key``; inserts ``new_value`` if absent. Returns (value, inserted)."""
    mask = tkeys.shape[0] - 1
    s = _slot(key, mask)
    while True:
        k = tkeys[s]
        if k == key:
            return tvals[s], False
        if k == _EMPTY:
            tkeys[s] = key
            tvals[s] = new_value
            return new_value, True
        s = (s + 1) & mask


@njit(cache=True, inline="always")
def lookup(tkeys, tvals, key):
    """Value stored for ``key`` or -1."""
    mask = tkeys.shape[0] - 1
    s = _slot(key, mask)
    while True:
        k = tkeys[s]
        if k == key:
            return tvals[s]
        if k == _EMPTY:
            return -1
        s = (s + 1) & mask


@njit(cache=True)
def voxel_cells(coords, valid):
    """Cell id per point (-1 if invalid), cell count, CSR of points per cell and the hash table.

    Cells are numbered in order of their first point; the points of a cell are ascending.
    Returns ``(cell_of, n_cells, cell_start, cell_pts, cell_coords, tkeys, tvals)``.
    """
    n = coords.shape[0]
    tkeys, tvals = make_table(n)
    cell_of = np.full(n, -1, dtype=np.int32)
    n_cells = 0
    for i in range(n):
        if not valid[i]:
            continue
        key = pack_key(coords[i, 0], coords[i, 1], coords[i, 2])
        v, inserted = insert_or_get(tkeys, tvals, key, n_cells)
        if inserted:
            n_cells += 1
        cell_of[i] = v
    cell_start = np.zeros(n_cells + 1, dtype=np.int64)
    for i in range(n):
        if cell_of[i] >= 0:
            cell_start[cell_of[i] + 1] += 1
    for c in range(n_cells):
        cell_start[c + 1] += cell_start[c]
    cell_pts = np.empty(cell_start[n_cells], dtype=np.int32)
    cell_coords = np.empty((n_cells, 3), dtype=np.int64)
    fill = cell_start[:-1].copy()
    for i in range(n):
        c = cell_of[i]
        if c >= 0:
            cell_pts[fill[c]] = i
            fill[c] += 1
            cell_coords[c, 0] = coords[i, 0]
            cell_coords[c, 1] = coords[i, 1]
            cell_coords[c, 2] = coords[i, 2]
    return cell_of, n_cells, cell_start, cell_pts, cell_coords, tkeys, tvals
