"""Pre-annotation of a sequence: ground removal -> clustering -> box fitting ->
classification by size rules -> multi-object tracking -> ``auto`` annotations.

Per frame: Patchwork++ ground segmentation (sensor frame, state carried across frames),
a grid of local ground heights, the points 0.25..4 m above the ground clustered with z
squashed (sparse beams lie far apart vertically), one box fitted per cluster. Per track:
the class from its largest extents (a car shows its whole length at some point), one
size for rigid classes, the heading from the motion (moving) or one box for all frames
(static), every frame re-fitted with that size, gaps (occlusions) interpolated. Static
blobs are told apart by shape as well as size (a rider is taller than a car and narrower at
the top than the bicycle below; a car's end or side is not). Before that, a track is cut
where its velocity across a gap changes abruptly (it caught another object after an
occlusion); after it, tracks of one class that continue each other across a gap, or overlap
(one object tracked twice), are stitched, and fragments inside or overlapping a longer
track are dropped."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.spatial import cKDTree

from ..kernels import GroundSegmenter, cluster_euclidean, fit_box
from ..model import (
    Annotation, Box, Change, Command, Frame, Project, Sequence, Source, Track, angle_diff, new_token,
)
from .interpolation import interpolate_boxes
from .metrics import bev_iou
from .object_view import points_about
from .tracker import Detection, MultiObjectTracker, TrackerParams, TrackState

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]


class PreannotationCancelled(Exception):
    """``cancel()`` returned True; nothing was changed."""


@dataclass(frozen=True)
class ClassRule:
    """A class by size. ``ranges_m``: (longer side, shorter side, height) a track's extents
    must fall in; ``clamp_lwh_m``: the range of its final size, ``typical_lwh_m`` the value
    used where a partial view shows less than the range. ``face``: the extents are one
    face of the object (a car seen only from behind): its heading is across the face."""

    category: str
    ranges_m: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    clamp_lwh_m: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    typical_lwh_m: tuple[float, float, float]
    face: bool = False

    def violation(self, extents_m: np.ndarray) -> float:
        """How far the extents lie outside the ranges, relative to the range ends, summed
        over the axes (0: inside)."""
        return float(sum(max(0.0, (lo - v) / max(lo, 0.1), (v - hi) / hi)
                         for v, (lo, hi) in zip(extents_m, self.ranges_m)))

    def size_from(self, lwh_m: np.ndarray) -> np.ndarray:
        """Observed extents (along the heading, across, height) to a size in the class range."""
        out = []
        for axis, (v, (lo, hi), typical) in enumerate(zip(lwh_m, self.clamp_lwh_m, self.typical_lwh_m)):
            if axis == 2:  # sparse beams often miss the top: a height well under the typical one is partial
                lo = max(lo, 0.92 * typical)
            out.append(typical if v < lo else min(v, hi))
        return np.array(out)


_CAR = ((3.4, 5.2), (1.5, 2.1), (1.3, 1.9)), (4.4, 1.8, 1.55)
_PED = ((0.45, 0.9), (0.45, 0.8), (1.2, 2.0)), (0.65, 0.65, 1.75)
_CYC = ((1.5, 2.1), (0.45, 0.9), (1.3, 2.0)), (1.8, 0.6, 1.75)
_VAN = ((4.5, 6.2), (1.8, 2.4), (2.1, 2.8)), (5.2, 2.0, 2.3)
_TRUCK = ((6.0, 12.0), (2.2, 2.9), (2.5, 4.0)), (8.0, 2.5, 3.2)

# Static tracks: the heading is ambiguous, ranges are (longer side, shorter side, height).
# The best match wins (the first on a tie; see ``classify_extent``). Extents are a high
# quantile over the track's frames (partial views only ever show less than the object, a
# merge with a neighbour more).
STATIC_RULES: tuple[ClassRule, ...] = (
    ClassRule("human.pedestrian.adult", ((0.35, 1.2), (0.2, 1.0), (1.0, 2.1)), *_PED),
    ClassRule("vehicle.car", ((1.3, 2.3), (0.0, 0.25), (0.6, 2.1)), *_CAR, face=True),
    ClassRule("vehicle.cyclist", ((1.2, 2.4), (0.1, 1.1), (1.0, 2.1)), *_CYC),
    ClassRule("vehicle.car", ((2.4, 5.6), (1.0, 2.3), (0.9, 2.1)), *_CAR),
    ClassRule("vehicle.van", ((3.5, 6.5), (1.6, 2.5), (2.1, 2.9)), *_VAN),
    ClassRule("vehicle.truck", ((5.5, 12.0), (2.0, 3.0), (2.2, 4.0)), *_TRUCK),
)
# A static blob the size rules call a cyclist (or nothing) but whose shape is not one (lower
# than a rider, or as wide at the top as below): the rear or front of a car seen end-on, with
# a little of its side (parked cars far ahead). A car, its heading across the face.
STATIC_CAR_END = ClassRule("vehicle.car", ((1.2, 2.3), (0.0, 1.3), (0.8, 1.68)), *_CAR, face=True)
# A static line of a car's length and height that no rule takes: the side of a car seen
# from across the street, if it is lower at its ends than in the middle (the cabin; walls
# and people walking side by side are as long at the top as below).
STATIC_CAR_SIDE = ClassRule("vehicle.car", ((2.8, 5.6), (0.0, 1.0), (0.9, 1.65)), *_CAR)
# Moving tracks: the heading is the direction of travel, ranges are (along, across, height):
# a car seen from behind shows a wide face across its travel, a cyclist a long side along it.
MOVING_RULES: tuple[ClassRule, ...] = (
    ClassRule("vehicle.car", ((0.0, 5.6), (1.3, 2.3), (0.6, 2.1)), *_CAR),
    ClassRule("vehicle.car", ((2.4, 5.6), (0.3, 2.3), (0.6, 2.1)), *_CAR),
    ClassRule("vehicle.van", ((0.0, 6.5), (1.6, 2.5), (2.1, 2.9)), *_VAN),
    ClassRule("vehicle.truck", ((0.0, 12.0), (2.0, 3.0), (2.2, 4.0)), *_TRUCK),
    ClassRule("human.pedestrian.adult", ((0.0, 1.2), (0.2, 1.0), (1.0, 2.1)), *_PED),
    ClassRule("vehicle.cyclist", ((1.2, 2.4), (0.1, 1.1), (1.0, 2.1)), *_CYC),
)


@dataclass(frozen=True)
class PreannotateParams:
    max_range_m: float = 70.0
    min_height_m: float = 0.25  # above the local ground (kerbs, curbs, noise below)
    max_height_m: float = 4.0
    ground_cell_m: float = 2.0
    cluster_radius_m: float = 0.5
    z_squash: float = 0.3
    min_cluster_points: int = 8
    merge_radius_m: float = 0.9  # fragments this close form one object if it stays car-sized
    merge_max_lwh_m: tuple[float, float, float] = (5.6, 2.4, 2.2)
    max_footprint_m: float = 12.0  # clusters longer than this are walls, not objects
    # a cluster larger than this (length, width) is re-clustered with ``split_radius_m`` (two
    # touching objects); off by default: on the synthetic benchmark it found a few more cars
    # but cost precision and id switches (fragments in some frames only), e.g. (5.6, 2.3)
    split_min_lw_m: tuple[float, float] | None = None
    split_radius_m: float = 0.25
    min_track_frames: int = 2
    moving_min_travel_m: float = 1.0
    moving_min_speed_mps: float = 0.8
    max_yaw_dev_rad: float = math.radians(10.0)
    class_tolerance: float = 0.25  # extents may miss a class's ranges by this share (merged neighbours)
    # a cyclist is a rider on a bicycle: at least this tall (90th percentile of its frames)...
    cyclist_min_height_m: float = 1.6
    # ...and narrower at the top (the rider) than at wheel height (the bicycle), along its length
    cyclist_max_top_ratio: float = 0.6
    car_side_max_top_ratio: float = 0.8  # a car's cabin is shorter than its body
    static_rules: tuple[ClassRule, ...] = STATIC_RULES
    moving_rules: tuple[ClassRule, ...] = MOVING_RULES
    tracker: TrackerParams = TrackerParams()
    ground_method: str = "patchwork"
    # a track whose velocity after a gap in its observations differs from the one before by
    # more than this is two objects (a coasting parked car that caught a passing one): split
    split_speed_change_mps: float = 3.0
    # tracks of one class joined across a gap of up to this many frames when the later one
    # starts where the earlier one, extrapolated, would be (static: the boxes overlap)
    stitch_max_gap_frames: int = 10
    stitch_max_dist_m: float = 1.5
    stitch_min_static_iou: float = 0.3
    stitch_max_overlap_frames: int = 3  # ...or sharing up to this many frames (one object tracked twice)


@dataclass
class ClusterPayload:
    """What a detection keeps for the re-fit: its points about the sensor, the sensor
    position (world) and the local ground height (about the sensor)."""

    points_m: np.ndarray
    origin_m: np.ndarray
    ground_z_m: float


@dataclass
class AutoTrack:
    """A pre-annotated track: class, one box per frame, and which frames were observed."""

    category: str
    boxes: dict[int, Box]
    observed_frames: list[int]
    moving: bool
    attributes: dict[str, str] = field(default_factory=dict)


# -- per frame --------------------------------------------------------------------------
class GroundGrid:
    """Local ground height on a BEV grid (mean z of the ground points per cell; empty
    cells take their neighbours' mean, then the overall median)."""

    def __init__(self, xyz: np.ndarray, cell_m: float) -> None:
        self.cell_m = cell_m
        self._xyz = xyz
        self._tree = cKDTree(xyz[:, :2]) if len(xyz) else None
        self.fallback = float(np.median(xyz[:, 2])) if len(xyz) else 0.0
        if not len(xyz):
            self.origin, self.z = np.zeros(2), np.full((1, 1), self.fallback)
            return
        self.origin = xyz[:, :2].min(axis=0) - cell_m
        ij = ((xyz[:, :2] - self.origin) / cell_m).astype(np.int64)
        shape = tuple(ij.max(axis=0) + 2)
        flat = ij[:, 0] * shape[1] + ij[:, 1]
        total = np.bincount(flat, xyz[:, 2], minlength=shape[0] * shape[1])
        count = np.bincount(flat, minlength=shape[0] * shape[1])
        z = np.where(count > 0, total / np.maximum(count, 1), np.nan).reshape(shape)
        for _ in range(3):  # fill holes (under cars) from the neighbours
            if not np.isnan(z).any():
                break
            pad = np.pad(z, 1, constant_values=np.nan)
            stack = np.stack([pad[1 + di:1 + di + shape[0], 1 + dj:1 + dj + shape[1]]
                              for di in (-1, 0, 1) for dj in (-1, 0, 1)])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN neighbourhoods stay NaN
                mean = np.nanmean(stack, axis=0)
            z = np.where(np.isnan(z), mean, z)
        self.z = np.where(np.isnan(z), self.fallback, z)

    def local_height(self, xy: np.ndarray, radius_m: float = 3.0) -> float:
        """Median height of the ground points within ``radius_m`` (BEV) of one point: steadier
        under an object than the cell means (kerbs, sidewalks, stray points)."""
        if self._tree is not None:
            near = self._tree.query_ball_point(np.asarray(xy, dtype=np.float64)[:2], radius_m)
            if len(near) >= 5:
                return float(np.median(self._xyz[near, 2]))
        return float(self.height_at(np.asarray(xy)[None, :2])[0])

    def height_at(self, xy: np.ndarray) -> np.ndarray:
        ij = np.floor((np.atleast_2d(xy) - self.origin) / self.cell_m).astype(np.int64)
        inside = (ij >= 0).all(axis=1) & (ij[:, 0] < self.z.shape[0]) & (ij[:, 1] < self.z.shape[1])
        out = np.full(len(ij), self.fallback)
        out[inside] = self.z[ij[inside, 0], ij[inside, 1]]
        return out


def detect_frame(frame: Frame, segmenter: GroundSegmenter,
                 params: PreannotateParams = PreannotateParams()) -> list[Detection]:
    """Object candidates in one frame (world-frame boxes, cluster points kept)."""
    sensor_pts = frame.load_points()
    ground = segmenter.segment(np.ascontiguousarray(sensor_pts, dtype=np.float32))
    origin = frame.T_world_sensor[:3, 3].copy()
    pts = points_about(frame, origin, sensor_pts)
    grid = GroundGrid(pts[ground].astype(np.float64), params.ground_cell_m)
    height = pts[:, 2] - grid.height_at(pts[:, :2])
    rng = np.hypot(pts[:, 0], pts[:, 1])
    keep = (~ground & (height > params.min_height_m) & (height < params.max_height_m)
            & (rng < params.max_range_m) & np.isfinite(height))
    squashed = pts.copy()
    squashed[:, 2] *= params.z_squash
    fine = cluster_euclidean(squashed, params.cluster_radius_m, 1, mask=keep)
    coarse = cluster_euclidean(squashed, params.merge_radius_m, 1, mask=keep)
    out = []
    for idx in _groups(coarse):
        parts = [idx[sub] for sub in _groups(fine[idx])]
        if len(parts) > 1 and not any(_pole_like(pts[p], height[p]) for p in parts):
            fit = _fit(pts[idx], grid)
            if np.all(fit[3:6] <= np.asarray(params.merge_max_lwh_m)):
                parts = [idx]  # fragments of one object (bumper, body, roof between sparse beams)
        for part in [sub for part in parts for sub in _split_oversized(part, pts, squashed, grid, params)]:
            det = _detection(pts[part], grid, origin, params)
            if det is not None:
                out.append(det)
    return out


def _split_oversized(idx: np.ndarray, pts: np.ndarray, squashed: np.ndarray, grid: GroundGrid,
                     params: PreannotateParams) -> list[np.ndarray]:
    """A cluster whose box is larger than ``split_min_lw_m`` (if set) but no wall is re-clustered
    with the tighter ``split_radius_m``: touching objects (a car passing a parked one or a
    cyclist) come apart where a gap, however narrow, runs between them. Kept whole when it
    does not split into two or more parts of ``min_cluster_points``."""
    if params.split_min_lw_m is None or len(idx) < 2 * params.min_cluster_points:
        return [idx]
    extent = pts[idx, :2].max(axis=0) - pts[idx, :2].min(axis=0)
    if np.hypot(*extent) > params.max_footprint_m:
        return [idx]
    fit = _fit(pts[idx], grid)
    if fit[3] <= params.split_min_lw_m[0] and fit[4] <= params.split_min_lw_m[1]:
        return [idx]
    labels = cluster_euclidean(np.ascontiguousarray(squashed[idx]), params.split_radius_m, params.min_cluster_points)
    parts = [idx[sub] for sub in _groups(labels)]
    return parts if len(parts) >= 2 else [idx]


def _pole_like(cluster: np.ndarray, height_m: np.ndarray) -> bool:
    """A thin tall cluster (pole, post, sign): never merged with its neighbours."""
    extent = cluster[:, :2].max(axis=0) - cluster[:, :2].min(axis=0)
    return bool(np.hypot(*extent) < 0.5 and height_m.max() > 1.8)


def _groups(labels: np.ndarray) -> list[np.ndarray]:
    """Indices of each label >= 0 (ascending labels)."""
    valid = np.flatnonzero(labels >= 0)
    if not len(valid):
        return []
    order = valid[np.argsort(labels[valid], kind="stable")]
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    return np.split(order, cuts)


def _fit(cluster: np.ndarray, grid: GroundGrid) -> np.ndarray:
    ground_z = float(grid.height_at(cluster[:, :2].mean(axis=0)[None, :])[0])
    return fit_box(np.ascontiguousarray(cluster), ground_z_m=ground_z)


def _detection(cluster: np.ndarray, grid: GroundGrid, origin: np.ndarray,
               params: PreannotateParams) -> Detection | None:
    if len(cluster) < params.min_cluster_points:
        return None
    extent = cluster[:, :2].max(axis=0) - cluster[:, :2].min(axis=0)
    if np.hypot(*extent) > params.max_footprint_m:
        return None
    cluster = np.ascontiguousarray(cluster)
    ground_z = grid.local_height(cluster[:, :2].mean(axis=0))
    fit = fit_box(cluster, ground_z_m=ground_z)
    if fit[5] < 0.5 or fit[3] > params.max_footprint_m:
        return None
    return Detection(Box.from_array(fit).translated(origin), None, len(cluster),
                     ClusterPayload(cluster, origin, ground_z))


def classify_extent(extents_m: np.ndarray, rules: tuple[ClassRule, ...] = STATIC_RULES,
                    tolerance: float = 0.0) -> ClassRule | None:
    """The rule whose ranges the extents miss by the least (the first on a tie), if that
    relative miss is within ``tolerance``; else None (not an object)."""
    best, best_v = None, math.inf
    for rule in rules:
        v = rule.violation(extents_m)
        if v < best_v:
            best, best_v = rule, v
    return best if best_v <= tolerance else None


# -- per track ---------------------------------------------------------------------------
def finalize_track(state: TrackState, times_s: dict[int, float],
                   params: PreannotateParams = PreannotateParams()) -> AutoTrack | None:
    """Class, size, heading and per-frame boxes of a tracked object (None: no class fits)."""
    frames = sorted(state.observations)
    if len(frames) < params.min_track_frames:
        return None
    dets = [state.observations[f] for f in frames]
    centres = np.array([d.box.center_m for d in dets])
    t = np.array([times_s[f] for f in frames])
    travel = _travel_m(dets, centres[-1, :2] - centres[0, :2])
    speed = travel / max(t[-1] - t[0], 1e-6)
    moving = travel > params.moving_min_travel_m and speed > params.moving_min_speed_mps
    if moving:
        headings = _motion_headings(centres, t)
    else:
        weights = np.array([d.num_points for d in dets], dtype=np.float64)
        headings = np.full(len(dets), _axis_mean([d.box.yaw_rad for d in dets], weights))
    extents = np.array([_extent_along(d, yaw) for d, yaw in zip(dets, headings)])
    seen = _second_largest(extents)
    if moving:
        rule = classify_extent(seen, params.moving_rules, params.class_tolerance)
    else:
        seen = np.array([seen[:2].max(), seen[:2].min(), seen[2]])
        rule = classify_extent(seen, params.static_rules, params.class_tolerance)
        if rule is not None and rule.face:
            headings = headings + math.pi / 2  # a static face: the heading is across it
            seen = seen[[1, 0, 2]]
    if not moving and (rule is None or rule.category == "vehicle.cyclist"):
        shaped = _cyclist_shaped(dets, headings, params)
        if not shaped:
            # no rider: the end of a car seen end-on (with a little of its side)
            rule = classify_extent(seen, (STATIC_CAR_END,), 0.1)
            if rule is not None:
                headings = headings + math.pi / 2
                seen = seen[[1, 0, 2]]
    if not moving and rule is None and _top_ratio(dets, headings) < params.car_side_max_top_ratio:
        rule = classify_extent(seen, (STATIC_CAR_SIDE,), 0.05)
    if rule is None:
        return None
    size = rule.size_from(seen)
    boxes = {f: _refit(det, size, yaw, params) for f, det, yaw in zip(frames, dets, headings)}
    if not moving:
        boxes = _one_static_box(boxes, dets)
    return AutoTrack(rule.category, _fill_gaps(boxes, times_s), frames, moving, _attributes(rule.category, moving))


def _cyclist_shaped(dets: list[Detection], headings: np.ndarray, params: PreannotateParams) -> bool | None:
    """Whether a track looks like a rider on a bicycle rather than the end of a car: tall
    enough (90th percentile of the fitted heights), and, where the points show it, its top
    0.3 m (the rider) narrower along the heading than at 0.3..0.9 m (the wheels and frame).
    None: tall enough but the points do not show the profile."""
    heights = [d.box.size_lwh_m[2] for d in dets]
    tall = float(np.percentile(heights, 90)) >= params.cyclist_min_height_m
    ratio = _top_ratio(dets, headings)
    if not np.isfinite(ratio):
        return None if tall else False
    return tall and ratio <= params.cyclist_max_top_ratio


def _top_ratio(dets: list[Detection], headings: np.ndarray) -> float:
    """Median over the frames of the extent along the heading of the top 0.3 m of the points
    over that at 0.3..0.9 m above the ground (NaN where no frame shows both)."""
    ratios = []
    for d, yaw in zip(dets, headings):
        pts = d.payload.points_m
        z = pts[:, 2] - d.payload.ground_z_m
        top, low = pts[z > z.max() - 0.3, :2], pts[(z > 0.3) & (z < 0.9), :2]
        if len(top) >= 3 and len(low) >= 3:
            axis = np.array([math.cos(yaw), math.sin(yaw)])
            ratios.append(np.ptp(top @ axis) / max(float(np.ptp(low @ axis)), 0.05))
    return float(np.median(ratios)) if ratios else math.nan


def _travel_m(dets: list[Detection], direction: np.ndarray) -> float:
    """How far the object moved along ``direction``: the extent of all its points (world)
    less the extent of one frame's. Box centres alone shift while the sensor drives past
    a parked car (it shows its front, then its side, then its rear)."""
    norm = float(np.linalg.norm(direction))
    if norm < 1e-6:
        return 0.0
    axis = direction / norm
    lo, hi, single = np.inf, -np.inf, []
    for d in dets:
        u = (d.payload.points_m[:, :2].astype(np.float64) + d.payload.origin_m[:2]) @ axis
        lo, hi = min(lo, float(u.min())), max(hi, float(u.max()))
        single.append(float(np.ptp(u)))
    return max(0.0, hi - lo - float(np.percentile(single, 90)))


def _second_largest(values: np.ndarray) -> np.ndarray:
    """Per column: what the object shows at its best, robust to a merge with a neighbour:
    the 90th percentile from ten rows, else the second largest (the largest below three)."""
    if len(values) >= 10:
        return np.percentile(values, 90, axis=0)
    ordered = np.sort(values, axis=0)
    return ordered[-2] if len(values) >= 3 else ordered[-1]


def _extent_along(det: Detection, yaw_rad: float) -> np.ndarray:
    """The detection's extents along ``yaw_rad``, across it, and its height."""
    pts = det.payload.points_m[:, :2].astype(np.float64)
    c, s = math.cos(yaw_rad), math.sin(yaw_rad)
    u = pts @ np.array([c, s])
    v = pts @ np.array([-s, c])
    return np.array([np.ptp(u), np.ptp(v), det.box.size_lwh_m[2]])


def _attributes(category: str, moving: bool) -> dict[str, str]:
    if category.startswith("vehicle.") and category != "vehicle.cyclist":
        return {"motion": "vehicle.moving" if moving else "vehicle.parked"}
    if category.startswith("human.pedestrian"):
        return {"activity": "pedestrian.moving" if moving else "pedestrian.standing"}
    return {}


def _motion_headings(centres: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Direction of travel at each observation: the derivative of a polynomial fit of the
    centres over time (quadratic from six observations: a turning object), which smooths
    the centre shifts of changing views."""
    deg = 2 if len(t) >= 6 else 1
    tt = t - t.mean()
    px = np.polyfit(tt, centres[:, 0], deg)
    py = np.polyfit(tt, centres[:, 1], deg)
    vx = np.polyval(np.polyder(px), tt)
    vy = np.polyval(np.polyder(py), tt)
    return np.arctan2(vy, vx)


def _axis_mean(yaws_rad: list[float], weights: np.ndarray) -> float:
    """Weighted mean of axis directions (modulo pi)."""
    doubled = 2.0 * np.asarray(yaws_rad)
    s, c = float(np.sum(weights * np.sin(doubled))), float(np.sum(weights * np.cos(doubled)))
    return 0.5 * math.atan2(s, c)


def _refit(det: Detection, size: np.ndarray, yaw_rad: float, params: PreannotateParams) -> Box:
    """Re-fit the detection's points with the track's size and a yaw near ``yaw_rad``."""
    pay: ClusterPayload = det.payload
    prior = np.array([0.0, 0.0, 0.0, *size, yaw_rad])
    fit = fit_box(pay.points_m, ground_z_m=pay.ground_z_m, prior_box=prior, max_yaw_dev_rad=params.max_yaw_dev_rad)
    box = Box.from_array(fit).translated(pay.origin_m)
    if abs(angle_diff(box.yaw_rad, yaw_rad)) > math.pi / 2:
        box = box.flipped()
    return box


def _one_static_box(boxes: dict[int, Box], dets: list[Detection]) -> dict[int, Box]:
    """A static object gets one box in every frame: the point-weighted median fit."""
    frames = sorted(boxes)
    w = np.array([d.num_points for d in dets], dtype=np.float64)
    centres = np.array([boxes[f].center_m for f in frames])
    best = frames[int(np.argmax(w))]
    centre = np.array([_weighted_median(centres[:, k], w) for k in range(3)])
    box = boxes[best].with_center(centre)
    return {f: box for f in frames}


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, 0.5 * cum[-1])])


def _fill_gaps(boxes: dict[int, Box], times_s: dict[int, float]) -> dict[int, Box]:
    """Interpolate the frames between observations (a coasted occlusion)."""
    frames = sorted(boxes)
    missing = [f for f in range(frames[0], frames[-1] + 1) if f not in boxes]
    if not missing:
        return dict(boxes)
    filled = interpolate_boxes([times_s[f] for f in frames], [boxes[f] for f in frames],
                               [times_s[f] for f in missing])
    return {**boxes, **dict(zip(missing, filled))}


# -- the sequence ----------------------------------------------------------------------------
def preannotate_sequence(sequence: Sequence, params: PreannotateParams = PreannotateParams(),
                         progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                         frames: list[int] | None = None) -> list[AutoTrack]:
    """Detect, track and finalise the objects of a sequence (the project is not touched).

    ``progress(done, total)`` is called after each frame; ``cancel()`` is asked before each
    frame and raises :class:`PreannotationCancelled`."""
    indices = list(range(len(sequence))) if frames is None else list(frames)
    segmenter = GroundSegmenter(method=params.ground_method)
    tracker = MultiObjectTracker(params.tracker)
    times = {}
    total = len(indices) + 1
    for k, i in enumerate(indices):
        if cancel is not None and cancel():
            raise PreannotationCancelled(f"cancelled before frame {i}")
        frame = sequence[i]
        times[i] = frame.timestamp_s
        tracker.step(i, frame.timestamp_s, detect_frame(frame, segmenter, params))
        if progress is not None:
            progress(k + 1, total)
    states = split_inconsistent_tracks(tracker.tracks(), times, params)
    result = [a for a in (finalize_track(s, times, params) for s in states) if a is not None]
    result = drop_nested_tracks(stitch_tracks(result, times, params))
    if progress is not None:
        progress(total, total)
    return result


def _velocity(frames: list[int], centres: np.ndarray, times_s: dict[int, float]) -> np.ndarray | None:
    """Least-squares BEV velocity of a few observations (None from fewer than two)."""
    if len(frames) < 2:
        return None
    t = np.array([times_s[f] for f in frames])
    if np.ptp(t) <= 0:
        return None
    return np.array([np.polyfit(t - t.mean(), centres[:, k], 1)[0] for k in range(2)])


def split_inconsistent_tracks(states: list[TrackState], times_s: dict[int, float],
                              params: PreannotateParams = PreannotateParams(),
                              window: int = 10) -> list[TrackState]:
    """Cut each track at a gap in its observations where its velocity (a line fitted to up
    to ``window`` centres on each side) changes by more than ``split_speed_change_mps``: a
    coasting track that re-appeared on another object (a parked car, hidden by a passing car,
    whose prediction drifted onto the passing car). The parts keep the observations."""
    out: list[TrackState] = []
    next_id = max((s.track_id for s in states), default=-1) + 1
    for state in states:
        frames = sorted(state.observations)
        centres = np.array([state.observations[f].box.center_m[:2] for f in frames]).reshape(-1, 2)
        cuts = [0]
        for k in range(1, len(frames)):
            if frames[k] - frames[k - 1] < 2:
                continue
            lo, hi = max(cuts[-1], k - window), min(len(frames), k + window)
            before = _velocity(frames[lo:k], centres[lo:k], times_s)
            after = _velocity(frames[k:hi], centres[k:hi], times_s)
            if before is not None and after is not None and \
                    np.linalg.norm(after - before) > params.split_speed_change_mps:
                cuts.append(k)
        if len(cuts) == 1:
            out.append(state)
            continue
        for a, b in zip(cuts, cuts[1:] + [len(frames)]):
            obs = {f: state.observations[f] for f in frames[a:b]}
            last = frames[b - 1]
            part = TrackState(state.track_id if a == 0 else next_id, obs[last].box, times_s[last],
                              hits=len(obs), observations=obs, confirmed=True)
            next_id += a != 0
            out.append(part)
    return out


def stitch_tracks(tracks: list[AutoTrack], times_s: dict[int, float],
                  params: PreannotateParams = PreannotateParams(), window: int = 5) -> list[AutoTrack]:
    """Join tracks of one class and motion where one ends and the other starts within
    ``stitch_max_gap_frames`` frames, at the place the first one's motion (a line fitted to
    its last ``window`` observations) predicts within ``stitch_max_dist_m`` (plus 0.1 m per
    missed frame), or the later one's traced back to the end of the first; static tracks when
    their boxes overlap (BEV IoU >= ``stitch_min_static_iou``; two objects never overlap). The
    later track may start up to ``stitch_max_overlap_frames - 1`` frames before the first ends
    (one object tracked twice for a few frames: a fragment that lived on); on shared frames its
    boxes are kept. An occlusion longer than the tracker coasts through then keeps one id."""
    tracks = sorted(tracks, key=lambda t: t.observed_frames[0])
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(tracks):
            a_end = a.observed_frames[-1]
            best, best_d = None, math.inf
            for j, b in enumerate(tracks):
                b_start = b.observed_frames[0]
                gap = b_start - a_end
                if (j == i or b.category != a.category or b.moving != a.moving or b.observed_frames[-1] <= a_end
                        or not -params.stitch_max_overlap_frames < gap <= params.stitch_max_gap_frames):
                    continue
                if not a.moving:
                    iou = bev_iou(a.boxes[a_end], b.boxes[b_start])
                    d = 1.0 - iou if iou >= params.stitch_min_static_iou else math.inf
                else:
                    fa = a.observed_frames[-window:]
                    va = _velocity(fa, np.array([a.boxes[f].center_m[:2] for f in fa]), times_s)
                    fb = b.observed_frames[:window]
                    vb = _velocity(fb, np.array([b.boxes[f].center_m[:2] for f in fb]), times_s)
                    dt = times_s[b_start] - times_s[a_end]
                    d = math.inf  # the gap bridged by either track's motion (a short one's is noisy)
                    if va is not None:
                        d = float(np.linalg.norm(a.boxes[a_end].center_m[:2] + va * dt - b.boxes[b_start].center_m[:2]))
                    if vb is not None:
                        d = min(d, float(np.linalg.norm(b.boxes[b_start].center_m[:2] - vb * dt
                                                        - a.boxes[a_end].center_m[:2])))
                    steady = len(fa) >= 4 and len(fb) >= 4
                    if d > params.stitch_max_dist_m + 0.1 * max(gap, 0) or (
                            steady and np.linalg.norm(va - vb) > params.split_speed_change_mps):
                        d = math.inf
                if d < best_d:
                    best, best_d = j, d
            if best is not None:
                b = tracks[best]
                if a.moving:
                    boxes = {**a.boxes, **b.boxes}
                else:  # one box for a static object: the one seen in more frames
                    main = a if len(a.observed_frames) >= len(b.observed_frames) else b
                    box = main.boxes[main.observed_frames[0]]
                    boxes = {f: box for f in range(min(a.boxes), max(b.boxes) + 1)}
                observed = sorted(set(a.observed_frames) | set(b.observed_frames))
                tracks[i] = AutoTrack(a.category, _fill_gaps(boxes, times_s), observed,
                                      a.moving, a.attributes)
                del tracks[best]
                merged = True
                break
    return tracks


def drop_nested_tracks(tracks: list[AutoTrack], min_share: float = 0.5, margin_m: float = 0.3,
                       min_iou: float = 0.2) -> list[AutoTrack]:
    """Drop a track whose box centre lies inside the box of a longer (or, as long, larger)
    track, or whose box overlaps it by BEV IoU >= ``min_iou`` (two objects never overlap),
    in at least ``min_share`` of its frames: a fragment of that object (a car's cabin
    tracked apart)."""
    order = sorted(tracks, key=lambda t: (-len(t.observed_frames), -float(np.prod(next(iter(t.boxes.values())).size_lwh_m))))
    kept: list[AutoTrack] = []
    for t in order:
        frames = sorted(t.boxes)
        nested = False
        for big in kept:
            inside = sum(1 for f in frames if f in big.boxes and (
                bool(big.boxes[f].contains(t.boxes[f].center_m[None, :], margin_m)[0])
                or bev_iou(big.boxes[f], t.boxes[f]) >= min_iou))
            if inside >= min_share * len(frames):
                nested = True
                break
        if not nested:
            kept.append(t)
    return [t for t in tracks if any(t is k for k in kept)]


def preannotation_command(project: Project, auto_tracks: list[AutoTrack], replace_auto: bool = True) -> Command:
    """One command adding the tracks as ``auto`` boxes; with ``replace_auto`` the tracks
    that hold only unreviewed ``auto`` boxes (an earlier pre-annotation) are removed."""
    changes: list[Change] = []
    if replace_auto:
        for token in project.tracks:
            anns = project.annotations_of_track(token)
            if anns and all(a.source == Source.AUTO and a.review_state == "unreviewed" for a in anns):
                changes += [Change(a, None) for a in anns]
                changes.append(Change(project.track(token), None))
    number = project.next_track_number()
    for k, auto in enumerate(auto_tracks):
        track = Track(new_token(), auto.category, number + k)
        changes.append(Change(None, track))
        for f, box in sorted(auto.boxes.items()):
            changes.append(Change(None, Annotation(new_token(), track.token, f, box, auto.attributes, Source.AUTO)))
    return Command(f"Pre-annotate ({len(auto_tracks)} tracks)", changes)


def preannotate(project: Project, params: PreannotateParams = PreannotateParams(),
                progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> list[AutoTrack]:
    """Pre-annotate the project's sequence and add the result as one undo step."""
    tracks = preannotate_sequence(project.sequence, params, progress, cancel)
    project.execute(preannotation_command(project, tracks))
    return tracks
