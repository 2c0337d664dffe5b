"""NumPy reference twins of the Numba kernels (slow, simple, used by the parity tests and benchmarks).

Each function takes the same arguments and returns the same result as its Numba twin.
"""
from __future__ import annotations

import numpy as np

from ._common import box_params

__all__ = [
    "points_in_boxes_ref",
    "points_in_boxes_csr_ref",
    "segment_ground_ref",
    "cluster_euclidean_ref",
    "cluster_around_ref",
    "fit_box_ref",
    "pick_point_ref",
    "project_to_screen_ref",
    "points_in_polygon_ref",
    "voxel_downsample_ref",
]


def _box_masks(points: np.ndarray, boxes: np.ndarray):
    """Yield (b, inside-mask) per box with the exact float64 test of :mod:`.boxes`."""
    p = points[:, :3].astype(np.float64)
    params = box_params(boxes)
    for b in range(params.shape[0]):
        cx, cy, cz, hl, hw, hh, c, s = params[b]
        dx = p[:, 0] - cx
        dy = p[:, 1] - cy
        dz = p[:, 2] - cz
        with np.errstate(invalid="ignore"):
            mask = (np.abs(dz) <= hh) & (np.abs(dx * c + dy * s) <= hl) & (np.abs(dy * c - dx * s) <= hw)
        yield b, mask


def points_in_boxes_ref(points: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-box loop twin of :func:`sweeplabel.kernels.points_in_boxes`."""
    labels = np.full(points.shape[0], -1, dtype=np.int32)
    for b, mask in _box_masks(points, boxes):
        labels[mask & (labels < 0)] = b
    counts = np.bincount(labels[labels >= 0], minlength=boxes.shape[0]).astype(np.int64)
    return labels, counts


def points_in_boxes_csr_ref(points: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-box loop twin of :func:`sweeplabel.kernels.points_in_boxes_csr`."""
    lists = [np.flatnonzero(mask).astype(np.int32) for _, mask in _box_masks(points, boxes)]
    offsets = np.zeros(boxes.shape[0] + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(x) for x in lists]) if lists else []
    indices = np.concatenate(lists) if lists else np.empty(0, dtype=np.int32)
    return offsets, indices.astype(np.int32)


# ------------------------------------------------------------------ ground
def _plane_ref(P: np.ndarray, prev: np.ndarray) -> np.ndarray:
    """[nx, ny, nz, d, mx, my, mz, l0, l1, l2] of the points P (k, 3); prev if k == 0."""
    k = P.shape[0]
    if k == 0:
        return prev
    mean = P.mean(axis=0)
    cov = np.zeros((3, 3)) if k == 1 else np.cov(P.T)
    off = cov[0, 1] ** 2 + cov[0, 2] ** 2 + cov[1, 2] ** 2
    if off == 0.0:  # diagonal: same tie rule as the Numba solver
        diag = np.diag(cov)
        lo = diag.min()
        axis = 2 if diag[2] == lo else (1 if diag[1] == lo else 0)
        normal = np.eye(3)[axis]
        lam = np.sort(np.maximum(diag, 0.0))[::-1]
    else:
        w, v = np.linalg.eigh(cov)
        lam = np.maximum(w, 0.0)[::-1]
        normal = v[:, 0]
    if normal[2] < 0:
        normal = -normal
    return np.array([*normal, -normal @ mean, *mean, *lam])


def _seed_count_ref(wz: np.ndarray, zone: int, margin_z: float, num_lpr: int, th: float) -> int:
    init = int(np.searchsorted(wz, margin_z, side="left")) if zone == 0 else 0
    seg = wz[init:init + num_lpr]
    lpr = seg.mean() if seg.size else 0.0
    return int(np.searchsorted(wz, lpr + th, side="left"))


