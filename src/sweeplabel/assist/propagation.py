"""Smart propagation of a track to the next frames (world frame, so ego motion is gone).

Each step predicts the box with the track's motion (constant velocity and turn rate
from its last boxes before the start, least squares when there are many), re-fits it to
the points near the prediction (the clusters lying in the predicted box, ``fit_box``
with the track's size and a yaw window around the prediction), and stops with a flag
when the fit is poor: too few points, a jump too large, or a low BEV IoU with the
prediction. A stationary track stays exactly put while its fits agree with it (a fit
that strays from a stationary track stops the run for a check). The whole run is one
command (one undo step); the last box of a flagged run carries ``STOP_ATTRIBUTE``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence as Seq

import numpy as np

from ..kernels import cluster_euclidean, fit_box, points_in_boxes
from ..model import Annotation, Box, Change, Command, Frame, Project, Source, angle_diff, frame_number, new_token
from ..model.entities import ReviewState
from .metrics import bev_iou
from .object_view import box_about, grown, points_about

STOP_ATTRIBUTE = "propagation_stop"  # set on the last propagated box when a run stops on a poor fit


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
    keep_margin_m: float = 0.4  # with a known motion, object points lie this close to the prediction (40 % sideways)


@dataclass(frozen=True)
class Motion:
    """Constant velocity (world, m/s) and turn rate (rad/s) of a track."""

    velocity_mps: np.ndarray = field(default_factory=lambda: np.zeros(3))
    yaw_rate_radps: float = 0.0
    known: bool = False  # False: a single keyframe, no estimate yet

    @property
    def speed_mps(self) -> float:
        return float(np.linalg.norm(self.velocity_mps[:2]))

    def predict(self, box: Box, dt_s: float) -> Box:
        """``box`` moved ``dt_s`` seconds along a constant-turn-rate path."""
        v = self.velocity_mps
        w = self.yaw_rate_radps
        if abs(w * dt_s) < 1e-9:
            dxy = v[:2] * dt_s
        else:
            s, c = math.sin(w * dt_s), math.cos(w * dt_s)
            dxy = np.array([s * v[0] - (1 - c) * v[1], (1 - c) * v[0] + s * v[1]]) / w
        delta = np.array([dxy[0], dxy[1], v[2] * dt_s])
        return Box(box.center_m + delta, box.size_lwh_m, box.yaw_rad + w * dt_s)

    def advanced(self, dt_s: float) -> "Motion":
        """The motion after ``dt_s`` (velocity turned by the turn rate)."""
        a = self.yaw_rate_radps * dt_s
        c, s = math.cos(a), math.sin(a)
        v = self.velocity_mps
        return Motion(np.array([c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]]), self.yaw_rate_radps, self.known)


def estimate_motion(times_s: Seq[float], boxes: Seq[Box]) -> Motion:
    """Velocity and turn rate at the last box (world frame).

    Two or three boxes: velocity from the last two, turn rate from the change of heading
    of the displacements (box yaw can be flipped or noisy), taken only when the object
    moves. Four or more (e.g. pre-annotated boxes with some jitter): a least-squares fit
    of the centres over time (quadratic from five boxes), which averages the jitter out."""
    if len(boxes) < 2:
        return Motion()
    t = np.asarray(times_s, dtype=np.float64)
    c = np.array([b.center_m for b in boxes])
    if len(boxes) >= 4:
        return _fitted_motion(t, c)
    v = (c[-1] - c[-2]) / (t[-1] - t[-2])
    w = 0.0
    if len(boxes) >= 3:
        d1, d2 = c[-2] - c[-3], c[-1] - c[-2]
        if min(np.linalg.norm(d1[:2]), np.linalg.norm(d2[:2])) > 0.2:
            dh = angle_diff(math.atan2(d2[1], d2[0]), math.atan2(d1[1], d1[0]))
            w = dh / (0.5 * (t[-1] - t[-3]))
            # the velocity at the last box: the chord's direction lags by half the turn
            a = 0.5 * w * (t[-1] - t[-2])
            ca, sa = math.cos(a), math.sin(a)
            v = np.array([ca * v[0] - sa * v[1], sa * v[0] + ca * v[1], v[2]])
    return Motion(v, w, True)


def _fitted_motion(t: np.ndarray, c: np.ndarray) -> Motion:
    deg = 2 if len(t) >= 5 else 1
    tt = t - t[-1]
    coeffs = [np.polyfit(tt, c[:, k], deg) for k in range(3)]
    v_end = np.array([np.polyval(np.polyder(p), 0.0) for p in coeffs])
    v_start = np.array([np.polyval(np.polyder(p), tt[0]) for p in coeffs])
    w = 0.0
    if min(np.linalg.norm(v_end[:2]), np.linalg.norm(v_start[:2])) > 1.0 and tt[0] < 0:
        w = angle_diff(math.atan2(v_end[1], v_end[0]), math.atan2(v_start[1], v_start[0])) / -tt[0]
    return Motion(v_end, w, True)


@dataclass(frozen=True)
class StepFit:
    """One frame of a propagation run."""

    frame_index: int
    predicted: Box
    box: Box | None  # the accepted box (None: the run stopped here)
    num_points: int
    jump_m: float
    bev_iou_pred: float
    status: str  # "fitted" | "kept" (stationary, prediction kept) | a stop reason


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
              yaw_gain: float = 1.0, keep_margin_m: float | None = None) -> tuple[Box | None, int]:
    """Fit the track's box (size of ``predicted`` kept) to the points near the prediction.

    The yaw is searched within ``max_yaw_dev_rad`` of the prediction and moved by
    ``yaw_gain`` of the way to the fit (one-sided views leave the yaw loose). With
    ``keep_margin_m`` only the object's points within that margin of the prediction count
    (a good motion model then keeps a touching neighbour out of the fit).
    Returns ``(box or None, number of object points used)``."""
    origin = frame.T_world_sensor[:3, 3]  # fit_box anchors on the faces seen from the origin
    pts = points_about(frame, origin, points)
    pred = box_about(predicted, origin)
    bottom = pred.center_m[2] - pred.size_lwh_m[2] / 2
    lo, hi = bottom + params.ground_clearance_m, bottom + pred.size_lwh_m[2] + 0.5
    region = Box([pred.center_m[0], pred.center_m[1], 0.5 * (lo + hi)],
                 pred.size_lwh_m[:2].tolist() + [hi - lo], pred.yaw_rad)
    region = region.with_size(region.size_lwh_m + np.array([2 * params.search_margin_m] * 2 + [0.0]))
    inside = points_in_boxes(pts, region.to_array()[None, :])[0] >= 0
    if int(inside.sum()) < params.min_points:
        return None, int(inside.sum())
    idx = _object_cluster(pts, inside, pred, params)
    if keep_margin_m is not None and len(idx):
        keep = pred.with_size(pred.size_lwh_m + 2.0 * np.array([keep_margin_m, 0.4 * keep_margin_m, keep_margin_m]))
        idx = idx[points_in_boxes(pts[idx], keep.to_array()[None, :])[0] >= 0]
    if len(idx) < params.min_points:
        return None, len(idx)
    obj = np.ascontiguousarray(pts[idx])
    dev = params.max_yaw_dev_rad if max_yaw_dev_rad is None else max_yaw_dev_rad
    fit = fit_box(obj, ground_z_m=float(bottom), prior_box=pred.to_array(), max_yaw_dev_rad=dev)
    if yaw_gain < 1.0:
        prior = pred.with_yaw(pred.yaw_rad + yaw_gain * angle_diff(float(fit[6]), pred.yaw_rad))
        fit = fit_box(obj, ground_z_m=float(bottom), prior_box=prior.to_array(), max_yaw_dev_rad=0.0)
    return Box.from_array(fit).translated(origin), len(idx)


def _object_cluster(pts: np.ndarray, inside: np.ndarray, pred: Box, params: PropagationParams) -> np.ndarray:
    """Indices of the object's points among the region's: the cluster with most points in
    the predicted box, plus every cluster lying mostly inside it (sparse beams split a car
    into bumper, hood and roof clusters)."""
    squashed = pts.copy()
    squashed[:, 2] *= params.z_squash
    labels = cluster_euclidean(squashed, params.cluster_radius_m, 1, mask=inside)
    if labels.max() < 0:
        return np.zeros(0, dtype=np.int64)
    near = points_in_boxes(pts, grown(pred, 0.3).to_array()[None, :])[0] >= 0
    n = int(labels.max()) + 1
    hits = np.bincount(labels[near & (labels >= 0)], minlength=n)
    sizes = np.bincount(labels[labels >= 0], minlength=n)
    if hits.max() == 0:
        return np.zeros(0, dtype=np.int64)
    keep = hits >= 0.5 * sizes
    keep[int(np.argmax(hits))] = True
    keep &= hits > 0
    return np.flatnonzero((labels >= 0) & keep[np.maximum(labels, 0)])


def _snap_tolerance_m(box: Box, stationary: bool) -> float:
    """How far a fit may stray from a stationary (or not yet moving) prediction and still
    count as noise: sparse one-sided views shift the fit a little from frame to frame."""
    if stationary:
        return min(0.5, 0.3 * float(box.size_lwh_m[1]))
    return min(0.25, 0.2 * float(box.size_lwh_m[1]))


def plan_propagation(project: Project, track_token: str, start_frame: int, n_frames: int,
                     params: PropagationParams = PropagationParams()) -> PropagationReport:
    """Propagate the track's box at ``start_frame`` to the next ``n_frames`` frames
    (nothing is changed; execute ``report.command`` to apply)."""
    start = project.annotation_at(track_token, start_frame)
    if start is None:
        raise ValueError(f"track {track_token} has no box in frame {frame_number(start_frame)}")
    frames = project.sequence.frames
    history = [a for a in project.annotations_of_track(track_token)
               if a.frame_index <= start_frame and (a.source != Source.INTERPOLATED or a is start)]
    history = history[-params.history:]
    motion = estimate_motion([frames[a.frame_index].timestamp_s for a in history], [a.box for a in history])
    stationary = motion.known and motion.speed_mps < params.stationary_speed_mps
    if stationary:
        motion = Motion(np.zeros(3), 0.0, True)
    steps: list[StepFit] = []
    box, t_box = start.box, frames[start_frame].timestamp_s  # last measured box and its time
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
        moving = motion.known and motion.speed_mps > params.moving_speed_mps
        fitted, n = refit_box(frames[f], pred, params, max_yaw_dev_rad=params.moving_yaw_dev_rad if moving else None,
                              yaw_gain=params.yaw_gain, keep_margin_m=params.keep_margin_m if motion.known else None)
        if fitted is None:
            steps.append(StepFit(f, pred, None, n, math.nan, 0.0, "too_few_points"))
            reason, stop_frame = f"too few points ({n} < {params.min_points})", f
            break
        jump = float(np.linalg.norm(fitted.center_m[:2] - pred.center_m[:2]))
        iou = bev_iou(fitted, pred)
        if jump > params.max_jump_m or iou < params.min_bev_iou:
            steps.append(StepFit(f, pred, None, n, jump, iou, "poor_fit"))
            what = f"jump {jump:.2f} m > {params.max_jump_m} m" if jump > params.max_jump_m \
                else f"IoU with prediction {iou:.2f} < {params.min_bev_iou}"
            reason, stop_frame = what, f
            break
        if stationary and jump > _snap_tolerance_m(pred, True):
            steps.append(StepFit(f, pred, None, n, jump, iou, "moved"))
            reason, stop_frame = f"a stationary object moved {jump:.2f} m (check the fit)", f
            break
        if (stationary or not motion.known) and jump <= _snap_tolerance_m(pred, stationary):
            new_box, status = pred, "kept"
        else:
            new_box, status = fitted, "fitted"
        steps.append(StepFit(f, pred, new_box, n, jump, iou, status))
        if status == "kept":  # unknown motion: three agreeing frames make it stationary
            kept_run += 1
            if not stationary and kept_run >= 3:
                stationary, motion = True, Motion(np.zeros(3), 0.0, True)
            continue
        motion = _updated_motion(motion, box, new_box, t_f - t_box, params)
        stationary, kept_run = False, 0
        box, t_box = new_box, t_f
    command = _command(project, track_token, start, steps, reason)
    return PropagationReport(track_token, start_frame, steps, reason, stop_frame, command)


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
