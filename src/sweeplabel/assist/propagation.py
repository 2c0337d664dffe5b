"""Propagation of a track to the next frames as single-object tracking (world frame).

Each step predicts the box with the track's motion (constant velocity and turn rate from
its last boxes before the start, least squares when there are many; with no motion known
yet, the last box; in a sequence without poses, the last box moved by the shift of the
static scene around it, ``scene_shift``), searches the points in a region around the
prediction that grows with the uncertainty (the default margin with a known motion, as far
as the class can move in the frame gap without; then a near search wins unless it holds a
fragment), puts the box's bottom on the local ground (a grid ground fit in a
ring around the box), takes the cluster that best matches the prediction, and fits it
with the track's size and a yaw window around the prediction, anchored on the faces seen
from the sensor (L-shape); with a known motion a rigid box stays at the predicted position
along its heading as far as it still covers the points (``box_support``: the unseen end of an
object no longer slides it). The fit is accepted when it explains the points (the box holds
most points around it) and stays near the prediction; otherwise the run stops with a flag:
too few points, a jump too large, a low BEV IoU with the prediction, or a box that misses
the points. Where the run stops, the prediction is written and flagged (``STOP_ATTRIBUTE``): a
parked car too far or too hidden to measure is where it was, in a sequence with poses. With
poses, an object too sparse to fit in its keyframe (< ``min_points`` in its box) whose unmoved
box holds at least as many points in the next sweep is kept there unflagged (no news). A
stationary track (in a sequence with poses) stays exactly put while its fits agree with it.
The whole run is one command (one undo step)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence as Seq

import numpy as np

from ..kernels import GridGroundParams, cluster_euclidean, fit_box, points_in_boxes, segment_ground
from ..model import Annotation, Box, Change, Command, Frame, Project, Source, angle_diff, frame_number, new_token
from ..model.entities import ReviewState
from .box_support import held_along_axis
from .iou import bev_iou
from .motion import Motion, estimate_motion
from .object_view import box_about, grown, points_about
from .scene_shift import scene_shift_m

LATERAL_WEIGHT = 3.0  # a vehicle's offset across its heading weighs this much more than along it
MAX_SIDESTEP_M = 1.0  # ... and is at most this (+ half its width: a one-sided view's centroid) in a wide search
SCENE_RADIUS_M = 12.0  # the static scene around a box matched between frames without poses
STOP_ATTRIBUTE = "propagation_stop"  # set on the last propagated box when a run stops on a poor fit
STOP_STATUSES = ("too_few_points", "poor_fit", "moved")  # a run stops there and writes the prediction, flagged


@dataclass(frozen=True)
class PropagationParams:
    """Thresholds of the re-fit and of the stop test (metres, radians)."""

    search_margin_m: float = 1.0  # the region searched around the predicted box
    ground_clearance_m: float = 0.25  # points lower than this above the box bottom are ground
    cluster_radius_m: float = 0.6
    z_squash: float = 0.3  # z is scaled by this for clustering (sparse beams are far apart vertically)
    max_yaw_dev_rad: float = math.radians(10.0)
    min_points: int = 8
    max_jump_m: float = 1.5
    min_bev_iou: float = 0.4
    stationary_speed_mps: float = 0.3
    velocity_gain: float = 0.6  # weight of each new fit in the velocity estimate
    history: int = 8  # boxes (keyframes, earlier propagated or pre-annotated ones) for the motion estimate
    moving_speed_mps: float = 1.5  # faster: the yaw window narrows (cars move along their heading)
    moving_yaw_dev_rad: float = math.radians(4.0)
    yaw_gain: float = 0.5  # share of the fitted yaw change taken per frame
    min_explained: float = 0.5  # share of the points around the fitted box that it must hold
    max_scene_shift_m: float = 8.0  # without poses: how far the ego may carry the scene between frames
    keep_margin_m: float = 0.4  # with a known motion, object points lie this close to the prediction (40 % sideways)


@dataclass(frozen=True)
class StepFit:
    """One frame of a propagation run."""

    frame_index: int
    predicted: Box
    box: Box | None  # the box written: the fit, or the prediction ("kept"; a stop: flagged)
    num_points: int
    jump_m: float
    bev_iou_pred: float
    status: str  # "fitted" | "kept" (stationary, prediction kept) | a stop code (``STOP_STATUSES``)

    @property
    def stopped(self) -> bool:
        """The run stopped here: the prediction is written, flagged (``STOP_ATTRIBUTE``)."""
        return self.status in STOP_STATUSES


@dataclass
class PropagationReport:
    """What a run did; ``command`` writes the accepted boxes (one undo step)."""

    track_token: str
    start_frame: int
    steps: list[StepFit]
    stop_reason: str | None  # None: all requested frames were propagated
    stop_frame: int | None
    command: Command

    @property
    def accepted(self) -> list[StepFit]:
        return [s for s in self.steps if s.box is not None]

    @property
    def flagged(self) -> bool:
        return self.stop_reason is not None and self.stop_reason not in ("end_of_sequence", "keyframe")

    def summary(self) -> str:
        text = f"propagated {len(self.accepted)} frame(s) from frame {frame_number(self.start_frame)}"
        if self.stop_reason:
            text += f"; stopped at frame {frame_number(self.stop_frame)}: {self.stop_reason}"
        return text


def refit_box(frame: Frame, predicted: Box, params: PropagationParams = PropagationParams(),
              points: np.ndarray | None = None, max_yaw_dev_rad: float | None = None,
              yaw_gain: float = 1.0, keep_margin_m: float | None = None,
              search_margin_m: float | None = None) -> tuple[Box | None, int]:
    """``fit_step`` without the explained share: ``(box or None, number of object points used)``."""
    box, n, _ = fit_step(frame, predicted, params, points, max_yaw_dev_rad, yaw_gain, keep_margin_m, search_margin_m)
    return box, n


def fit_step(frame: Frame, predicted: Box, params: PropagationParams = PropagationParams(),
             points: np.ndarray | None = None, max_yaw_dev_rad: float | None = None,
             yaw_gain: float = 1.0, keep_margin_m: float | None = None,
             search_margin_m: float | None = None, bottom_offset_m: float = 0.0,
             centre_on_points: bool = False, top_gap_m: float | None = None,
             hold_along: bool = False) -> tuple[Box | None, int, float]:
    """Fit the track's box (size of ``predicted`` kept) to the points near the prediction.

    The points are searched within ``search_margin_m`` (default ``params.search_margin_m``)
    of the predicted footprint, above the local ground (a grid ground fit around the box;
    the box's bottom is put on it) and below the box's top; the object is the cluster that
    best matches the prediction (most points, nearest), with the clusters lying mostly in a
    first fit to it (sparse beams split a car into bumper, hood and roof). The yaw is
    searched within ``max_yaw_dev_rad`` of the prediction and moved by ``yaw_gain`` of the
    way to the fit; the box is anchored on the faces seen from the sensor (L-shape). With
    ``keep_margin_m`` only the object's points within that margin of the prediction count
    (a good motion model then keeps a touching neighbour out of the fit). The box's bottom
    goes ``bottom_offset_m`` above the local ground (``start_bottom_offset_m``: where the
    track's keyframe has it; ``predicted`` is taken to have it too). ``centre_on_points``: the
    box is centred on the points' bird's-eye centroid instead (a person has no faces to anchor
    on; given their points, the centroid is 0.06-0.16 m from the true centre against 0.11-0.43 m
    for the face fit on the people of four real sets, benchmarks/README.md). ``top_gap_m``: the box's top goes this far
    above the object's highest point (``start_top_gap_m``; a person's head is seen in every sweep,
    the ground around a person often is not). ``hold_along`` (a known motion, a rigid object):
    along its heading the box stays at the prediction as far as it still covers the object's
    points (``box_support.held_along_axis``): a far van's missed bumper or a car's hidden end
    no longer slides the fit to the nearest seen face.
    Returns ``(box or None, number of object points used, explained)``: the share of the
    region's points within 0.5 m of the box that lie in it (+ 0.1 m; low: the box misses
    part of the object)."""
    origin = frame.T_world_sensor[:3, 3]  # fit_box anchors on the faces seen from the origin
    margin = params.search_margin_m if search_margin_m is None else float(search_margin_m)
    pred = box_about(predicted, origin).translated(np.array([0.0, 0.0, -bottom_offset_m]))  # on the road
    pts = points_about(frame, origin, _sensor_crop(frame, predicted, margin + 4.0, points))
    pts = _crop_about(pts, pred, margin + 3.0)
    if len(pts) < params.min_points:
        return None, len(pts), 0.0
    bottom = _local_ground_z(pts, pred, max(0.4, 0.12 * margin))  # a longer search: more slope
    pred = pred.with_center([pred.center_m[0], pred.center_m[1], bottom + 0.5 * pred.size_lwh_m[2]])
    lo, hi = bottom + params.ground_clearance_m, bottom + pred.size_lwh_m[2] + 0.5
    region = Box([pred.center_m[0], pred.center_m[1], 0.5 * (lo + hi)],
                 pred.size_lwh_m[:2].tolist() + [hi - lo], pred.yaw_rad)
    region = region.with_size(region.size_lwh_m + np.array([2 * margin] * 2 + [0.0]))
    inside = points_in_boxes(pts, region.to_array()[None, :])[0] >= 0
    if int(inside.sum()) < params.min_points:
        return None, int(inside.sum()), 0.0
    idx = _object_cluster(pts, inside, pred, params, margin)
    if keep_margin_m is not None and len(idx):
        keep = pred.with_size(pred.size_lwh_m + 2.0 * np.array([keep_margin_m, 0.4 * keep_margin_m, keep_margin_m]))
        idx = idx[points_in_boxes(pts[idx], keep.to_array()[None, :])[0] >= 0]
    if len(idx) < params.min_points:
        return None, len(idx), 0.0
    dev = params.max_yaw_dev_rad if max_yaw_dev_rad is None else max_yaw_dev_rad
    bottom += bottom_offset_m
    fit = fit_box(np.ascontiguousarray(pts[idx]), ground_z_m=float(bottom), prior_box=pred.to_array(),
                  max_yaw_dev_rad=dev)
    if margin > params.search_margin_m + 0.5:  # a wide search: gather the object's other parts around the first fit
        on_road = Box.from_array(fit).translated(np.array([0.0, 0.0, -bottom_offset_m]))
        bottom = _local_ground_z(pts, on_road, max(0.4, 0.12 * margin)) + bottom_offset_m  # the ground where it is
        fit[2] = bottom + 0.5 * fit[5]
        near = inside & (points_in_boxes(pts, grown(Box.from_array(fit), 0.3).to_array()[None, :])[0] >= 0)
        if int(near.sum()) >= len(idx):
            idx = np.flatnonzero(near)
            fit = fit_box(np.ascontiguousarray(pts[idx]), ground_z_m=float(bottom), prior_box=fit, max_yaw_dev_rad=dev)
    obj = np.ascontiguousarray(pts[idx])
    if yaw_gain < 1.0:
        prior = pred.with_yaw(pred.yaw_rad + yaw_gain * angle_diff(float(fit[6]), pred.yaw_rad))
        prior = prior.with_center(fit[:3])
        fit = fit_box(obj, ground_z_m=float(bottom), prior_box=prior.to_array(), max_yaw_dev_rad=0.0)
    if centre_on_points:
        fit[:2] = obj[:, :2].astype(np.float64).mean(axis=0)
    if top_gap_m is not None:
        fit[2] = float(obj[:, 2].max()) + top_gap_m - 0.5 * fit[5]
    box = Box.from_array(fit)
    if hold_along and not centre_on_points:
        box = held_along_axis(box, pred, obj)
    near = inside & (points_in_boxes(pts, grown(box, 0.5).to_array()[None, :])[0] >= 0)
    held = near & (points_in_boxes(pts, grown(box, 0.1).to_array()[None, :])[0] >= 0)
    explained = float(held.sum()) / max(int(near.sum()), 1)
    return box.translated(origin), len(idx), explained


def start_bottom_offset_m(frame: Frame, box: Box, points: np.ndarray | None = None) -> float:
    """How far the bottom of ``box`` (a keyframe) lies above the local ground of its frame
    (``_local_ground_z``; 0 where too little ground is seen or it steps 0.4 m or more).
    Labelling conventions differ (10 % of SUSTechPOINTS' boxes reach 0.34 m or more below the
    measured road); propagation keeps the annotator's choice as it keeps the box's size."""
    origin = frame.T_world_sensor[:3, 3]
    local = box_about(box, origin)
    pts = _crop_about(points_about(frame, origin, _sensor_crop(frame, box, 3.0, points)), local, 2.0)
    road = _local_ground_z(pts, local) if len(pts) else float(local.center_m[2] - 0.5 * local.size_lwh_m[2])
    return float(local.center_m[2] - 0.5 * local.size_lwh_m[2]) - road


def start_top_gap_m(frame: Frame, box: Box, params: PropagationParams = PropagationParams(),
                    points: np.ndarray | None = None) -> float | None:
    """How far the top of ``box`` (a keyframe) lies above the highest of its points (the
    points in it, 0.1 m grown, above its lowest ``ground_clearance_m``); None with fewer
    than ``params.min_points``. On the people of five real sets this gap is 0.06-0.16 m
    (median; the quartiles within 0.08 m of it), the ground around them strays > 0.2 m in
    10-38 % of the boxes of SUSTechPOINTS and Argoverse 2."""
    origin = frame.T_world_sensor[:3, 3]
    local = box_about(box, origin)
    pts = points_about(frame, origin, _sensor_crop(frame, box, 0.5, points))
    inside = points_in_boxes(pts, grown(local, 0.1).to_array()[None, :])[0] >= 0
    bottom = float(local.center_m[2] - 0.5 * local.size_lwh_m[2])
    z = pts[inside, 2]
    z = z[z > bottom + params.ground_clearance_m]
    if len(z) < params.min_points:
        return None
    return bottom + float(local.size_lwh_m[2]) - float(z.max())


def points_held(frame: Frame, box: Box, points: np.ndarray | None = None) -> int:
    """How many of the frame's points (sensor frame; all of them or a crop about ``box``) lie in
    ``box`` (world)."""
    origin = frame.T_world_sensor[:3, 3]
    pts = points_about(frame, origin, _sensor_crop(frame, box, 0.5, points))
    return int((points_in_boxes(pts, box_about(box, origin).to_array()[None, :])[0] >= 0).sum())


def _sensor_crop(frame: Frame, box_world: Box, margin_m: float, points: np.ndarray | None) -> np.ndarray:
    """The sensor-frame points within the box's half diagonal + ``margin_m`` of its centre
    (cut before the world transform: a sweep has 100k+ points, the box a few hundred)."""
    pts = frame.load_points() if points is None else points
    T = frame.T_world_sensor
    c = T[:3, :3].T @ (box_world.center_m - T[:3, 3])
    r = 0.5 * float(np.linalg.norm(box_world.size_lwh_m)) + margin_m
    d2 = (pts[:, 0] - np.float32(c[0])) ** 2 + (pts[:, 1] - np.float32(c[1])) ** 2 + \
        (0.25 * (pts[:, 2] - np.float32(c[2]))) ** 2  # z counts little: a tilted sensor
    return np.compress(d2 <= np.float32(r * r), pts, axis=0)  # compress: ~8x faster than a boolean row index


def _crop_about(pts: np.ndarray, pred: Box, margin_m: float) -> np.ndarray:
    """The points within the box's half diagonal + ``margin_m`` (BEV) of its centre."""
    r = 0.5 * float(np.hypot(*pred.size_lwh_m[:2])) + margin_m
    d2 = (pts[:, 0] - pred.center_m[0]) ** 2 + (pts[:, 1] - pred.center_m[1]) ** 2
    return np.ascontiguousarray(np.compress(d2 <= r * r, pts, axis=0))