def _patchwork_frame_ref(points, p, layout, elevation_thr, flatness_thr, sensor_h):
    bounds, ring_sizes, sector_sizes, patch_off, ring_off = layout
    rings = np.asarray(p.num_rings_each_zone)
    sectors = np.asarray(p.num_sectors_each_zone)
    n = points.shape[0]
    P = points[:, :3].astype(np.float64)
    x, y, z = P[:, 0], P[:, 1], P[:, 2]
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(P).all(axis=1)
        if p.enable_rnr and points.shape[1] >= 4:
            cand = ok & (z < -sensor_h - 0.8) & (points[:, 3] < p.rnr_intensity_thr)
            ang = np.degrees(np.arctan2(z, np.sqrt(x * x + y * y)))
            ok &= ~(cand & (ang < p.rnr_ver_angle_thr_deg))
        r = np.sqrt(x * x + y * y)
        ok &= (r <= bounds[4]) & (r > bounds[0])
    theta = np.arctan2(y, x)
    theta = np.where(theta < 0, theta + 2 * np.pi, theta)
    r = np.where(ok, r, bounds[0])
    theta = np.where(ok, theta, 0.0)
    zone = (r >= bounds[1]).astype(np.int64) + (r >= bounds[2]) + (r >= bounds[3])
    zone = np.where(ok, zone, 0)
    ring = np.minimum(((r - bounds[zone]) / ring_sizes[zone]).astype(np.int64, copy=False) if n else zone, rings[zone] - 1)
    sec = np.minimum((theta / sector_sizes[zone]).astype(np.int64, copy=False) if n else zone, sectors[zone] - 1)
    patch = np.where(ok, patch_off[zone] + ring * sectors[zone] + sec, -1)
    order = np.argsort(patch, kind="stable")
    n_patch = int(patch_off[4])
    starts = np.searchsorted(patch[order], np.arange(n_patch + 1), side="left")

    ground = np.zeros(n, dtype=bool)
    n_roi = p.num_rings_of_interest
    upd_elev = [[] for _ in range(max(n_roi, 1))]
    upd_flat = [[] for _ in range(max(n_roi, 1))]
    margin_z = p.adaptive_seed_selection_margin * sensor_h
    plane = np.array([0, 0, 1.0, 0, 0, 0, 0, 0, 0, 0])
    for zn in range(4):
        for rg in range(rings[zn]):
            c_idx = ring_off[zn] + rg
            ring_flat, cands = [], []
            for sc in range(sectors[zn]):
                pid = patch_off[zn] + rg * sectors[zn] + sc
                idx = order[starts[pid]:starts[pid + 1]]
                if idx.size < p.num_min_pts:
                    continue
                idx = idx[np.argsort(z[idx], kind="stable")]
                W = P[idx]
                if p.enable_rvpf:
                    for _ in range(p.num_iter):
                        k = _seed_count_ref(W[:, 2], zn, margin_z, p.num_lpr, p.th_seeds_v_m)
                        plane = _plane_ref(W[:k], plane)
                        if zn == 0 and plane[2] < p.uprightness_thr:
                            keep = ~(np.abs(W @ plane[:3] + plane[3]) < p.th_dist_v_m)
                            W, idx = W[keep], idx[keep]
                        else:
                            break
                k = _seed_count_ref(W[:, 2], zn, margin_z, p.num_lpr, p.th_seeds_m)
                plane = _plane_ref(W[:k], plane)
                for _ in range(p.num_iter):
                    sel = W @ plane[:3] + plane[3] < p.th_dist_m
                    plane = _plane_ref(W[sel], plane)
                elevation, flatness = plane[6], plane[9]
                line_var = plane[7] / plane[8] if plane[8] != 0 else np.finfo(np.float64).max
                heading = plane[4:7] @ plane[:3]
                upright = plane[2] > p.uprightness_thr
                near = c_idx < n_roi
                not_elev = near and elevation < elevation_thr[c_idx]
                flat = near and flatness < flatness_thr[c_idx]
                if upright and not_elev and near:
                    upd_elev[c_idx].append(elevation)
                    upd_flat[c_idx].append(flatness)
                    ring_flat.append(flatness)
                if not upright:
                    continue
                if (not near) or (heading < 0 and (not_elev or flat)):
                    ground[idx[sel]] = True
                elif heading < 0:
                    cands.append((flatness, line_var, idx[sel]))
            if cands and p.enable_tgr:
                rf = np.asarray(ring_flat)
                mean, std = (rf.mean(), rf.std(ddof=1)) if rf.size > 1 else (0.0, 0.0)
                mu_f = mean + 1.5 * std
                for flatness, line_var, gidx in cands:
                    with np.errstate(all="ignore"):
                        prob_flat = 1.0 / (1.0 + np.exp((flatness - mu_f) / (mu_f / 10.0)))
                    if gidx.size > 1500 and flatness < p.th_dist_m ** 2:
                        prob_flat = 1.0
                    prob_line = 0.0 if line_var > 8.0 else 1.0
                    if prob_line * prob_flat > 0.5:
                        ground[gidx] = True
    r_ = max(n_roi, 1)
    width = max(max(len(v) for v in upd_elev), 1)
    e = np.zeros((r_, width))
    f = np.zeros((r_, width))
    cnt = np.array([len(v) for v in upd_elev], dtype=np.int64)
    for i in range(r_):
        e[i, :cnt[i]] = upd_elev[i]
        f[i, :cnt[i]] = upd_flat[i]
    return ground, e, f, cnt


