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
from typing import Callable

import numpy as np

from ..kernels import GroundSegmenter, cluster_euclidean, fit_box
from ..model import Annotation, Box, Change, Command, Frame, Project, Sequence, Source, Track, angle_diff, new_token
from .classify import (
    MOVING_RULES, STATIC_CAR_END, STATIC_CAR_SIDE, STATIC_RULES, ClassRule, ClusterPayload, PreannotateParams,
    attributes_for, cyclist_shaped, extent_along, top_ratio, classify_extent,
)
from .object_view import points_about
from .track_cleanup import AutoTrack, fill_gaps, drop_nested_tracks, split_inconsistent_tracks, stitch_tracks
from .tracker import Detection, MultiObjectTracker, TrackState

__all__ = [
    "MOVING_RULES", "STATIC_CAR_END", "STATIC_CAR_SIDE", "STATIC_RULES", "AutoTrack", "ClassRule", "ClusterPayload",
    "GroundGrid", "PreannotateParams", "PreannotationCancelled", "classify_extent", "detect_frame",
    "drop_nested_tracks", "finalize_track", "preannotate", "preannotate_sequence", "preannotation_command",
    "split_inconsistent_tracks", "stitch_tracks",
]

ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]


class PreannotationCancelled(Exception):
    """``cancel()`` returned True; nothing was changed."""



# -- per frame --------------------------------------------------------------------------
def _neighbour_min(z: np.ndarray, reach: int) -> np.ndarray:
    """The lowest cell value within ``reach`` cells (NaN: no value)."""
    pad = np.pad(z, reach, constant_values=np.inf)
    pad = np.where(np.isnan(pad), np.inf, pad)
    out = np.full(z.shape, np.inf)
    for di in range(2 * reach + 1):
        for dj in range(2 * reach + 1):
            out = np.minimum(out, pad[di:di + z.shape[0], dj:dj + z.shape[1]])
    return np.where(np.isfinite(out), out, np.nan)


class GroundGrid:
    """Local ground height on a BEV grid (mean z of the ground points per cell; empty
    cells take their neighbours' mean, then the overall median or, with ``far_from_plane``, the
    road plane through the ground near the sensor, extrapolated (``road_plane``; also beyond the
    grid): past the measured ground, a street climbing 3 % lies 3 m higher at 100 m than at the
    sensor, and the median is the sensor's road)."""

    def __init__(self, xyz: np.ndarray, cell_m: float, max_step_m: float | None = None,
                 max_grade: float | None = None, grade_reach_m: float = 10.0, far_from_plane: bool = False) -> None:
        self.cell_m = cell_m
        self._far_from_plane = far_from_plane
        self._xyz = xyz
        from scipy.spatial import cKDTree  # deferred: not needed for the first frame

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
        if max_step_m is not None:
            z = np.where(z > _neighbour_min(z, 2) + max_step_m, np.nan, z)
            if max_grade is not None:  # no road climbs faster than ``max_grade`` from a lower cell
                reach = max(3, int(round(grade_reach_m / cell_m)))
                rise = max_step_m + max_grade * math.sqrt(2.0) * reach * cell_m
                z = np.where(z > _neighbour_min(z, reach) + rise, np.nan, z)
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
        empty = np.isnan(z)
        self.z = np.where(empty, self.fallback, z)
        if max_step_m is not None:  # the points of a rejected cell are no ground for local_height either
            low = xyz[:, 2] <= self.height_at(xyz[:, :2]) + max_step_m
            self._xyz = xyz[low]
            self._tree = cKDTree(self._xyz[:, :2]) if len(self._xyz) else None
        if far_from_plane and empty.any() and self.road_plane is not None:
            self.z[empty] = self._plane_at(self.origin + (np.argwhere(empty) + 0.5) * cell_m)

    def local_height(self, xy: np.ndarray, radius_m: float = 3.0) -> float:
        """Median height of the ground points within ``radius_m`` (BEV) of one point: steadier
        under an object than the cell means (kerbs, sidewalks, stray points)."""
        if self._tree is not None:
            near = self._tree.query_ball_point(np.asarray(xy, dtype=np.float64)[:2], radius_m)
            if len(near) >= 5:
                return float(np.median(self._xyz[near, 2]))
        return float(self.height_at(np.asarray(xy)[None, :2])[0])

    @property
    def ground_points(self) -> np.ndarray:
        """The ground points the grid was built from, less those of rejected cells (N, 3)."""
        return self._xyz

    def measured_within(self, xy: np.ndarray, radius_m: float) -> int:
        """How many (kept) ground points lie within ``radius_m`` (BEV) of one point."""
        if self._tree is None:
            return 0
        return int(self._tree.query_ball_point(np.asarray(xy, dtype=np.float64)[:2], radius_m, return_length=True))

    @property
    def road_plane(self) -> np.ndarray | None:
        """The road plane through the ground near the sensor (``road_plane.fit_road_plane``)."""
        if not hasattr(self, "_road_plane"):
            from .road_plane import fit_road_plane

            self._road_plane = fit_road_plane(self._xyz)
        return self._road_plane

    def _plane_at(self, xy: np.ndarray) -> np.ndarray:
        from .road_plane import road_height

        return road_height(self.road_plane, xy)

    def height_at(self, xy: np.ndarray) -> np.ndarray:
        xy = np.atleast_2d(xy)
        ij = np.floor((xy - self.origin) / self.cell_m).astype(np.int64)
        inside = (ij >= 0).all(axis=1) & (ij[:, 0] < self.z.shape[0]) & (ij[:, 1] < self.z.shape[1])
        out = np.full(len(ij), self.fallback)
        if self._far_from_plane and not inside.all() and self.road_plane is not None:
            out[~inside] = self._plane_at(xy[~inside])  # beyond the grid: the road plane, as its empty cells
        out[inside] = self.z[ij[inside, 0], ij[inside, 1]]
        return out


