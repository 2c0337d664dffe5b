"""The fit of one propagation step (``fit_step``, ``refit_in_frame``): the track's box fitted to the
object's points near the prediction, on the local ground, with the share of the points around it
that it explains; and how far a kept (stationary) prediction may differ from the fit."""

from __future__ import annotations

import numpy as np

from ..kernels import fit_box, points_in_boxes
from ..model import Box, Frame, angle_diff
from .box_support import held_along_axis
from .object_view import box_about, grown, points_about
from .propagation_params import PropagationParams
from .propagation_points import _crop_about, _local_ground_z, _sensor_crop
from .propagation_search import _object_cluster


def refit_in_frame(frame: Frame, predicted: Box, params: PropagationParams = PropagationParams(),
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


def _snap_tolerance_m(box: Box, stationary: bool) -> float:
    """How far a fit may stray from a stationary (or not yet moving) prediction and still
    count as noise: sparse one-sided views shift the fit a little from frame to frame."""
    if stationary:
        return min(0.5, 0.3 * float(box.size_lwh_m[1]))
    return min(0.25, 0.2 * float(box.size_lwh_m[1]))