def _grid_lowest_ref(points, g) -> np.ndarray:
    P = points[:, :3].astype(np.float64)
    n = P.shape[0]
    inv = 1.0 / g.cell_m
    nc = int(np.ceil(g.max_range_m * inv))
    side = 2 * nc
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(P[:, 2]) & (np.abs(P[:, 0]) < g.max_range_m) & (np.abs(P[:, 1]) < g.max_range_m)
    ix = np.zeros(n, dtype=np.int64)
    iy = np.zeros(n, dtype=np.int64)
    ix[ok] = np.floor(P[ok, 0] * inv).astype(np.int64) + nc
    iy[ok] = np.floor(P[ok, 1] * inv).astype(np.int64) + nc
    ok &= (ix >= 0) & (iy >= 0) & (ix < side) & (iy < side)
    cell = ix * side + iy
    lowest = np.full(side * side, np.inf)
    np.minimum.at(lowest, cell[ok], P[ok, 2])
    max_z = np.inf if g.max_z_m is None else g.max_z_m
    ground = np.zeros(n, dtype=bool)
    zc = P[ok, 2]
    ground[ok] = (zc < lowest[cell[ok]] + g.above_min_m) & (zc < max_z)
    return ground


def segment_ground_ref(points: np.ndarray, *, method: str = "patchwork", params=None, segmenter=None) -> np.ndarray:
    """NumPy twin of :func:`sweeplabel.kernels.segment_ground` (per-patch Python loop, ``eigh`` planes).

    Pass ``segmenter`` (a :class:`GroundSegmenter`) to run one step of sequence mode with its state.
    """
    from .ground import GridGroundParams, GroundSegmenter, PatchworkParams

    seg = segmenter or GroundSegmenter(params, method)
    if seg.method == "grid":
        return _grid_lowest_ref(points, seg.params if isinstance(seg.params, GridGroundParams) else GridGroundParams())
    assert isinstance(seg.params, PatchworkParams)
    st = seg.state
    ground, e, f, cnt = _patchwork_frame_ref(points, seg.params, seg._layout, st.elevation_thr,
                                             st.flatness_thr, st.sensor_height_m)
    seg._update_agle(e, f, cnt)
    return ground


# ------------------------------------------------------------------ clustering
def _components_ref(P: np.ndarray, radius_m: float) -> np.ndarray:
    """Root (lowest index) of each point's component, brute force O(N^2)."""
    n = P.shape[0]
    d2 = ((P[:, None, :] - P[None, :, :]) ** 2).sum(-1) if n else np.zeros((0, 0))
    adj = d2 <= radius_m * radius_m
    comp = np.arange(n)
    while True:  # min-label propagation until stable
        new = np.array([comp[adj[i]].min() for i in range(n)], dtype=np.int64) if n else comp
        new = np.minimum(new, new[new])
        if (new == comp).all():
            return comp
        comp = new