def _local_ground_z(pts: np.ndarray, pred: Box, max_step_m: float = 0.4) -> float:
    """The ground under the box: the median of a grid ground fit's points in a 1.5 m ring
    around the box's footprint (under the box the ground is hidden or the object's own
    bottom); the box's own bottom where too little ground is seen or it steps by more than
    ``max_step_m`` (a wall, a roof or a kerb, not the road)."""
    own = float(pred.center_m[2] - 0.5 * pred.size_lwh_m[2])
    ground = segment_ground(pts, method="grid", params=GridGroundParams(cell_m=1.0, above_min_m=0.2))
    flat = [pred.center_m[0], pred.center_m[1], own]
    ring = Box(flat, pred.size_lwh_m[:2].tolist() + [1e3], pred.yaw_rad)
    outer = points_in_boxes(pts, ring.with_size(ring.size_lwh_m + [3.0, 3.0, 0.0]).to_array()[None, :])[0] >= 0
    under = points_in_boxes(pts, ring.with_size(ring.size_lwh_m + [0.4, 0.4, 0.0]).to_array()[None, :])[0] >= 0
    near = ground & outer & ~under
    if int(near.sum()) < 5:
        return own
    z = float(np.median(pts[near, 2]))
    return z if abs(z - own) < max_step_m else own


