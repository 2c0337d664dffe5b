"""What the sensor saw of an object (pure NumPy): the rays measured through a box, the returns deep
inside it, the scan line of each point, the azimuth step along a scan line and the spacing between
scan lines, the seen faces grown by part of a sample step and the top placed between the scan lines."""

from __future__ import annotations

import math

import numpy as np

from sweeplabel.model import Box

# scan lines are told apart past this elevation gap: AV2's two stacked lidars interleave lines 0.06 deg apart
# (seen from one origin; within one line the elevations of a far car's points spread < 0.005 deg)
SCAN_LINE_SPLIT_RAD = math.radians(0.03)
SAMPLE_STEP_SHARE = 0.5  # of a scan line's sample step added to a seen face's extent (1.0: SUSTech cars too wide)


def seen_through(box: Box, scene_m: np.ndarray, sensor_m: np.ndarray, margin_m: float = 0.1) -> int:
    """How many of the ``scene_m`` points were measured through ``box``: the ray from the sensor
    ``sensor_m`` (3,) to the point crosses the box (shrunk by ``margin_m``) at a height within its
    body (0.25 m above the bottom to 0.1 m below the top) and ends beyond it. An object is opaque:
    each such ray says the box holds free space."""
    if len(scene_m) == 0:
        return 0
    rot = box.rotation
    sensor = np.asarray(sensor_m, dtype=np.float64)
    s_local = rot.T @ (sensor - box.center_m)
    p_local = (np.asarray(scene_m[:, :3], dtype=np.float64) - box.center_m) @ rot
    d = p_local[:, :2] - s_local[:2]
    half = np.maximum(0.5 * box.size_lwh_m[:2] - margin_m, 0.05)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (-half - s_local[:2]) / d
        t2 = (half - s_local[:2]) / d
    t_in = np.nanmax(np.minimum(t1, t2), axis=1)
    t_out = np.nanmin(np.maximum(t1, t2), axis=1)
    crosses = (t_in < t_out) & (t_in > 0.0) & (t_out < 1.0)
    z_mid = s_local[2] + 0.5 * (t_in + t_out) * (p_local[:, 2] - s_local[2])
    half_h = 0.5 * box.size_lwh_m[2]
    body = (z_mid > -half_h + 0.25) & (z_mid < half_h - 0.1)
    return int(np.count_nonzero(crosses & body))


def seen_into(box: Box, points: np.ndarray, sensor_m: np.ndarray, depth_m: float, below_m: float,
              above_m: float = 0.0) -> int:
    """How many of ``points`` inside ``box`` (bird's-eye) lie more than ``depth_m`` behind the point where
    their ray from the sensor ``sensor_m`` (3,) enters the box, lower than ``below_m`` above the box's
    bottom: a box-bodied vehicle's lower body is opaque, so its returns lie on the faces the sensor sees;
    a return deep inside the box says the box holds free space in front of it."""
    if len(points) == 0:
        return 0
    rot = box.rotation
    s_local = rot.T @ (np.asarray(sensor_m, dtype=np.float64) - box.center_m)
    p_local = (np.asarray(points[:, :3], dtype=np.float64) - box.center_m) @ rot
    d = p_local[:, :2] - s_local[:2]
    half = 0.5 * box.size_lwh_m[:2]
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = (-half - s_local[:2]) / d
        t2 = (half - s_local[:2]) / d
    t_in = np.nanmax(np.minimum(t1, t2), axis=1)
    inside = np.all(np.abs(p_local[:, :2]) <= half + 1e-6, axis=1)
    depth = (1.0 - np.clip(t_in, 0.0, 1.0)) * np.hypot(d[:, 0], d[:, 1])
    z = p_local[:, 2] + 0.5 * box.size_lwh_m[2]
    low = (z < below_m) & (z > above_m)
    return int(np.count_nonzero(inside & low & (depth > depth_m)))


def scan_lines(points: np.ndarray, sensor_m: np.ndarray, tolerance_rad: float = SCAN_LINE_SPLIT_RAD) -> np.ndarray:
    """(N,) int: the scan line of each point, numbered from the lowest: the points' elevations seen from
    ``sensor_m`` (3,) sorted, a new line past a gap of ``tolerance_rad``. Splitting one line in two costs
    little (each part is still a cross-section); joining two lines of different heights mixes outlines."""
    rel = np.asarray(points[:, :3], dtype=np.float64) - np.asarray(sensor_m, dtype=np.float64)[:3]
    elev = np.arctan2(rel[:, 2], np.maximum(np.hypot(rel[:, 0], rel[:, 1]), 1e-3))
    order = np.argsort(elev)
    lines = np.empty(len(elev), dtype=np.int64)
    lines[order] = np.concatenate([[0], np.cumsum(np.diff(elev[order]) > tolerance_rad)])
    return lines