def cluster_euclidean_ref(points: np.ndarray, radius_m: float = 0.5, min_points: int = 5, *, mask=None) -> np.ndarray:
    """Brute-force twin of :func:`sweeplabel.kernels.cluster_euclidean` (small N only)."""
    P = points[:, :3].astype(np.float64)
    valid = np.isfinite(P).all(axis=1)
    if mask is not None:
        valid &= mask
    vidx = np.flatnonzero(valid)
    labels = np.full(points.shape[0], -1, dtype=np.int32)
    comp = _components_ref(P[vidx], radius_m)
    roots, counts = np.unique(comp, return_counts=True)
    big = set(roots[counts >= min_points].tolist())
    nxt = 0
    names: dict[int, int] = {}
    for k, root in enumerate(comp):
        if root in big:
            if root not in names:
                names[root] = nxt
                nxt += 1
            labels[vidx[k]] = names[root]
    return labels


def cluster_around_ref(points, seed_xyz, radius_m: float = 0.5, *, roi_radius_m: float = 6.0, mask=None) -> np.ndarray:
    """Brute-force twin of :func:`sweeplabel.kernels.cluster_around`."""
    P = points[:, :3].astype(np.float64)
    s = np.asarray(seed_xyz, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        roi = np.isfinite(P).all(axis=1) & (((P[:, 0] - s[0]) ** 2 + (P[:, 1] - s[1]) ** 2) <= roi_radius_m ** 2)
    if mask is not None:
        roi &= mask
    ridx = np.flatnonzero(roi)
    if ridx.size == 0:
        return np.empty(0, dtype=np.int64)
    sub = P[ridx]
    start = int(np.argmin(((sub - s) ** 2).sum(1)))
    comp = _components_ref(sub, radius_m)
    return ridx[comp == comp[start]].astype(np.int64)


# ------------------------------------------------------------------ box fit
def _hull_ref(xy: np.ndarray) -> np.ndarray:
    pts = sorted(map(tuple, xy))
    if len(pts) <= 1:
        return np.asarray(pts, dtype=np.float64).reshape(-1, 2)

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for q in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], q) <= 0:
            lower.pop()
        lower.append(q)
    for q in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], q) <= 0:
            upper.pop()
        upper.append(q)
    return np.asarray(lower[:-1] + upper[:-1], dtype=np.float64)


def _min_area_yaw_ref(hull, lo, hi, n_grid):
    h = hull.shape[0]
    nxt = np.roll(hull, -1, axis=0)
    ang = np.arctan2(nxt[:, 1] - hull[:, 1], nxt[:, 0] - hull[:, 0])
    ang = ang - np.floor((ang - lo) / (np.pi / 2)) * (np.pi / 2)
    ang = ang[ang <= hi] if h else ang
    grid = lo + (hi - lo) * (np.arange(n_grid) / (n_grid - 1) if n_grid > 1 else np.zeros(n_grid))
    cand = np.concatenate([ang, grid])
    c, s = np.cos(cand)[:, None], np.sin(cand)[:, None]
    u = hull[:, 0] * c + hull[:, 1] * s
    v = hull[:, 1] * c - hull[:, 0] * s
    area = (u.max(1) - u.min(1)) * (v.max(1) - v.min(1))
    return float(cand[int(np.argmin(area))])