def _object_cluster(pts: np.ndarray, inside: np.ndarray, pred: Box, params: PropagationParams,
                    margin_m: float | None = None) -> np.ndarray:
    """Indices of the object's points among the region's: the cluster with most points in
    the predicted box, plus every cluster lying mostly inside it (sparse beams split a car
    into bumper, hood and roof clusters). With a search wider than the default (motion not
    yet known) and no cluster in the predicted box, the cluster of the track's size with
    most points, nearest the prediction."""
    squashed = pts.copy()
    squashed[:, 2] *= params.z_squash
    labels = cluster_euclidean(squashed, params.cluster_radius_m, 1, mask=inside)
    if labels.max() < 0:
        return np.zeros(0, dtype=np.int64)
    near = points_in_boxes(pts, grown(pred, 0.3).to_array()[None, :])[0] >= 0
    n = int(labels.max()) + 1
    hits = np.bincount(labels[near & (labels >= 0)], minlength=n)
    sizes = np.bincount(labels[labels >= 0], minlength=n)
    if hits.max() == 0 or (margin_m is not None and margin_m > params.search_margin_m + 0.5):
        best = _best_matching_cluster(pts, labels, n, pred, margin_m or params.search_margin_m)
        if best is None:
            return np.zeros(0, dtype=np.int64)
        if hits.max() == 0 or hits[best] < hits.max():
            return np.flatnonzero(labels == best)
    keep = hits >= 0.5 * sizes
    keep[int(np.argmax(hits))] = True
    keep &= hits > 0
    return np.flatnonzero((labels >= 0) & keep[np.maximum(labels, 0)])


