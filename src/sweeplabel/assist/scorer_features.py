"""What a person looks at to tell a car, a pedestrian or a cyclist from a pole, a bush
or a wall, as numbers: the features the candidate scorer learns from.

Per object in one frame (``object_features``): extent and shape of the points (PCA
linearity, planarity, scatter, verticality), point count against range, height above
the local ground and the vertical profile, intensity statistics, and the fill of the
fitted box. Over a track (``track_features``): consistency of the size, motion in the
world frame (a pole does not move), track length. A missing value is NaN (LightGBM
treats it as missing: one frame has no motion)."""

from __future__ import annotations

import math

import numpy as np

FRAME_FEATURES: tuple[str, ...] = (
    "n_points", "log_points", "range_m", "points_x_range2", "length_m", "width_m", "height_m", "footprint_m2",
    "aspect", "linearity", "planarity", "scatter", "verticality", "normal_z", "bev_elongation",
    "top_above_ground_m", "bottom_above_ground_m", "mean_above_ground_m", "z_std_m",
    "share_0_05", "share_05_10", "share_10_15", "share_15_20", "share_above_20", "top_to_low_width",
    "intensity_mean", "intensity_std", "intensity_p90", "bev_fill", "edge_share", "vertical_fill",
)
TRACK_FEATURES: tuple[str, ...] = (
    "track_frames", "observed_share", "length_std_m", "width_std_m", "height_std_m", "travel_m", "speed_mps",
    "centre_jitter_m",
)
_BANDS_M = (0.0, 0.5, 1.0, 1.5, 2.0, np.inf)


def normalised_intensity(values: np.ndarray | None) -> np.ndarray | None:
    """Intensity in 0..1 (sensors that report 0..255 are scaled down)."""
    if values is None or not len(values):
        return None
    v = np.asarray(values, dtype=np.float64)
    return v / 255.0 if np.nanmax(v) > 1.5 else v


def object_features(points_m: np.ndarray, ground_z_m: float, box7: np.ndarray,
                    intensity: np.ndarray | None = None) -> np.ndarray:
    """``FRAME_FEATURES`` of one object: its points (N, 3) about the sensor (world axes),
    the local ground height there, its fitted box ``[cx, cy, cz, l, w, h, yaw]`` (about
    the sensor as well) and the points' intensity in 0..1 (None: unknown)."""
    pts = np.asarray(points_m[:, :3], dtype=np.float64)
    out = np.full(len(FRAME_FEATURES), np.nan)
    n = len(pts)
    if n == 0:
        return out
    centre = pts.mean(axis=0)
    rng_m = float(np.hypot(centre[0], centre[1]))
    l, w = sorted((float(box7[3]), float(box7[4])), reverse=True)
    h = float(box7[5])
    z = pts[:, 2] - ground_z_m
    out[:15] = [n, math.log1p(n), rng_m, n * (max(rng_m, 1.0) / 10.0) ** 2 / 100.0, l, w, h, l * w,
                w / max(l, 1e-3), *_pca_shape(pts), _bev_elongation(pts)]
    out[15:19] = [z.max(), z.min(), z.mean(), z.std()]
    out[19:24] = np.histogram(z, bins=_BANDS_M)[0] / n
    out[24] = _top_to_low_width(pts, z)
    if intensity is not None and len(intensity) == n:
        out[25:28] = [float(np.mean(intensity)), float(np.std(intensity)), float(np.percentile(intensity, 90))]
    out[28:31] = _fill(pts, z, box7)
    return out


def _pca_shape(pts: np.ndarray) -> list[float]:
    """Linearity, planarity, scatter (from the sorted eigenvalues), verticality of the main
    axis and |z| of the normal (the least axis)."""
    if len(pts) < 3:
        return [math.nan] * 5
    vals, vecs = np.linalg.eigh(np.cov((pts - pts.mean(axis=0)).T))
    e3, e2, e1 = np.maximum(vals, 1e-12)
    return [(e1 - e2) / e1, (e2 - e3) / e1, e3 / e1, abs(float(vecs[2, 2])), abs(float(vecs[2, 0]))]


def _bev_elongation(pts: np.ndarray) -> float:
    if len(pts) < 3:
        return math.nan
    vals = np.linalg.eigvalsh(np.cov((pts[:, :2] - pts[:, :2].mean(axis=0)).T))
    return float(math.sqrt(max(vals[0], 1e-12) / max(vals[1], 1e-12)))


def _top_to_low_width(pts: np.ndarray, z: np.ndarray) -> float:
    """BEV spread of the top 0.3 m over that at 0.3..0.9 m above the ground (a rider over
    a bicycle, a cabin over a car's body; a pole or a wall is as wide at the top)."""
    top, low = pts[z > z.max() - 0.3, :2], pts[(z > 0.3) & (z < 0.9), :2]
    if len(top) < 3 or len(low) < 3:
        return math.nan
    return float(np.ptp(top, axis=0).max() / max(float(np.ptp(low, axis=0).max()), 0.05))


def _fill(pts: np.ndarray, z: np.ndarray, box7: np.ndarray, cell_m: float = 0.25) -> list[float]:
    """BEV fill (share of the box's cells holding points), edge share (points within 0.2 m
    of the box outline: a solid object shows its surface), vertical fill (share of 0.2 m
    height bands from the ground to the top holding points)."""
    c, s = math.cos(box7[6]), math.sin(box7[6])
    rel = pts[:, :2] - np.asarray(box7[:2])
    u, v = rel @ np.array([c, s]), rel @ np.array([-s, c])
    hl, hw = max(box7[3] / 2, 1e-3), max(box7[4] / 2, 1e-3)
    nu, nv = max(1, int(math.ceil(2 * hl / cell_m))), max(1, int(math.ceil(2 * hw / cell_m)))
    iu = np.clip(((u + hl) / (2 * hl) * nu).astype(np.int64), 0, nu - 1)
    iv = np.clip(((v + hw) / (2 * hw) * nv).astype(np.int64), 0, nv - 1)
    bev_fill = len(np.unique(iu * nv + iv)) / (nu * nv)
    edge = np.minimum(hl - np.abs(u), hw - np.abs(v)) < 0.2
    top = max(float(z.max()), 0.2)
    bands = np.unique(np.clip((z / 0.2).astype(np.int64), 0, None))
    return [bev_fill, float(edge.mean()), min(1.0, len(bands) / math.ceil(top / 0.2))]


def track_features(sizes_lwh_m: np.ndarray, centres_m: np.ndarray, times_s: np.ndarray, span_frames: int,
                   travel_m: float) -> np.ndarray:
    """``TRACK_FEATURES`` from the raw fitted sizes (K, 3) and centres (K, 3, world) of the
    K observations, their times, the frames the track spans and its travel (the extent of
    its points along its motion less one frame's). One observation: NaN but the length."""
    k = len(sizes_lwh_m)
    out = np.full(len(TRACK_FEATURES), np.nan)
    out[0], out[1] = k, k / max(span_frames, 1)
    if k < 2:
        return out
    lw = np.sort(sizes_lwh_m[:, :2], axis=1)[:, ::-1]
    out[2:5] = [lw[:, 0].std(), lw[:, 1].std(), sizes_lwh_m[:, 2].std()]
    dt = float(times_s[-1] - times_s[0])
    out[5] = travel_m
    out[6] = travel_m / dt if dt > 0 else math.nan
    steps = np.linalg.norm(np.diff(centres_m[:, :2], axis=0), axis=1)
    out[7] = float(np.std(steps)) if len(steps) > 1 else math.nan
    return out