def fit_box_ref(points, *, ground_z_m=None, prior_box=None, max_yaw_dev_rad=np.radians(15.0), trim_fraction=0.0,
                sensor_xy_m=(0.0, 0.0)):
    """NumPy twin of :func:`sweeplabel.kernels.fit_box`."""
    P = points[:, :3].astype(np.float64)
    P = P[np.isfinite(P).all(axis=1)]
    hull = _hull_ref(P[:, :2])
    zs = np.sort(P[:, 2])
    k = int(trim_fraction * zs.size)
    top = zs[zs.size - 1 - k]
    bottom = zs[k] if ground_z_m is None else float(ground_z_m)

    def extents(yaw):
        c, s = np.cos(yaw), np.sin(yaw)
        u = hull[:, 0] * c + hull[:, 1] * s
        v = hull[:, 1] * c - hull[:, 0] * s
        return u.min(), u.max(), v.min(), v.max()

    if prior_box is not None:
        prior = np.asarray(prior_box, dtype=np.float64)
        dev = min(max_yaw_dev_rad, np.pi / 4)
        yaw = _min_area_yaw_ref(hull, prior[6] - dev, prior[6] + dev, 33)
        u_lo, u_hi, v_lo, v_hi = extents(yaw)
        length, width, height = prior[3:6]

        def anchor(lo_, hi_, size, sensor):
            if hi_ - lo_ >= size:
                return 0.5 * (lo_ + hi_)
            return lo_ + 0.5 * size if abs(lo_ - sensor) <= abs(hi_ - sensor) else hi_ - 0.5 * size

        sx, sy = sensor_xy_m
        c1, s1 = np.cos(yaw), np.sin(yaw)
        uc = anchor(u_lo, u_hi, length, sx * c1 + sy * s1)
        vc = anchor(v_lo, v_hi, width, sy * c1 - sx * s1)
    else:
        yaw = _min_area_yaw_ref(hull, -np.pi / 4, np.pi / 4, 2)
        u_lo, u_hi, v_lo, v_hi = extents(yaw)
        uc, vc = 0.5 * (u_lo + u_hi), 0.5 * (v_lo + v_hi)
        length, width = u_hi - u_lo, v_hi - v_lo
        if width > length:
            uc, vc = vc, -uc
            length, width = width, length
            yaw += np.pi / 2
        height = max(top - bottom, 0.0)
        c0, s0 = np.cos(yaw), np.sin(yaw)
        if yaw > np.pi / 2:
            yaw -= np.pi
        return np.array([uc * c0 - vc * s0, uc * s0 + vc * c0, bottom + 0.5 * height, length, width, height,
                         np.arctan2(np.sin(yaw), np.cos(yaw))])
    c0, s0 = np.cos(yaw), np.sin(yaw)
    return np.array([uc * c0 - vc * s0, uc * s0 + vc * c0, bottom + 0.5 * height, length, width, height,
                     np.arctan2(np.sin(yaw), np.cos(yaw))])


# ------------------------------------------------------------------ picking
def pick_point_ref(points, origin, direction, radius_m, *, radius_per_m=0.0, max_distance_m=np.inf) -> int:
    """NumPy twin of :func:`sweeplabel.kernels.pick_point`."""
    P = points[:, :3].astype(np.float64)
    o = np.asarray(origin, dtype=np.float64)
    d = np.asarray(direction, dtype=np.float64)
    d = d / np.linalg.norm(d)
    v = P - o
    t = v[:, 0] * d[0] + v[:, 1] * d[1] + v[:, 2] * d[2]
    perp = v - t[:, None] * d
    r = radius_m + radius_per_m * t
    with np.errstate(invalid="ignore"):
        ok = (t >= 0) & (t <= max_distance_m) & ((perp ** 2).sum(1) <= r * r)
    if not ok.any():
        return -1
    cand = np.flatnonzero(ok)
    return int(cand[np.argmin(t[cand])])


def project_to_screen_ref(points, view_proj, viewport_px) -> np.ndarray:
    """NumPy twin of :func:`sweeplabel.kernels.project_to_screen`."""
    P = points[:, :3].astype(np.float64)
    vp = np.asarray(view_proj, dtype=np.float64)
    w, h = viewport_px
    cx = vp[0, 0] * P[:, 0] + vp[0, 1] * P[:, 1] + vp[0, 2] * P[:, 2] + vp[0, 3]
    cy = vp[1, 0] * P[:, 0] + vp[1, 1] * P[:, 1] + vp[1, 2] * P[:, 2] + vp[1, 3]
    cw = vp[3, 0] * P[:, 0] + vp[3, 1] * P[:, 1] + vp[3, 2] * P[:, 2] + vp[3, 3]
    with np.errstate(all="ignore"):
        out = np.stack([(cx / cw + 1.0) * 0.5 * w, (1.0 - cy / cw) * 0.5 * h], axis=1)
        out[~(cw > 0)] = np.nan
    return out