def azimuth_step_rad(points: np.ndarray, sensor_m: np.ndarray, tolerance_rad: float = math.radians(0.08)) -> float | None:
    """The azimuth angle between neighbouring points of one scan line on the object: the points
    grouped by ring (elevation levels as in ``scan_line_spacing_rad``), the median azimuth gap
    within the rings. None without a ring of three points."""
    rel = np.asarray(points[:, :3], dtype=np.float64) - np.asarray(sensor_m, dtype=np.float64)[:3]
    az = np.arctan2(rel[:, 1], rel[:, 0])
    ring = scan_lines(points, sensor_m, tolerance_rad)
    gaps = []
    for k in np.unique(ring):
        a = az[ring == k]
        if len(a) >= 3:
            a = np.sort(np.remainder(a - a[0] + math.pi, 2.0 * math.pi))
            gaps.append(np.diff(a))
    if not gaps:
        return None
    gaps = np.concatenate(gaps)
    gaps = gaps[gaps > 1e-5]
    return float(np.median(gaps)) if len(gaps) else None


def extent_between_samples(box: Box, points: np.ndarray, sensor_m: np.ndarray,
                           share: float = SAMPLE_STEP_SHARE) -> Box:
    """The seen rectangle grown by ``share`` of a sample step along each axis (centre kept): a
    scan line samples a face every azimuth step (``azimuth_step_rad`` times the range, across
    the ray), so the face's ends lie beyond its first and last points, on average half a step
    each; the beam's footprint at an edge returns part of that, hence the share. An axis along
    the ray is sampled by range, not azimuth (no growth); an axis the points span less than two
    growths of is not a seen face."""
    step = azimuth_step_rad(points, sensor_m)
    if step is None:
        return box
    to_box = box.center_m[:2] - np.asarray(sensor_m, dtype=np.float64)[:2]
    range_m = float(np.hypot(*to_box))
    if range_m < 1e-3:
        return box
    across = np.array([-to_box[1], to_box[0]]) / range_m  # the scan direction, perpendicular to the ray
    grow = np.zeros(3)
    for axis in (0, 1):
        delta = share * step * range_m * abs(float(box.rotation[:2, axis] @ across))
        if box.size_lwh_m[axis] >= 2.0 * delta:
            grow[axis] = delta
    if not np.any(grow):
        return box
    return box.resized_anchored(grow, np.zeros(3))


def scan_line_spacing_rad(points: np.ndarray, sensor_m: np.ndarray,
                          tolerance_rad: float = math.radians(0.08)) -> float | None:
    """The elevation angle between the scan lines that hit an object: the points' elevations
    seen from ``sensor_m`` (3,) fall into levels (one per laser ring; a new level past a gap of
    ``tolerance_rad``); the median angle between successive levels. None with one level."""
    rel = np.asarray(points[:, :3], dtype=np.float64) - np.asarray(sensor_m, dtype=np.float64)[:3]
    elev = np.sort(np.arctan2(rel[:, 2], np.maximum(np.hypot(rel[:, 0], rel[:, 1]), 1e-3)))
    starts = np.flatnonzero(np.diff(elev) > tolerance_rad) + 1
    if len(starts) == 0:
        return None
    levels = np.array([seg.mean() for seg in np.split(elev, starts)])
    return float(np.median(np.diff(levels)))


def top_between_beams(box: Box, points: np.ndarray, sensor_m: np.ndarray | None, high_m: float) -> Box:
    """The top at least half a scan-line spacing above the highest point (at most ``high_m``
    tall): a roof the sensor does not look down on lies between the highest ring that hit the
    object and the next one, which passed over it (half a spacing: the expected place). A roof
    below the sensor spans an elevation band from the box's near to its far edge; as far as that
    band is as wide as the spacing, a ring lands on the roof and the highest point is the top.
    The bottom stays."""
    if sensor_m is None:
        return box
    spacing = scan_line_spacing_rad(points, sensor_m)
    if spacing is None or spacing <= 0.0:
        return box
    sensor = np.asarray(sensor_m, dtype=np.float64)
    top_m = float(np.max(points[:, 2]))
    ranges = np.hypot(*(box.corners()[:, :2] - sensor[:2]).T)
    near_m, far_m = max(float(ranges.min()), 0.5), float(ranges.max())
    drop_m = float(sensor[2]) - top_m
    roof_rad = math.atan2(drop_m, near_m) - math.atan2(drop_m, far_m) if drop_m > 0.0 else 0.0
    unseen = min(max(1.0 - roof_rad / spacing, 0.0), 1.0)
    rel = np.asarray(points[:, :3], dtype=np.float64) - sensor
    range_m = float(np.median(np.hypot(rel[:, 0], rel[:, 1])))
    bottom_m = float(box.center_m[2] - 0.5 * box.size_lwh_m[2])
    height = top_m + 0.5 * unseen * spacing * range_m - bottom_m
    height = min(max(height, float(box.size_lwh_m[2])), max(high_m, float(box.size_lwh_m[2])))
    return box.resized_anchored([0.0, 0.0, height - float(box.size_lwh_m[2])], [0.0, 0.0, -1.0])
