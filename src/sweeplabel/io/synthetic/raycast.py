"""Ray casting against the scene's primitives: a Numba kernel and its NumPy twin.

Primitives (all float64 arrays, world frame):
- ground planes ``(P, 7)``: x0, x1, y0, y1, a, b, c -- the plane z = a + b x + c y
  over the rectangle [x0, x1] x [y0, y1];
- kerb faces ``(K, 6)``: y, x0, x1, a, b, h -- the vertical face at y over [x0, x1],
  from z = a + b x up by h;
- boxes ``(B, 7)``: cx, cy, cz, l, w, h, yaw (upright, rotated about z);
- poles ``(C, 5)``: cx, cy, z0, z1, radius (vertical cylinders, no caps).

Both return, per ray, the distance to the nearest hit (``inf`` when none within
``max_range_m``), the surface code of what was hit (0 = nothing) and the owning
actor index for boxes (-1 otherwise)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_EPS = 1e-9


@njit(cache=True)
def _hit_box(ox, oy, oz, dx, dy, dz, box, best):  # pragma: no cover - numba
    cx, cy, cz = box[0], box[1], box[2]
    hl, hw, hh = box[3] * 0.5, box[4] * 0.5, box[5] * 0.5
    wx, wy, wz = cx - ox, cy - oy, cz - oz
    proj = wx * dx + wy * dy + wz * dz
    radius = math.sqrt(hl * hl + hw * hw + hh * hh)
    if proj + radius < 0.0 or proj - radius > best:
        return -1.0
    if wx * wx + wy * wy + wz * wz - proj * proj > radius * radius:
        return -1.0
    c, s = math.cos(box[6]), math.sin(box[6])
    lo = (-c * wx - s * wy, s * wx - c * wy, -wz)
    ld = (c * dx + s * dy, -s * dx + c * dy, dz)
    half = (hl, hw, hh)
    t_near, t_far = -1e300, 1e300
    for k in range(3):
        if abs(ld[k]) < 1e-12:
            if abs(lo[k]) > half[k]:
                return -1.0
            continue
        t1 = (-half[k] - lo[k]) / ld[k]
        t2 = (half[k] - lo[k]) / ld[k]
        if t1 > t2:
            t1, t2 = t2, t1
        t_near = max(t_near, t1)
        t_far = min(t_far, t2)
    if t_far < t_near or t_near <= _EPS:
        return -1.0
    return t_near


_SECTORS = 720  # azimuth bins used to skip boxes and poles a ray cannot reach


@njit(cache=True)
def _sector_of(dx, dy):  # pragma: no cover - numba
    k = int((math.atan2(dy, dx) + math.pi) * (_SECTORS / (2.0 * math.pi)))
    return min(max(k, 0), _SECTORS - 1)


@njit(cache=True)
def _sector_index(ox, oy, xy, radius):  # pragma: no cover - numba
    """CSR lists of the objects (centre ``xy``, footprint ``radius``) per azimuth
    sector as seen from (ox, oy): a ray whose azimuth falls outside an object's
    angular extent cannot hit it, whatever its elevation."""
    n = xy.shape[0]
    first = np.empty(n, dtype=np.int64)
    span = np.empty(n, dtype=np.int64)
    width = 2.0 * math.pi / _SECTORS
    for i in range(n):
        wx, wy = xy[i, 0] - ox, xy[i, 1] - oy
        d = math.sqrt(wx * wx + wy * wy)
        if d <= radius[i] * 1.0001 + 1e-6:
            first[i], span[i] = 0, _SECTORS
            continue
        alpha = math.asin(radius[i] / d)
        lo = int(math.floor((math.atan2(wy, wx) - alpha + math.pi) / width)) - 1
        hi = int(math.floor((math.atan2(wy, wx) + alpha + math.pi) / width)) + 1
        first[i], span[i] = lo % _SECTORS, min(hi - lo + 1, _SECTORS)
    counts = np.zeros(_SECTORS + 1, dtype=np.int64)
    for i in range(n):
        for k in range(span[i]):
            counts[(first[i] + k) % _SECTORS + 1] += 1
    offsets = np.cumsum(counts)
    fill = offsets[:-1].copy()
    items = np.empty(offsets[-1], dtype=np.int64)
    for i in range(n):
        for k in range(span[i]):
            sector = (first[i] + k) % _SECTORS
            items[fill[sector]] = i
            fill[sector] += 1
    return offsets, items


@njit(cache=True)
def _cast_one(ox, oy, oz, dx, dy, dz, planes, plane_surface, kerbs, kerb_surface, boxes, box_surface,
              box_owner, box_offsets, box_items, poles, pole_surface, pole_offsets, pole_items,
              max_range_m):  # pragma: no cover - numba
    best, surface, owner = max_range_m, 0, -1
    for i in range(planes.shape[0]):
        p = planes[i]
        denom = dz - p[5] * dx - p[6] * dy
        if abs(denom) < 1e-12:
            continue
        t = (p[4] + p[5] * ox + p[6] * oy - oz) / denom
        if t <= _EPS or t >= best:
            continue
        hx, hy = ox + t * dx, oy + t * dy
        if p[0] <= hx <= p[1] and p[2] <= hy <= p[3]:
            best, surface, owner = t, plane_surface[i], -1
    for i in range(kerbs.shape[0]):
        k = kerbs[i]
        if abs(dy) < 1e-12:
            continue
        t = (k[0] - oy) / dy
        if t <= _EPS or t >= best:
            continue
        hx, hz = ox + t * dx, oz + t * dz
        base = k[3] + k[4] * hx
        if k[1] <= hx <= k[2] and base <= hz <= base + k[5]:
            best, surface, owner = t, kerb_surface, -1
    sector = _sector_of(dx, dy)
    for j in range(box_offsets[sector], box_offsets[sector + 1]):
        i = box_items[j]
        t = _hit_box(ox, oy, oz, dx, dy, dz, boxes[i], best)
        if t > 0.0 and t < best:
            best, surface, owner = t, box_surface[i], box_owner[i]
    a = dx * dx + dy * dy
    if a > 1e-12:
        for j in range(pole_offsets[sector], pole_offsets[sector + 1]):
            c = poles[pole_items[j]]
            px, py = ox - c[0], oy - c[1]
            b = 2.0 * (px * dx + py * dy)
            disc = b * b - 4.0 * a * (px * px + py * py - c[4] * c[4])
            if disc < 0.0:
                continue
            t = (-b - math.sqrt(disc)) / (2.0 * a)
            if t <= _EPS or t >= best:
                continue
            hz = oz + t * dz
            if c[2] <= hz <= c[3]:
                best, surface, owner = t, pole_surface, -1
    return best, surface, owner


@njit(cache=True)
def cast_rays_numba(origin, dirs, planes, plane_surface, kerbs, kerb_surface, boxes, box_surface,
                    box_owner, poles, pole_surface, max_range_m):  # pragma: no cover - numba
    n = dirs.shape[0]
    ranges = np.full(n, np.inf)
    surfaces = np.zeros(n, dtype=np.int8)
    owners = np.full(n, -1, dtype=np.int32)
    ox, oy, oz = origin[0], origin[1], origin[2]
    box_radius = 0.5 * np.sqrt(boxes[:, 3] ** 2 + boxes[:, 4] ** 2)
    box_offsets, box_items = _sector_index(ox, oy, boxes[:, :2], box_radius)
    pole_offsets, pole_items = _sector_index(ox, oy, poles[:, :2], poles[:, 4])
    for r in range(n):
        t, s, o = _cast_one(ox, oy, oz, dirs[r, 0], dirs[r, 1], dirs[r, 2], planes, plane_surface, kerbs,
                            kerb_surface, boxes, box_surface, box_owner, box_offsets, box_items, poles,
                            pole_surface, pole_offsets, pole_items, max_range_m)
        if s != 0:
            ranges[r], surfaces[r], owners[r] = t, s, o
    return ranges, surfaces, owners


def cast_rays_numpy(origin, dirs, planes, plane_surface, kerbs, kerb_surface, boxes, box_surface,
                    box_owner, poles, pole_surface, max_range_m):
    """Reference twin of ``cast_rays_numba``: the same tests, vectorised over rays."""
    o = np.asarray(origin, dtype=np.float64)
    d = np.asarray(dirs, dtype=np.float64)
    n = d.shape[0]
    best = np.full(n, float(max_range_m))
    surfaces = np.zeros(n, dtype=np.int8)
    owners = np.full(n, -1, dtype=np.int32)

    def take(t: np.ndarray, ok: np.ndarray, surface: int, owner: int) -> None:
        ok = ok & (t > _EPS) & (t < best)
        best[ok], surfaces[ok], owners[ok] = t[ok], surface, owner

    with np.errstate(divide="ignore", invalid="ignore"):
        for p, surface in zip(planes, plane_surface):
            denom = d[:, 2] - p[5] * d[:, 0] - p[6] * d[:, 1]
            t = (p[4] + p[5] * o[0] + p[6] * o[1] - o[2]) / denom
            hx, hy = o[0] + t * d[:, 0], o[1] + t * d[:, 1]
            take(t, (np.abs(denom) >= 1e-12) & (p[0] <= hx) & (hx <= p[1]) & (p[2] <= hy) & (hy <= p[3]),
                 int(surface), -1)
        for k in kerbs:
            t = (k[0] - o[1]) / d[:, 1]
            hx, hz = o[0] + t * d[:, 0], o[2] + t * d[:, 2]
            base = k[3] + k[4] * hx
            take(t, (np.abs(d[:, 1]) >= 1e-12) & (k[1] <= hx) & (hx <= k[2]) & (base <= hz) & (hz <= base + k[5]),
                 int(kerb_surface), -1)
        for box, surface, owner in zip(boxes, box_surface, box_owner):
            take(*_box_numpy(o, d, box), int(surface), int(owner))
        a = d[:, 0] ** 2 + d[:, 1] ** 2
        for c in poles:
            px, py = o[0] - c[0], o[1] - c[1]
            b = 2.0 * (px * d[:, 0] + py * d[:, 1])
            disc = b * b - 4.0 * a * (px * px + py * py - c[4] ** 2)
            t = (-b - np.sqrt(np.maximum(disc, 0.0))) / (2.0 * a)
            hz = o[2] + t * d[:, 2]
            take(t, (a > 1e-12) & (disc >= 0.0) & (c[2] <= hz) & (hz <= c[3]), int(pole_surface), -1)
    ranges = np.where(surfaces != 0, best, np.inf)
    return ranges, surfaces, owners


def _box_numpy(o: np.ndarray, d: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c, s = math.cos(box[6]), math.sin(box[6])
    w = box[:3] - o
    lo = np.array([-c * w[0] - s * w[1], s * w[0] - c * w[1], -w[2]])
    ld = np.stack([c * d[:, 0] + s * d[:, 1], -s * d[:, 0] + c * d[:, 1], d[:, 2]], axis=1)
    half = box[3:6] / 2.0
    t1 = (-half - lo) / ld
    t2 = (half - lo) / ld
    parallel = np.abs(ld) < 1e-12
    inside = np.abs(lo) <= half
    t_lo = np.where(parallel, np.where(inside, -np.inf, np.inf), np.minimum(t1, t2))
    t_hi = np.where(parallel, np.where(inside, np.inf, -np.inf), np.maximum(t1, t2))
    t_near, t_far = t_lo.max(axis=1), t_hi.min(axis=1)
    return t_near, t_far >= t_near