def points_in_polygon_ref(points, view_proj, polygon_px, viewport_px) -> np.ndarray:
    """NumPy twin of :func:`sweeplabel.kernels.points_in_polygon` (even-odd rule)."""
    s = project_to_screen_ref(points, view_proj, viewport_px)
    poly = np.asarray(polygon_px, dtype=np.float64)
    sx, sy = s[:, 0], s[:, 1]
    inside = np.zeros(points.shape[0], dtype=bool)
    with np.errstate(invalid="ignore"):
        box = (sx >= poly[:, 0].min()) & (sx <= poly[:, 0].max()) & (sy >= poly[:, 1].min()) & (sy <= poly[:, 1].max())
        j = len(poly) - 1
        for e in range(len(poly)):
            xi, yi = poly[e]
            xj, yj = poly[j]
            crosses = (yi > sy) != (yj > sy)
            with np.errstate(divide="ignore"):
                xint = (xj - xi) * (sy - yi) / (yj - yi) + xi
            inside ^= crosses & (sx < xint)
            j = e
    return inside & box


# ------------------------------------------------------------------ voxels
def voxel_downsample_ref(points, voxel_m, *, method="first", return_index=False):
    """NumPy twin of :func:`sweeplabel.kernels.voxel_downsample` (``np.unique`` on voxel keys)."""
    P = points[:, :3].astype(np.float64)
    with np.errstate(invalid="ignore"):
        f = np.floor(P * (1.0 / voxel_m))
        ok = np.isfinite(f).all(axis=1) & (f >= -(1 << 20)).all(axis=1) & (f < (1 << 20)).all(axis=1)
    idx = np.flatnonzero(ok)
    keys = f[ok].astype(np.int64)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(first, kind="stable")  # voxels in order of their first point
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    first_idx = idx[first[order]].astype(np.int64)
    if method == "first":
        out = points[first_idx].copy()
    else:
        sums = np.zeros((order.size, points.shape[1]))
        np.add.at(sums, rank[inverse], points[idx].astype(np.float64))
        cnt = np.bincount(rank[inverse], minlength=order.size)
        out = (sums / cnt[:, None]).astype(np.float32)
    return (out, first_idx) if return_index else out


# ------------------------------------------------------------------ camera projection
__all__ += ["project_to_cameras_ref"]


def _clip_rect_ref(seg: np.ndarray, width: float, height: float) -> np.ndarray:
    """Liang-Barsky clip of (K, 4) segments to [0, W] x [0, H], vectorised; NaN rows when outside."""
    u0, v0, u1, v1 = seg.T
    du, dv = u1 - u0, v1 - v0
    t0 = np.zeros(len(seg))
    t1 = np.ones(len(seg))
    ok = np.isfinite(u0)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-du, u0), (du, width - u0), (-dv, v0), (dv, height - v0)):
            ok &= ~((p == 0) & (q < 0))
            r = q / p
            enter = p < 0
            leave = p > 0
            ok &= ~(enter & (r > t1)) & ~(leave & (r < t0))
            t0 = np.where(enter & (r > t0), r, t0)
            t1 = np.where(leave & (r < t1), r, t1)
    out = np.column_stack([u0 + t0 * du, v0 + t0 * dv, u0 + t1 * du, v0 + t1 * dv])
    out[~ok] = np.nan
    return out


