"""Ground segmentation: a Numba port of Patchwork++ and a grid-lowest-point fallback.

Patchwork++ (Lee et al., RA-L 2022) steps, per frame:

1. reflected-noise removal (RNR): low-intensity points far below the sensor at steep
   downward angles are non-ground;
2. concentric zone model (CZM): 4 zones of rings x sectors (504 patches by default);
3. per patch: region-wise vertical plane fitting (R-VPF, zone 0) removes
   vertical structure, then region-wise ground plane fitting (R-GPF) with PCA planes;
4. ground likelihood estimation (GLE) with uprightness, elevation and flatness tests whose
   thresholds adapt over frames (A-GLE);
5. temporal ground revert (TGR): rejected flat patches of a ring are reverted to ground
   when their flatness is typical of the ring.

:class:`GroundSegmenter` keeps the A-GLE state between frames (sequence mode);
:func:`segment_ground` uses a fresh state for every call (stateless mode).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ._linalg import plane_from_moments
from ._validate import check_device, check_points, check_positive

__all__ = [
    "PatchworkParams",
    "GridGroundParams",
    "GroundSegmenter",
    "segment_ground",
    "czm_layout",
]


@dataclass(frozen=True)
class PatchworkParams:
    """Patchwork++ parameters (defaults of the upstream KITTI configuration)."""

    sensor_height_m: float = 1.723
    num_iter: int = 3
    num_lpr: int = 20
    num_min_pts: int = 10
    num_rings_of_interest: int = 4
    min_range_m: float = 2.7
    max_range_m: float = 80.0
    uprightness_thr: float = 0.707
    adaptive_seed_selection_margin: float = -1.2
    th_seeds_m: float = 0.125
    th_dist_m: float = 0.125
    th_seeds_v_m: float = 0.25
    th_dist_v_m: float = 0.1
    rnr_ver_angle_thr_deg: float = -15.0
    rnr_intensity_thr: float = 0.2
    num_rings_each_zone: tuple[int, int, int, int] = (2, 4, 4, 4)
    num_sectors_each_zone: tuple[int, int, int, int] = (16, 32, 54, 32)
    max_elevation_storage: int = 1000
    max_flatness_storage: int = 1000
    enable_rnr: bool = True
    enable_rvpf: bool = True
    enable_tgr: bool = True

    def __post_init__(self) -> None:
        if len(self.num_rings_each_zone) != 4 or len(self.num_sectors_each_zone) != 4:
            raise ValueError("params: num_rings_each_zone and num_sectors_each_zone need 4 zones")
        if min(self.num_rings_each_zone) < 1 or min(self.num_sectors_each_zone) < 1:
            raise ValueError("params: ring and sector counts must be >= 1")
        if not 0 < self.min_range_m < self.max_range_m:
            raise ValueError("params: need 0 < min_range_m < max_range_m")
        if self.num_iter < 1 or self.num_lpr < 1 or self.num_min_pts < 1:
            raise ValueError("params: num_iter, num_lpr and num_min_pts must be >= 1")
        if self.num_rings_of_interest > sum(self.num_rings_each_zone) or self.num_rings_of_interest < 0:
            raise ValueError("params: num_rings_of_interest out of range")


@dataclass(frozen=True)
class GridGroundParams:
    """Grid-lowest-point fallback: a point is ground if ``z < lowest z of its cell + above_min_m``
    (and ``z < max_z_m`` when set). Points beyond ``max_range_m`` (BEV) are non-ground."""

    cell_m: float = 1.0
    above_min_m: float = 0.25
    max_z_m: float | None = None
    max_range_m: float = 100.0


def czm_layout(params: PatchworkParams):
    """Zone bounds (5,), ring sizes (4,), sector sizes (4,), patch offsets (5,), ring offsets (5,)."""
    lo, hi = params.min_range_m, params.max_range_m
    bounds = np.array([lo, (7 * lo + hi) / 8, (3 * lo + hi) / 4, (lo + hi) / 2, hi])
    rings = np.asarray(params.num_rings_each_zone, dtype=np.int64)
    sectors = np.asarray(params.num_sectors_each_zone, dtype=np.int64)
    ring_sizes = (bounds[1:] - bounds[:-1]) / rings
    sector_sizes = 2.0 * math.pi / sectors
    patch_off = np.concatenate([[0], np.cumsum(rings * sectors)]).astype(np.int64)
    ring_off = np.concatenate([[0], np.cumsum(rings)]).astype(np.int64)
    return bounds, ring_sizes, sector_sizes, patch_off, ring_off


# ---------------------------------------------------------------- CZM binning
@njit(cache=True)
def _czm_bin(points, bounds, ring_sizes, sector_sizes, rings, sectors, patch_off,
             enable_rnr, sensor_h, rnr_angle_deg, rnr_intensity):
    n = points.shape[0]
    patch_of = np.full(n, -1, dtype=np.int32)
    has_int = points.shape[1] >= 4
    rnr_z = -sensor_h - 0.8
    two_pi = 2.0 * math.pi
    for i in range(n):
        x = np.float64(points[i, 0])
        y = np.float64(points[i, 1])
        z = np.float64(points[i, 2])
        if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(z)):
            continue
        if enable_rnr and has_int and z < rnr_z and points[i, 3] < rnr_intensity:
            r0 = math.sqrt(x * x + y * y)
            if math.atan2(z, r0) * 180.0 / math.pi < rnr_angle_deg:
                continue
        r = math.sqrt(x * x + y * y)
        if r <= bounds[4] and r > bounds[0]:
            theta = math.atan2(y, x)
            if theta < 0.0:
                theta += two_pi
            if r < bounds[1]:
                k = 0
            elif r < bounds[2]:
                k = 1
            elif r < bounds[3]:
                k = 2
            else:
                k = 3
            ring = min(int((r - bounds[k]) / ring_sizes[k]), rings[k] - 1)
            sec = min(int(theta / sector_sizes[k]), sectors[k] - 1)
            patch_of[i] = patch_off[k] + ring * sectors[k] + sec
    return patch_of


@njit(cache=True)
def _csr_by_patch(patch_of, n_patch):
    start = np.zeros(n_patch + 1, dtype=np.int64)
    for i in range(patch_of.shape[0]):
        p = patch_of[i]
        if p >= 0:
            start[p + 1] += 1
    for p in range(n_patch):
        start[p + 1] += start[p]
    order = np.empty(start[n_patch], dtype=np.int32)
    fill = start[:-1].copy()
    for i in range(patch_of.shape[0]):
        p = patch_of[i]
        if p >= 0:
            order[fill[p]] = i
            fill[p] += 1
    return start, order


# ---------------------------------------------------------------- per-patch fitting
@njit(cache=True, inline="always")
def _lpr(wz, m, zone, margin_z, num_lpr, buf):
    """Mean z of the ``num_lpr`` lowest points (zone 0: ignoring points below ``margin_z``).

    Equals upstream's mean over the z-sorted patch without sorting it: a small sorted buffer
    keeps the lowest values, summed in ascending order as upstream does."""
    cnt = 0
    for i in range(m):
        z = wz[i]
        if zone == 0 and z < margin_z:
            continue
        if cnt < num_lpr:
            j = cnt
            cnt += 1
        elif z < buf[num_lpr - 1]:
            j = num_lpr - 1
        else:
            continue
        while j > 0 and buf[j - 1] > z:
            buf[j] = buf[j - 1]
            j -= 1
        buf[j] = z
    s = 0.0
    for i in range(cnt):
        s += buf[i]
    return s / cnt if cnt != 0 else 0.0


@njit(cache=True, inline="always")
def _fit_lower(wx, wy, wz, m, lim, plane):
    """Fit a plane on the seeds: the points with z < ``lim``."""
    sx = sy = sz = sxx = syy = szz = sxy = sxz = syz = 0.0
    k = 0
    for i in range(m):
        z = wz[i]
        if z < lim:
            x = wx[i]
            y = wy[i]
            k += 1
            sx += x
            sy += y
            sz += z
            sxx += x * x
            syy += y * y
            szz += z * z
            sxy += x * y
            sxz += x * z
            syz += y * z
    plane_from_moments(k, sx, sy, sz, sxx, syy, szz, sxy, sxz, syz, plane)


@njit(cache=True, inline="always")
def _fit_below(wx, wy, wz, m, plane, th, sel):
    """Fit on the points with signed distance < th to ``plane``; mark them in ``sel``."""
    nx, ny, nz, d = plane[0], plane[1], plane[2], plane[3]
    sx = sy = sz = sxx = syy = szz = sxy = sxz = syz = 0.0
    k = 0
    for i in range(m):
        x = wx[i]
        y = wy[i]
        z = wz[i]
        if nx * x + ny * y + nz * z + d < th:
            sel[i] = True
            k += 1
            sx += x
            sy += y
            sz += z
            sxx += x * x
            syy += y * y
            szz += z * z
            sxy += x * y
            sxz += x * z
            syz += y * z
        else:
            sel[i] = False
    plane_from_moments(k, sx, sy, sz, sxx, syy, szz, sxy, sxz, syz, plane)
    return k


@njit(cache=True)
def _gather_patch(points, order, lo, hi, wx, wy, wz, wi):
    """Copy one patch into the work buffers (scan order; no sort is needed, see ``_lpr``)."""
    m = hi - lo
    for j in range(m):
        i = order[lo + j]
        wx[j] = points[i, 0]
        wy[j] = points[i, 1]
        wz[j] = points[i, 2]
        wi[j] = i
    return m


@njit(cache=True, error_model="numpy")
def _patchwork_frame(points, bounds, ring_sizes, sector_sizes, rings, sectors, patch_off, ring_off,
                     fparams, iparams, flags, elevation_thr, flatness_thr, sensor_h):
    # fparams: uprightness, margin, th_seeds, th_dist, th_seeds_v, th_dist_v, rnr_angle, rnr_int
    upr_thr = fparams[0]
    margin_z = fparams[1] * sensor_h
    th_seeds = fparams[2]
    th_dist = fparams[3]
    th_seeds_v = fparams[4]
    th_dist_v = fparams[5]
    num_iter = iparams[0]
    num_lpr = iparams[1]
    num_min_pts = iparams[2]
    n_roi = iparams[3]
    enable_rvpf = flags[1]
    enable_tgr = flags[2]

    n = points.shape[0]
    ground = np.zeros(n, dtype=np.bool_)
    patch_of = _czm_bin(points, bounds, ring_sizes, sector_sizes, rings, sectors, patch_off,
                        flags[0], sensor_h, fparams[6], fparams[7])
    n_patch = patch_off[4]
    start, order = _csr_by_patch(patch_of, n_patch)
    max_m = 0
    for p in range(n_patch):
        max_m = max(max_m, start[p + 1] - start[p])
    wx = np.empty(max_m, dtype=np.float64)
    wy = np.empty(max_m, dtype=np.float64)
    wz = np.empty(max_m, dtype=np.float64)
    wi = np.empty(max_m, dtype=np.int32)
    lpr_buf = np.empty(max(num_lpr, 1), dtype=np.float64)
    sel = np.zeros(max_m, dtype=np.bool_)
    plane = np.zeros(10, dtype=np.float64)
    plane[2] = 1.0

    max_sec = 0
    for k in range(4):
        max_sec = max(max_sec, sectors[k])
    upd_elev = np.zeros((max(n_roi, 1), max_sec), dtype=np.float64)
    upd_flat = np.zeros((max(n_roi, 1), max_sec), dtype=np.float64)
    upd_n = np.zeros(max(n_roi, 1), dtype=np.int64)
    ring_flat = np.empty(max_sec, dtype=np.float64)
    cand_flat = np.empty(max_sec, dtype=np.float64)
    cand_line = np.empty(max_sec, dtype=np.float64)
    cand_start = np.zeros(max_sec + 1, dtype=np.int64)
    cand_pts = np.empty(n, dtype=np.int32)

    for zone in range(4):
        for ring in range(rings[zone]):
            c_idx = ring_off[zone] + ring
            n_ring_flat = 0
            n_cand = 0
            cand_start[0] = 0
            n_cand_pts = 0
            for sec in range(sectors[zone]):
                p = patch_off[zone] + ring * sectors[zone] + sec
                lo = start[p]
                hi = start[p + 1]
                if hi - lo < num_min_pts:
                    continue
                m = _gather_patch(points, order, lo, hi, wx, wy, wz, wi)
                # R-VPF: drop vertical structure. Upstream also fits once in zones 1-3 and then
                # overwrites that plane in R-GPF (whose seeds are never empty), so it is skipped there.
                if enable_rvpf and zone == 0:
                    for _ in range(num_iter):
                        lpr = _lpr(wz, m, zone, margin_z, num_lpr, lpr_buf)
                        _fit_lower(wx, wy, wz, m, lpr + th_seeds_v, plane)
                        if zone == 0 and plane[2] < upr_thr:
                            nx, ny, nz, d = plane[0], plane[1], plane[2], plane[3]
                            w = 0
                            for j in range(m):
                                if abs(nx * wx[j] + ny * wy[j] + nz * wz[j] + d) < th_dist_v:
                                    continue  # vertical: non-ground
                                wx[w] = wx[j]
                                wy[w] = wy[j]
                                wz[w] = wz[j]
                                wi[w] = wi[j]
                                w += 1
                            m = w
                        else:
                            break
                # R-GPF
                lpr = _lpr(wz, m, zone, margin_z, num_lpr, lpr_buf)
                _fit_lower(wx, wy, wz, m, lpr + th_seeds, plane)
                for _ in range(num_iter):
                    _fit_below(wx, wy, wz, m, plane, th_dist, sel)
                # GLE
                upright_v = plane[2]
                elevation = plane[6]
                flatness = plane[9]
                line_var = plane[7] / plane[8] if plane[8] != 0.0 else 1.7976931348623157e308
                heading = plane[4] * plane[0] + plane[5] * plane[1] + plane[6] * plane[2]
                is_upright = upright_v > upr_thr
                is_near = c_idx < n_roi
                not_elevated = False
                is_flat = False
                if is_near:
                    not_elevated = elevation < elevation_thr[c_idx]
                    is_flat = flatness < flatness_thr[c_idx]
                if is_upright and not_elevated and is_near:
                    upd_elev[c_idx, upd_n[c_idx]] = elevation
                    upd_flat[c_idx, upd_n[c_idx]] = flatness
                    upd_n[c_idx] += 1
                    ring_flat[n_ring_flat] = flatness
                    n_ring_flat += 1
                if not is_upright:
                    pass
                elif (not is_near) or ((heading < 0.0) and (not_elevated or is_flat)):
                    for j in range(m):
                        if sel[j]:
                            ground[wi[j]] = True
                elif heading < 0.0:
                    cand_flat[n_cand] = flatness
                    cand_line[n_cand] = line_var
                    for j in range(m):
                        if sel[j]:
                            cand_pts[n_cand_pts] = wi[j]
                            n_cand_pts += 1
                    n_cand += 1
                    cand_start[n_cand] = n_cand_pts
            # TGR at the end of the ring
            if n_cand > 0 and enable_tgr:
                mean = 0.0
                std = 0.0
                if n_ring_flat > 1:
                    for j in range(n_ring_flat):
                        mean += ring_flat[j]
                    mean /= n_ring_flat
                    for j in range(n_ring_flat):
                        std += (ring_flat[j] - mean) ** 2
                    std = math.sqrt(std / (n_ring_flat - 1))
                mu_f = mean + 1.5 * std
                for q in range(n_cand):
                    prob_flat = 1.0 / (1.0 + math.exp((cand_flat[q] - mu_f) / (mu_f / 10.0)))
                    npts = cand_start[q + 1] - cand_start[q]
                    if npts > 1500 and cand_flat[q] < th_dist * th_dist:
                        prob_flat = 1.0
                    prob_line = 0.0 if cand_line[q] > 8.0 else 1.0
                    if prob_line * prob_flat > 0.5:
                        for j in range(cand_start[q], cand_start[q + 1]):
                            ground[cand_pts[j]] = True
    return ground, upd_elev, upd_flat, upd_n


# ---------------------------------------------------------------- grid fallback
@njit(cache=True)
def _grid_lowest(points, cell_m, above_min_m, max_z_m, max_range_m):
    n = points.shape[0]
    inv = 1.0 / cell_m
    nc = int(math.ceil(max_range_m * inv))
    side = 2 * nc
    lowest = np.full(side * side, np.inf, dtype=np.float64)
    cell_of = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        x = np.float64(points[i, 0])
        y = np.float64(points[i, 1])
        z = np.float64(points[i, 2])
        if not (math.isfinite(z) and abs(x) < max_range_m and abs(y) < max_range_m):
            continue
        ix = int(math.floor(x * inv)) + nc
        iy = int(math.floor(y * inv)) + nc
        if ix < 0 or iy < 0 or ix >= side or iy >= side:
            continue
        c = ix * side + iy
        cell_of[i] = c
        if z < lowest[c]:
            lowest[c] = z
    ground = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        c = cell_of[i]
        if c >= 0:
            z = np.float64(points[i, 2])
            ground[i] = z < lowest[c] + above_min_m and z < max_z_m
    return ground


# ---------------------------------------------------------------- public API
@dataclass
class _AgleState:
    elevation_thr: np.ndarray
    flatness_thr: np.ndarray
    sensor_height_m: float
    elevations: list = field(default_factory=list)
    flatnesses: list = field(default_factory=list)


class GroundSegmenter:
    """Stateful Patchwork++ ground segmentation over a sequence (A-GLE state carried over frames).

    ``segment(points)`` returns a boolean ground mask (N,); ``reset()`` forgets the state.
    With ``method="grid"`` the grid-lowest fallback is used and there is no state.
    """

    def __init__(self, params: PatchworkParams | GridGroundParams | None = None, method: str = "patchwork") -> None:
        if method not in ("patchwork", "grid"):
            raise ValueError(f"method: expected 'patchwork' or 'grid', got {method!r}")
        if params is None:
            params = PatchworkParams() if method == "patchwork" else GridGroundParams()
        expected = PatchworkParams if method == "patchwork" else GridGroundParams
        if not isinstance(params, expected):
            raise ValueError(f"params: expected {expected.__name__} for method={method!r}, got {type(params).__name__}")
        self.method = method
        self.params = params
        if method == "patchwork":
            p = params
            self._layout = czm_layout(p)
            self._rings = np.asarray(p.num_rings_each_zone, dtype=np.int64)
            self._sectors = np.asarray(p.num_sectors_each_zone, dtype=np.int64)
            self._fparams = np.array([p.uprightness_thr, p.adaptive_seed_selection_margin, p.th_seeds_m,
                                      p.th_dist_m, p.th_seeds_v_m, p.th_dist_v_m,
                                      p.rnr_ver_angle_thr_deg, p.rnr_intensity_thr], dtype=np.float64)
            self._iparams = np.array([p.num_iter, p.num_lpr, p.num_min_pts, p.num_rings_of_interest], dtype=np.int64)
            self._flags = np.array([p.enable_rnr, p.enable_rvpf, p.enable_tgr], dtype=np.bool_)
        self.reset()

    def reset(self) -> None:
        """Forget the adaptive thresholds and the adapted sensor height."""
        if self.method != "patchwork":
            return
        r = max(self.params.num_rings_of_interest, 1)
        self.state = _AgleState(np.zeros(r), np.zeros(r), float(self.params.sensor_height_m),
                                [np.empty(0) for _ in range(r)], [np.empty(0) for _ in range(r)])

    def segment(self, points: np.ndarray, device: str = "cpu") -> np.ndarray:
        """Boolean ground mask (N,) for one frame; NaN/inf points are non-ground."""
        check_points(points)
        dev = check_device(device)  # Patchwork++ has no CUDA variant: it always runs on the CPU
        if self.method == "grid":
            g = self.params
            check_positive(g.cell_m, "params.cell_m")
            check_positive(g.max_range_m, "params.max_range_m")
            max_z = np.inf if g.max_z_m is None else float(g.max_z_m)
            args = (float(g.cell_m), float(g.above_min_m), max_z, float(g.max_range_m))
            if dev == "cuda":
                from .cuda_kernels import grid_lowest_cuda

                return grid_lowest_cuda(points, *args)
            return _grid_lowest(points, *args)
        bounds, ring_sizes, sector_sizes, patch_off, ring_off = self._layout
        st = self.state
        ground, upd_elev, upd_flat, upd_n = _patchwork_frame(
            points, bounds, ring_sizes, sector_sizes, self._rings, self._sectors, patch_off, ring_off,
            self._fparams, self._iparams, self._flags, st.elevation_thr, st.flatness_thr,
            float(st.sensor_height_m))
        self._update_agle(upd_elev, upd_flat, upd_n)
        return ground

    def _update_agle(self, upd_elev: np.ndarray, upd_flat: np.ndarray, upd_n: np.ndarray) -> None:
        p = self.params
        st = self.state
        for i in range(p.num_rings_of_interest):
            st.elevations[i] = np.concatenate([st.elevations[i], upd_elev[i, : upd_n[i]]])
            st.flatnesses[i] = np.concatenate([st.flatnesses[i], upd_flat[i, : upd_n[i]]])
        for i in range(p.num_rings_of_interest):
            vals = st.elevations[i]
            if vals.size == 0:
                continue
            mean, std = _mean_std(vals)
            if i == 0:
                st.elevation_thr[i] = mean + 3.0 * std
                st.sensor_height_m = -mean
            else:
                st.elevation_thr[i] = mean + 2.0 * std
            st.elevations[i] = vals[-p.max_elevation_storage:]
        for i in range(p.num_rings_of_interest):
            vals = st.flatnesses[i]
            if vals.size <= 1:
                break  # upstream stops at the first ring without statistics
            mean, std = _mean_std(vals)
            st.flatness_thr[i] = mean + std
            st.flatnesses[i] = vals[-p.max_flatness_storage:]


def _mean_std(vals: np.ndarray) -> tuple[float, float]:
    """Mean and sample std; (0, 0) for fewer than 2 values (as upstream)."""
    if vals.size <= 1:
        return 0.0, 0.0
    return float(vals.mean()), float(vals.std(ddof=1))


def segment_ground(
    points: np.ndarray,
    *,
    method: str = "patchwork",
    params: PatchworkParams | GridGroundParams | None = None,
    device: str = "cpu",
) -> np.ndarray:
    """Boolean ground mask (N,) for one frame, stateless (fresh A-GLE state every call).

    Args:
        points: (N, 3+) float32; a 4th column is intensity on a 0-1 scale (used by RNR).
        method: "patchwork" (Patchwork++ port) or "grid" (lowest point per BEV cell).
        params: :class:`PatchworkParams` or :class:`GridGroundParams`.
        device: "cpu" | "cuda" | "auto"; only ``method="grid"`` has a CUDA variant
            (Patchwork++ runs on the CPU whatever the device).
    """
    return GroundSegmenter(params, method).segment(points, device=device)