def detect_frame(frame: Frame, segmenter: GroundSegmenter,
                 params: PreannotateParams = PreannotateParams()) -> list[Detection]:
    """Object candidates in one frame (world-frame boxes, cluster points and intensity kept)."""
    from .scored import sensor_intensity

    sensor_pts = frame.load_points()
    intensity = sensor_intensity(sensor_pts)
    ground = segmenter.segment(np.ascontiguousarray(sensor_pts, dtype=np.float32))
    origin = frame.T_world_sensor[:3, 3].copy()
    pts = points_about(frame, origin, sensor_pts)
    grid = local_ground(pts, ground, params)
    height = pts[:, 2] - grid.height_at(pts[:, :2])
    rng = np.hypot(pts[:, 0], pts[:, 1])
    keep = (not_ground(ground, height, params) & (height > params.min_height_m) & (height < params.max_height_m)
            & (rng < (params.far_max_range_m or params.max_range_m)) & np.isfinite(height))
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
            det = _detection(pts[part], grid, origin, params, None if intensity is None else intensity[part])
            if det is not None:
                out.append(det)
            if params.merged_parts:
                out += _merged_parts(part, pts, height, grid, origin, params, intensity)
    return out


def _merged_parts(part: np.ndarray, pts: np.ndarray, height: np.ndarray, grid: GroundGrid, origin: np.ndarray,
                  params: PreannotateParams, intensity: np.ndarray | None) -> list[Detection]:
    """Extra candidates: the car-sized parts of a cluster larger or taller than a car (``merged_parts``)."""
    from .merged_parts import car_prior, car_sized_parts, needs_parts

    if len(part) < 2 * params.min_cluster_points:
        return []
    extent = pts[part, :2].max(axis=0) - pts[part, :2].min(axis=0)
    if np.hypot(*extent) > params.max_footprint_m:
        return []
    prior = car_prior()
    if not needs_parts(pts[part], height[part], _fit(pts[part], grid), prior):
        return []
    out = []
    for sub in car_sized_parts(pts[part], height[part], params.cluster_radius_m, params.min_cluster_points,
                               params.z_squash, prior):
        idx = part[sub]
        det = _detection(pts[idx], grid, origin, params, None if intensity is None else intensity[idx])
        if det is not None:
            out.append(det)
    return out


def local_ground(pts: np.ndarray, ground: np.ndarray, params: PreannotateParams) -> GroundGrid:
    """The ground grid of a frame's points (about the sensor) from the segmenter's ground."""
    return GroundGrid(pts[ground].astype(np.float64), params.ground_cell_m, params.ground_max_step_m,
                      params.ground_max_grade, far_from_plane=params.ground_far_from_plane)