def _best_matching_cluster(pts: np.ndarray, labels: np.ndarray, n: int, pred: Box, margin_m: float) -> int | None:
    """The cluster no larger than the track (+ 0.6 m) scoring most sqrt(points) / (1 + (d / margin)^2)
    x shape^2: d its centroid's BEV distance to the prediction (an elongated track's offset across
    its heading counted ``LATERAL_WEIGHT`` times, and at most half its width + ``MAX_SIDESTEP_M``),
    shape (0..2) how much of the track's length and width its extent covers (a sweep shows at
    least one whole side of a car; a bush or a pole beside the old position shows less). The
    square root: a nearer car beside the track has more points, not more likeness."""
    best, best_score = None, 0.0
    limit = pred.size_lwh_m[:2] + 0.6
    # a vehicle moves along its heading: a cluster beside the prediction (the next lane) is further
    lateral = LATERAL_WEIGHT if pred.size_lwh_m[0] >= 1.5 * pred.size_lwh_m[1] else 1.0
    for lab in range(n):
        member = pts[labels == lab]
        if len(member) < 3:
            continue
        ext = np.ptp(member[:, :2] @ pred.rotation[:2, :2], axis=0)  # extent along the box's axes
        if ext[0] > limit[0] + 0.5 or ext[1] > limit[0] + 0.5 or min(ext) > limit[1] + 0.5:
            continue
        off = (member[:, :2].mean(axis=0) - pred.center_m[:2]) @ pred.rotation[:2, :2]  # along, across the heading
        if lateral > 1.0 and abs(off[1]) > 0.5 * pred.size_lwh_m[1] + MAX_SIDESTEP_M:
            continue  # a vehicle does not step sideways by a lane in one frame gap
        d = float(np.hypot(off[0], lateral * off[1]))
        shape = min(1.0, ext[0] / pred.size_lwh_m[0]) + min(1.0, ext[1] / pred.size_lwh_m[1])
        score = math.sqrt(len(member)) / (1.0 + (d / max(margin_m, 0.1)) ** 2) * shape ** 2
        if score > best_score:
            best, best_score = lab, score
    return best