def project_to_cameras_ref(points: np.ndarray, boxes: np.ndarray, P: np.ndarray, image_wh: np.ndarray,
                           near_m: float = 0.1):
    """Vectorised twin of :func:`sweeplabel.kernels.project_to_cameras` (same result tuple)."""
    from .project import BOX_CORNER_SIGNS, PROJECTION_EDGES, CameraProjection, check_cameras

    mats, wh = check_cameras(P, image_wh)
    xyz1 = np.column_stack([points[:, :3].astype(np.float64), np.ones(len(points))])
    index, uvs, depths = [], [], []
    params = box_params(boxes)
    m, n_edges = len(boxes), len(PROJECTION_EDGES)
    local = BOX_CORNER_SIGNS[None] * params[:, None, 3:6]  # (M, 8, 3)
    c, s = params[:, 6:7], params[:, 7:8]
    corners = np.stack([params[:, 0:1] + local[..., 0] * c - local[..., 1] * s,
                        params[:, 1:2] + local[..., 0] * s + local[..., 1] * c,
                        params[:, 2:3] + local[..., 2], np.ones((m, 8))], axis=-1)  # (M, 8, 4)
    edges = np.full((len(mats), m, n_edges, 4), np.nan)
    edges_near = np.full_like(edges, np.nan)
    bbox = np.full((len(mats), m, 4), np.nan)
    for cam, (Pc, (width, height)) in enumerate(zip(mats, wh)):
        hom = xyz1 @ Pc.T
        with np.errstate(divide="ignore", invalid="ignore"):
            u, v = hom[:, 0] / hom[:, 2], hom[:, 1] / hom[:, 2]
            keep = (hom[:, 2] > near_m) & (u >= 0) & (u < width) & (v >= 0) & (v < height)
        sel = np.flatnonzero(keep).astype(np.int32)
        index.append(sel)
        uvs.append(np.column_stack([u[sel], v[sel]]).astype(np.float32))
        depths.append(hom[sel, 2].astype(np.float32))
        if m == 0:
            continue
        ch = corners @ Pc.T  # (M, 8, 3)
        a, b = ch[:, PROJECTION_EDGES[:, 0]], ch[:, PROJECTION_EDGES[:, 1]]  # (M, E, 3)
        wa, wb = a[..., 2:3], b[..., 2:3]
        with np.errstate(divide="ignore", invalid="ignore"):
            ta = np.where(wa < near_m, (near_m - wa) / (wb - wa), 0.0)
            tb = np.where((wa >= near_m) & (wb < near_m), (near_m - wb) / (wa - wb), 0.0)
            a2 = np.where(wa < near_m, a + ta * (b - a), a)
            b2 = np.where((wa >= near_m) & (wb < near_m), b + tb * (a - b), b)
            a2[..., 2] = np.where(wa[..., 0] < near_m, near_m, a2[..., 2])
            b2[..., 2] = np.where((wa[..., 0] >= near_m) & (wb[..., 0] < near_m), near_m, b2[..., 2])
            seg = np.concatenate([a2[..., :2] / a2[..., 2:3], b2[..., :2] / b2[..., 2:3]], axis=-1)
        visible = (wa[..., 0] > near_m) | (wb[..., 0] > near_m)
        seg[~visible] = np.nan
        edges_near[cam] = seg
        edges[cam] = _clip_rect_ref(seg.reshape(-1, 4), width, height).reshape(m, n_edges, 4)
        any_vis = visible.any(axis=1)
        us, vs = seg[..., 0::2].reshape(m, -1), seg[..., 1::2].reshape(m, -1)
        with np.errstate(invalid="ignore"):
            bb = np.column_stack([np.nanmin(np.where(any_vis[:, None], us, 0), axis=1),
                                  np.nanmin(np.where(any_vis[:, None], vs, 0), axis=1),
                                  np.nanmax(np.where(any_vis[:, None], us, 0), axis=1),
                                  np.nanmax(np.where(any_vis[:, None], vs, 0), axis=1)])
        bb[~any_vis] = np.nan
        bbox[cam] = bb
    return CameraProjection(index, uvs, depths, edges, edges_near, bbox)
