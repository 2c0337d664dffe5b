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
The whole run is one command (one undo step).

The parts live beside this module: ``propagation_params`` (the thresholds), ``propagation_points``
(the points about a box, its ground, the keyframe's measures), ``propagation_search`` (the search
margin and the object's cluster), ``propagation_fit`` (the fit of one step), ``propagation_prediction``
(the motion kept level, the scene shift without poses), ``propagation_report`` (the report and its
command); their names stay importable from here."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..model import Project, Source, frame_number
from .iou import bev_iou
from .motion import Motion, estimate_motion
from .propagation_fit import _snap_tolerance_m, fit_step, refit_in_frame
from .propagation_params import PropagationParams
from .propagation_points import (
    _crop_about,
    _local_ground_z,
    _sensor_crop,
    _Sweeps,
    points_held,
    start_bottom_offset_m,
    start_top_gap_m,
)
from .propagation_prediction import SCENE_RADIUS_M, _covers, _is_identity, _level, _scene_shifted, _updated_motion
from .propagation_report import STOP_ATTRIBUTE, STOP_STATUSES, PropagationReport, StepFit, _command
from .propagation_search import (
    _MAX_SPEED_MPS,
    LATERAL_WEIGHT,
    MAX_SIDESTEP_M,
    _best_matching_cluster,
    _object_cluster,
    _rigid,
    class_max_speed_mps,
    search_margin_m,
)

__all__ = [
    "LATERAL_WEIGHT", "MAX_SIDESTEP_M", "SCENE_RADIUS_M", "STOP_ATTRIBUTE", "STOP_STATUSES", "Motion",
    "PropagationParams", "PropagationReport", "StepFit", "class_max_speed_mps", "estimate_motion", "fit_step",
    "plan_propagation", "points_held", "propagate_track", "refit_in_frame", "search_margin_m", "start_bottom_offset_m",
    "start_top_gap_m",
]


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


def propagate_track(project: Project, track_token: str, start_frame: int, n_frames: int,
                    params: PropagationParams = PropagationParams()) -> PropagationReport:
    """Plan and execute a propagation run (one undo step); returns its report."""
    report = plan_propagation(project, track_token, start_frame, n_frames, params)
    project.execute(report.command)
    return report