def _snap_tolerance_m(box: Box, stationary: bool) -> float:
    """How far a fit may stray from a stationary (or not yet moving) prediction and still
    count as noise: sparse one-sided views shift the fit a little from frame to frame."""
    if stationary:
        return min(0.5, 0.3 * float(box.size_lwh_m[1]))
    return min(0.25, 0.2 * float(box.size_lwh_m[1]))


def plan_propagation(project: Project, track_token: str, start_frame: int, n_frames: int,
                     params: PropagationParams = PropagationParams(),
                     points_of: Callable[[int], np.ndarray] | None = None) -> PropagationReport:
    """Propagate the track's box at ``start_frame`` to the next ``n_frames`` frames
    (nothing is changed; execute ``report.command`` to apply). ``points_of(i)``: frame i's
    sensor-frame points (e.g. from the editor's frame cache; default ``load_points()``), asked
    once per frame and run."""
    start = project.annotation_at(track_token, start_frame)
    if start is None:
        raise ValueError(f"track {track_token} has no box in frame {frame_number(start_frame)}")
    frames = project.sequence.frames
    history = [a for a in project.annotations_of_track(track_token)
               if a.frame_index <= start_frame and (a.source != Source.INTERPOLATED or a is start)]
    history = history[-params.history:]
    motion = _level(estimate_motion([frames[a.frame_index].timestamp_s for a in history], [a.box for a in history]))
    stationary = motion.known and motion.speed_mps < params.stationary_speed_mps
    if stationary:
        motion = Motion(np.zeros(3), 0.0, True)
    # without poses (world = each sensor frame) a parked car moves with the ego: nothing is held still
    posed = not all(_is_identity(fr.T_world_sensor) for fr in frames)
    if not posed:
        stationary = False
        if motion.known and motion.speed_mps < params.stationary_speed_mps:
            motion = Motion(np.zeros(3), 0.0, False)
    max_speed = class_max_speed_mps(project.track(track_token).category)
    sweep = _Sweeps(frames, points_of)
    start_points = sweep(start_frame)  # the keyframe's measures and the first scene shift
    near_start = _sensor_crop(frames[start_frame], start.box, 3.0, start_points)  # the keyframe's surroundings
    offset = start_bottom_offset_m(frames[start_frame], start.box, near_start)
    centroid = not _rigid(project, project.track(track_token).category)  # people: no faces to anchor on
    top_gap = start_top_gap_m(frames[start_frame], start.box, params, near_start) if centroid else None  # a head
    start_held = points_held(frames[start_frame], start.box, near_start) if posed else 0
    steps: list[StepFit] = []
    box, t_box = start.box, frames[start_frame].timestamp_s  # last measured box and its time
    f_box = start_frame
    kept_run = 0
    reason, stop_frame = None, None
    for f in range(start_frame + 1, start_frame + 1 + n_frames):
        if f >= len(frames):
            reason, stop_frame = "end_of_sequence", f
            break
        existing = project.annotation_at(track_token, f)
        if existing is not None and existing.source == Source.MANUAL:
            reason, stop_frame = "keyframe", f
            break
        t_f = frames[f].timestamp_s
        pred = motion.predict(box, t_f - t_box)
        followed = not posed and not motion.known  # the scene moves with the ego: follow it first
        moving = motion.known and motion.speed_mps > params.moving_speed_mps
        margin = search_margin_m(motion, stationary, t_f - t_box, max_speed, params)
        local = None  # the new frame's points near the box, when one crop serves the shift and the fits
        if followed:
            local = _sensor_crop(frames[f], box, SCENE_RADIUS_M + params.max_scene_shift_m, sweep(f))
            pred = _scene_shifted(frames[f_box], frames[f], box, params, local, sweep(f_box))
            local = local if _covers(box, pred, margin + 4.0, SCENE_RADIUS_M + params.max_scene_shift_m) else None
        local = sweep(f) if local is None else local
        # without poses the apparent motion carries the ego's turn: a rigid fit (the track's size
        # bounds it) is not cut to the predicted position; a person's centroid fit has no such bound
        keep = params.keep_margin_m if motion.known and (posed or centroid) else None
        fitted, n, explained = fit_step(frames[f], pred, params, points=local,
                                        max_yaw_dev_rad=params.moving_yaw_dev_rad if moving else None,
                                        yaw_gain=params.yaw_gain,
                                        keep_margin_m=keep,
                                        search_margin_m=margin, bottom_offset_m=offset, centre_on_points=centroid,
                                        top_gap_m=top_gap, hold_along=motion.known)
        if followed and margin > params.search_margin_m:  # a parked car or a standing person: near the shift
            near = fit_step(frames[f], pred, params, points=local, yaw_gain=params.yaw_gain,
                            search_margin_m=params.search_margin_m, bottom_offset_m=offset,
                            centre_on_points=centroid, top_gap_m=top_gap)
            if near[0] is not None and near[2] >= params.min_explained and \
                    bev_iou(near[0], pred) >= params.min_bev_iou and \
                    (near[1] >= 0.5 * n or fitted is None or bev_iou(near[0], fitted) == 0.0):
                fitted, n, explained = near  # not a fragment of the wide search's object (or that is another one)
        jump = float(np.linalg.norm(fitted.center_m[:2] - pred.center_m[:2])) if fitted is not None else math.nan
        iou = bev_iou(fitted, pred) if fitted is not None else 0.0
        max_jump = max(params.max_jump_m, margin + 0.5)
        status, what = None, None
        if fitted is None:
            status, what = "too_few_points", f"too few points ({n} < {params.min_points})"
        elif explained < params.min_explained:
            status, what = "poor_fit", f"the box holds {explained:.0%} of the points around it"
        # the scene's shift predicts to ~0.5 m, the class's speed bounds the rest: the jump test alone.
        # A person with a known motion: a centroid within the keep margin of the prediction is near
        # (the IoU of a 0.5 m footprint falls to 0.3 with a 0.25 m step)
        elif jump > max_jump or (iou < params.min_bev_iou and margin <= params.search_margin_m + 0.5 and not followed
                                 and not (centroid and motion.known and jump <= params.keep_margin_m)):
            status = "poor_fit"
            what = f"jump {jump:.2f} m > {max_jump:.1f} m" if jump > max_jump \
                else f"IoU with prediction {iou:.2f} < {params.min_bev_iou}"
        elif stationary and jump > _snap_tolerance_m(pred, True):
            status, what = "moved", f"a stationary object moved {jump:.2f} m (check the fit)"
        if status is not None and status != "moved" and posed and (stationary or not motion.known) and \
                0 < start_held < params.min_points and points_held(frames[f], pred, local) >= start_held:
            status, fitted = None, pred  # too sparse to fit from the start, and no point left its box: no news
            jump, iou = 0.0, 1.0
        if status is not None:
            steps.append(StepFit(f, pred, pred, n, jump, iou, status))
            reason, stop_frame = what, f
            break
        if posed and (stationary or not motion.known) and jump <= _snap_tolerance_m(pred, stationary):
            new_box, status = pred, "kept"
        else:
            new_box, status = fitted, "fitted"
        steps.append(StepFit(f, pred, new_box, n, jump, iou, status))
        if status == "kept":  # unknown motion: three agreeing frames make it stationary
            kept_run += 1
            if not stationary and kept_run >= 3:
                stationary, motion = True, Motion(np.zeros(3), 0.0, True)
            continue
        motion = _level(_updated_motion(motion, box, new_box, t_f - t_box, params))
        stationary, kept_run = False, 0
        box, t_box, f_box = new_box, t_f, f
    command = _command(project, track_token, start, steps, reason)
    return PropagationReport(track_token, start_frame, steps, reason, stop_frame, command)