def not_ground(ground: np.ndarray, height_m: np.ndarray, params: PreannotateParams) -> np.ndarray:
    """Points that may belong to an object: not ground, or called ground by the segmenter but
    more than ``ground_readmit_m`` above the local ground grid (``height_m``)."""
    if params.ground_readmit_m is None:
        return ~ground
    return ~ground | (height_m > params.ground_readmit_m)


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


def _min_points(cluster: np.ndarray, params: PreannotateParams) -> int:
    """Points a candidate needs: ``far_min_points`` beyond ``far_from_m`` on the far path."""
    if params.far_max_range_m is None or len(cluster) >= params.min_cluster_points:
        return params.min_cluster_points
    centre = cluster[:, :2].mean(axis=0)
    return params.far_min_points if float(np.hypot(*centre)) >= params.far_from_m else params.min_cluster_points


def _detection(cluster: np.ndarray, grid: GroundGrid, origin: np.ndarray,
               params: PreannotateParams, intensity: np.ndarray | None = None) -> Detection | None:
    if len(cluster) < _min_points(cluster, params):
        return None
    extent = cluster[:, :2].max(axis=0) - cluster[:, :2].min(axis=0)
    if np.hypot(*extent) > params.max_footprint_m:
        return None
    cluster = np.ascontiguousarray(cluster)
    ground_z = grid.local_height(cluster[:, :2].mean(axis=0))
    fit = fit_box(cluster, ground_z_m=ground_z)
    if fit[5] < 0.5 or fit[3] > params.max_footprint_m:
        return None
    from .road_plane import clearance_m
    from .scored import ScoredPayload

    support = grid.measured_within(cluster[:, :2].mean(axis=0), params.road_support_radius_m)
    clearance = clearance_m(cluster, grid.road_plane) if support < params.road_min_support else math.nan
    return Detection(Box.from_array(fit).translated(origin), None, len(cluster),
                     ScoredPayload(cluster, origin, ground_z, intensity, road_support=support,
                                   road_clearance_m=clearance))


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
    extents = np.array([extent_along(d, yaw) for d, yaw in zip(dets, headings)])
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
        shaped = cyclist_shaped(dets, headings, params)
        if not shaped:
            # no rider: the end of a car seen end-on (with a little of its side)
            rule = classify_extent(seen, (STATIC_CAR_END,), 0.1)
            if rule is not None:
                headings = headings + math.pi / 2
                seen = seen[[1, 0, 2]]
    if not moving and rule is None and top_ratio(dets, headings) < params.car_side_max_top_ratio:
        rule = classify_extent(seen, (STATIC_CAR_SIDE,), 0.05)
    if rule is None:
        return None
    size = rule.size_from(seen)
    boxes = {f: _refit(det, size, yaw, params) for f, det, yaw in zip(frames, dets, headings)}
    if not moving:
        boxes = _one_static_box(boxes, dets)
    return AutoTrack(rule.category, fill_gaps(boxes, times_s), frames, moving, attributes_for(rule.category, moving))


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



# -- the sequence ----------------------------------------------------------------------------
def preannotate_sequence(sequence: Sequence, params: PreannotateParams = PreannotateParams(),
                         progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                         frames: list[int] | None = None) -> list[AutoTrack]:
    """Detect, track and finalise the objects of a sequence (the project is not touched).

    ``progress(done, total)`` is called after each frame; ``cancel()`` is asked before each
    frame and raises :class:`PreannotationCancelled`."""
    if params.use_scorer:
        from .scored_pipeline import preannotate_scored

        return preannotate_scored(sequence, params, progress, cancel, frames)
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
        track = Track(new_token(), auto.category, number + k, score=auto.score)
        changes.append(Change(None, track))
        for f, box in sorted(auto.boxes.items()):
            changes.append(Change(None, Annotation(new_token(), track.token, f, box, auto.attributes, Source.AUTO,
                                                   score=auto.score)))
    return Command(f"Pre-annotate ({len(auto_tracks)} tracks)", changes)


def preannotate(project: Project, params: PreannotateParams = PreannotateParams(),
                progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> list[AutoTrack]:
    """Pre-annotate the project's sequence and add the result as one undo step."""
    tracks = preannotate_sequence(project.sequence, params, progress, cancel)
    project.execute(preannotation_command(project, tracks))
    return tracks
