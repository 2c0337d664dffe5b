"""numba.cuda variants (imported lazily; tested under NUMBA_ENABLE_CUDASIM=1 when no GPU).

Same arithmetic as the CPU kernels: float64 inside-test, inclusive faces, first (lowest) box wins.
"""
from __future__ import annotations

import functools
import math

import numpy as np
from numba import cuda

__all__ = ["points_in_boxes_cuda", "pick_point_cuda", "points_in_polygon_cuda", "grid_lowest_cuda"]

_THREADS = 256


@functools.lru_cache(maxsize=1)
def _label_kernel():
    @cuda.jit
    def kernel(points, params, x0, y0, inv, nx, ny, cell_start, cell_boxes, labels):
        i = cuda.grid(1)
        if i >= points.shape[0]:
            return
        labels[i] = -1
        px = np.float64(points[i, 0])
        py = np.float64(points[i, 1])
        pz = np.float64(points[i, 2])
        fx = (px - x0) * inv
        fy = (py - y0) * inv
        if not (fx >= 0.0 and fx < nx and fy >= 0.0 and fy < ny):
            return
        c = int(fx) * ny + int(fy)
        for k in range(cell_start[c], cell_start[c + 1]):
            b = cell_boxes[k]
            dz = pz - params[b, 2]
            if not (abs(dz) <= params[b, 5]):
                continue
            dx = px - params[b, 0]
            dy = py - params[b, 1]
            cs = params[b, 6]
            sn = params[b, 7]
            if not (abs(dx * cs + dy * sn) <= params[b, 3]):
                continue
            if abs(dy * cs - dx * sn) <= params[b, 4]:
                labels[i] = b
                return

    return kernel


def points_in_boxes_cuda(points, params, x0, y0, inv, nx, ny, cell_start, cell_boxes) -> np.ndarray:
    """First-hit box index per point (int32, -1 for none) on the GPU; inputs as built by ``boxes``."""
    n = points.shape[0]
    labels = np.empty(n, dtype=np.int32)
    if n == 0:
        return labels
    d_labels = cuda.device_array(n, dtype=np.int32)
    blocks = (n + _THREADS - 1) // _THREADS
    _label_kernel()[blocks, _THREADS](
        cuda.to_device(points), cuda.to_device(params), float(x0), float(y0), float(inv), int(nx), int(ny),
        cuda.to_device(cell_start), cuda.to_device(cell_boxes), d_labels)
    d_labels.copy_to_host(labels)
    return labels