# fastest plausible speed of a class in a street scene (m/s): bounds the search while the motion is unknown
_MAX_SPEED_MPS = {"human": 3.0, "vehicle.bicycle": 8.0, "vehicle.cyclist": 8.0, "vehicle.motorcycle": 15.0,
                  "vehicle": 15.0, "animal": 5.0}


def _rigid(project: Project, category: str) -> bool:
    """The schema's ``rigid`` for ``category`` (True for a category the schema lacks)."""
    schema = project.schema
    return bool(schema.category(category).rigid) if schema.has_category(category) else True


def class_max_speed_mps(category: str) -> float:
    """The longest matching prefix of ``category`` in the speed table (2 m/s for objects)."""
    best = ""
    for prefix in _MAX_SPEED_MPS:
        if category.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return _MAX_SPEED_MPS.get(best, 2.0)


def search_margin_m(motion: Motion, stationary: bool, dt_s: float, max_speed_mps: float,
                    params: PropagationParams) -> float:
    """How far from the predicted footprint the object's points are searched: the default
    with a known motion (plus a share of the distance it covers: speed changes), else as
    far as the class can move in ``dt_s``."""
    if stationary:
        return params.search_margin_m
    if motion.known:
        return params.search_margin_m + 0.2 * motion.speed_mps * abs(dt_s)
    return max(params.search_margin_m, min(8.0, max_speed_mps * abs(dt_s)))


