"""The prediction of a propagation step besides the motion model: the motion kept level and
updated with each fit, and, in a sequence without poses, the box moved by the shift of the static
scene around it (``scene_shift``)."""

from __future__ import annotations

import numpy as np

from ..model import Box, Frame
from .motion import Motion
from .object_view import box_about, points_about
from .propagation_params import PropagationParams
from .propagation_points import _sensor_crop
from .scene_shift import scene_shift_m

SCENE_RADIUS_M = 12.0  # the static scene around a box matched between frames without poses


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