def _launch(kernel, n, *args) -> None:
    kernel[(n + _THREADS - 1) // _THREADS, _THREADS](*args)


@functools.lru_cache(maxsize=1)
def _ray_kernel():
    @cuda.jit
    def kernel(points, origin, direction, radius_m, radius_per_m, max_distance_m, t_out):
        i = cuda.grid(1)
        if i >= points.shape[0]:
            return
        t_out[i] = np.inf
        vx = np.float64(points[i, 0]) - origin[0]
        vy = np.float64(points[i, 1]) - origin[1]
        vz = np.float64(points[i, 2]) - origin[2]
        t = vx * direction[0] + vy * direction[1] + vz * direction[2]
        if not (t >= 0.0 and t <= max_distance_m):
            return
        r = radius_m + radius_per_m * t
        px = vx - t * direction[0]
        py = vy - t * direction[1]
        pz = vz - t * direction[2]
        if px * px + py * py + pz * pz <= r * r:
            t_out[i] = t

    return kernel


def pick_point_cuda(points, origin, direction, radius_m, radius_per_m, max_distance_m) -> int:
    """Distance along the ray per point on the GPU, lowest-index minimum on the host."""
    n = points.shape[0]
    if n == 0:
        return -1
    d_t = cuda.device_array(n, dtype=np.float64)
    _launch(_ray_kernel(), n, cuda.to_device(points), cuda.to_device(origin), cuda.to_device(direction),
            float(radius_m), float(radius_per_m), float(max_distance_m), d_t)
    t = d_t.copy_to_host()
    i = int(np.argmin(t))
    return i if np.isfinite(t[i]) else -1


@functools.lru_cache(maxsize=1)
def _polygon_kernel():
    @cuda.jit
    def kernel(points, vp, polygon, width, height, bbox, out):
        i = cuda.grid(1)
        if i >= points.shape[0]:
            return
        out[i] = False
        x = np.float64(points[i, 0])
        y = np.float64(points[i, 1])
        z = np.float64(points[i, 2])
        cx = vp[0, 0] * x + vp[0, 1] * y + vp[0, 2] * z + vp[0, 3]
        cy = vp[1, 0] * x + vp[1, 1] * y + vp[1, 2] * z + vp[1, 3]
        cw = vp[3, 0] * x + vp[3, 1] * y + vp[3, 2] * z + vp[3, 3]
        if not (cw > 0.0):
            return
        sx = (cx / cw + 1.0) * 0.5 * width
        sy = (1.0 - cy / cw) * 0.5 * height
        if not (sx >= bbox[0] and sx <= bbox[1] and sy >= bbox[2] and sy <= bbox[3]):
            return
        inside = False
        k = polygon.shape[0]
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

    return kernel


def points_in_polygon_cuda(points, vp, polygon, width, height) -> np.ndarray:
    """Screen-space lasso test per point on the GPU (same arithmetic as the CPU kernel)."""
    n = points.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    if n == 0:
        return out
    bbox = np.array([polygon[:, 0].min(), polygon[:, 0].max(), polygon[:, 1].min(), polygon[:, 1].max()])
    d_out = cuda.device_array(n, dtype=np.bool_)
    _launch(_polygon_kernel(), n, cuda.to_device(points), cuda.to_device(vp), cuda.to_device(polygon),
            float(width), float(height), cuda.to_device(bbox), d_out)
    d_out.copy_to_host(out)
    return out


@functools.lru_cache(maxsize=1)
def _grid_kernels():
    @cuda.jit
    def lowest_kernel(points, inv, nc, side, max_range_m, cell_of, lowest):
        i = cuda.grid(1)
        if i >= points.shape[0]:
            return
        cell_of[i] = -1
        x = np.float64(points[i, 0])
        y = np.float64(points[i, 1])
        z = np.float64(points[i, 2])
        if not (abs(z) < np.inf and abs(x) < max_range_m and abs(y) < max_range_m):
            return
        ix = int(math.floor(x * inv)) + nc
        iy = int(math.floor(y * inv)) + nc
        if ix < 0 or iy < 0 or ix >= side or iy >= side:
            return
        c = ix * side + iy
        cell_of[i] = c
        cuda.atomic.min(lowest, c, z)

    @cuda.jit
    def label_kernel(points, cell_of, lowest, above_min_m, max_z_m, ground):
        i = cuda.grid(1)
        if i >= points.shape[0]:
            return
        c = cell_of[i]
        z = np.float64(points[i, 2])
        ground[i] = c >= 0 and z < lowest[c] + above_min_m and z < max_z_m

    return lowest_kernel, label_kernel


def grid_lowest_cuda(points, cell_m, above_min_m, max_z_m, max_range_m) -> np.ndarray:
    """Grid-lowest-point ground mask on the GPU (atomic min per cell)."""
    n = points.shape[0]
    ground = np.zeros(n, dtype=np.bool_)
    if n == 0:
        return ground
    inv = 1.0 / cell_m
    nc = int(math.ceil(max_range_m * inv))
    side = 2 * nc
    lowest_k, label_k = _grid_kernels()
    d_pts = cuda.to_device(points)
    d_cell = cuda.device_array(n, dtype=np.int64)
    d_low = cuda.to_device(np.full(side * side, np.inf))
    _launch(lowest_k, n, d_pts, inv, nc, side, float(max_range_m), d_cell, d_low)
    d_ground = cuda.device_array(n, dtype=np.bool_)
    _launch(label_k, n, d_pts, d_cell, d_low, float(above_min_m), float(max_z_m), d_ground)
    d_ground.copy_to_host(ground)
    return ground