class _Sweeps:
    """Sensor-frame points per frame for one run: each frame asked once, the last two kept."""

    def __init__(self, frames: Seq[Frame], points_of: Callable[[int], np.ndarray] | None) -> None:
        self._get = points_of if points_of is not None else (lambda i: frames[i].load_points())
        self._kept: dict[int, np.ndarray] = {}

    def __call__(self, frame_index: int) -> np.ndarray:
        if frame_index not in self._kept:
            if len(self._kept) >= 2:
                del self._kept[min(self._kept)]
            self._kept[frame_index] = self._get(frame_index)
        return self._kept[frame_index]


def _covers(box: Box, pred: Box, margin_m: float, crop_margin_m: float) -> bool:
    """Whether ``_sensor_crop(frame, box, crop_margin_m)`` holds every point that
    ``_sensor_crop(frame, pred, margin_m)`` would (same frame; the crop's metric is a norm)."""
    shift = float(np.linalg.norm(pred.center_m - box.center_m))
    need = 0.5 * float(np.linalg.norm(pred.size_lwh_m)) + margin_m + shift
    return need <= 0.5 * float(np.linalg.norm(box.size_lwh_m)) + crop_margin_m


def _scene_shifted(frame_a: Frame, frame_b: Frame, box: Box, params: PropagationParams,
                   points_b: np.ndarray | None = None, points_a: np.ndarray | None = None) -> Box:
    """``box`` moved by the shift of the static scene around it from ``frame_a`` to ``frame_b``
    (``scene_shift.scene_shift_m``; a sequence without poses); ``box`` itself when no clear shift.
    ``points_b``: frame B's sensor-frame points (a crop about ``box`` reaching the scene radius
    plus the largest shift, or all of them); ``points_a``: frame A's (all), when read already."""
    reach = SCENE_RADIUS_M + params.max_scene_shift_m
    a = _sensor_crop(frame_a, box, SCENE_RADIUS_M, points_a)
    b = _sensor_crop(frame_b, box, reach, points_b)
    if _is_identity(frame_a.T_world_sensor) and _is_identity(frame_b.T_world_sensor):  # world = sensor frame:
        origin = box.center_m.astype(np.float32)  # about the box in float32 (a float64 transform costs 5x)
        a, b = a[:, :3] - origin, b[:, :3] - origin
    else:
        origin = box.center_m
        a, b = points_about(frame_a, origin, a), points_about(frame_b, origin, b)
    shift = scene_shift_m(a, b, box_about(box, origin.astype(np.float64)), params.max_scene_shift_m,
                          radius_m=SCENE_RADIUS_M)
    if shift is None:
        return box
    return box.translated(np.array([shift[0], shift[1], 0.0]))


