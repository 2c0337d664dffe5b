"""Voxel downsampling: one point per occupied voxel (the first one, or the centroid)."""
from __future__ import annotations

import numpy as np
from numba import njit

from ._hash import voxel_cells, voxel_coords
from ._validate import check_points, check_positive

__all__ = ["voxel_downsample"]


@njit(cache=True)
def _voxel_kernel(points, voxel_m, centroid):
    coords, valid = voxel_coords(points, 1.0 / voxel_m)
    cell_of, n_cells, cell_start, cell_pts, cell_coords, tkeys, tvals = voxel_cells(coords, valid)
    ncol = points.shape[1]
    first = np.empty(n_cells, dtype=np.int64)
    for c in range(n_cells):
        first[c] = cell_pts[cell_start[c]]
    out = np.empty((n_cells, ncol), dtype=np.float32)
    if not centroid:
        for c in range(n_cells):
            for a in range(ncol):
                out[c, a] = points[first[c], a]
        return out, first
    for c in range(n_cells):
        for a in range(ncol):
            s = 0.0
            for u in range(cell_start[c], cell_start[c + 1]):
                s += np.float64(points[cell_pts[u], a])
            out[c, a] = s / (cell_start[c + 1] - cell_start[c])
    return out, first


def voxel_downsample(
    points: np.ndarray, voxel_m: float, *, method: str = "first", return_index: bool = False
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Keep one point per voxel of side ``voxel_m`` (voxel = floor(xyz / voxel_m)).

    Args:
        points: (N, 3+) float32; all columns are carried (averaged for "centroid").
        voxel_m: voxel edge length.
        method: "first" (the lowest-index point of each voxel) or "centroid" (float64 mean).
        return_index: also return the int64 index of each voxel's first point.

    Rows come in order of each voxel's first point. NaN/inf points and points beyond
    +-2^20 voxels from the origin are dropped.
    """
    check_points(points)
    voxel_m = check_positive(voxel_m, "voxel_m")
    if method not in ("first", "centroid"):
        raise ValueError(f"method: expected 'first' or 'centroid', got {method!r}")
    out, first = _voxel_kernel(points, voxel_m, method == "centroid")
    return (out, first) if return_index else out