def _is_identity(T: np.ndarray) -> bool:
    return float(np.abs(T - np.eye(4)).max()) <= 1e-9


def _level(motion: Motion) -> Motion:
    """The motion without its vertical part: each step puts the box on the local ground, and
    a climb extrapolated from two fits carries their height errors on."""
    return Motion(motion.velocity_mps * [1.0, 1.0, 0.0], motion.yaw_rate_radps, motion.known)


def _updated_motion(motion: Motion, prev: Box, new: Box, dt_s: float, params: PropagationParams) -> Motion:
    """Blend the observed displacement into the velocity (alpha filter); the turn rate is kept."""
    if dt_s <= 0:
        return motion
    observed = (new.center_m - prev.center_m) / dt_s
    gain = params.velocity_gain if motion.known else 1.0
    v = (1 - gain) * motion.advanced(dt_s).velocity_mps + gain * observed
    return Motion(v, motion.yaw_rate_radps, True)


def _command(project: Project, track_token: str, start: Annotation, steps: list[StepFit],
             reason: str | None) -> Command:
    accepted = [s for s in steps if s.box is not None]
    flagged = reason is not None and reason not in ("end_of_sequence", "keyframe")
    changes: list[Change] = []
    for k, step in enumerate(accepted):
        old = project.annotation_at(track_token, step.frame_index)
        attrs = dict(old.attributes) if old is not None else {}
        attrs.pop(STOP_ATTRIBUTE, None)
        if flagged and k == len(accepted) - 1:
            attrs[STOP_ATTRIBUTE] = reason
        if old is None:
            new = Annotation(new_token(), track_token, step.frame_index, step.box, attrs, Source.PROPAGATED)
        else:
            new = old.evolve(box=step.box, attributes=attrs, source=Source.PROPAGATED,
                             review_state=ReviewState.UNREVIEWED)
        changes.append(Change(old, new))
    if flagged and not accepted:  # stopped at once: the flag goes on the start box
        attrs = {**start.attributes, STOP_ATTRIBUTE: reason}
        changes.append(Change(start, start.evolve(attributes=attrs)))
    return Command(f"Propagate track {project.track(track_token).number}", changes)


def propagate_track(project: Project, track_token: str, start_frame: int, n_frames: int,
                    params: PropagationParams = PropagationParams()) -> PropagationReport:
    """Plan and execute a propagation run (one undo step); returns its report."""
    report = plan_propagation(project, track_token, start_frame, n_frames, params)
    project.execute(report.command)
    return report
