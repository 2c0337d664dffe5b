"""Editing an existing box from the points (pure NumPy + kernels): a re-fit to the points in it,
the yaw nearest a reference among the rectangle's four, and the box moved onto the local ground."""

from __future__ import annotations

import math

import numpy as np

from sweeplabel.kernels import fit_box, segment_ground
from sweeplabel.model import Box, angle_diff

from .class_prior import ClassPrior
from .object_cluster import MIN_CLUSTER_POINTS
from .object_ground import _bev_distance_m, local_ground_z_m


def aligned_to(box: Box, yaw_ref_rad: float) -> Box:
    """The same rectangle with the yaw (among yaw + k * 90 degrees, l and w swapped for
    odd k) nearest ``yaw_ref_rad``: a fitted rectangle has no heading of its own."""
    best = min(range(4), key=lambda k: abs(angle_diff(box.yaw_rad + k * math.pi / 2.0, yaw_ref_rad)))
    l, w, h = box.size_lwh_m
    size = [l, w, h] if best % 2 == 0 else [w, l, h]
    return Box(box.center_m, size, box.yaw_rad + best * math.pi / 2.0)


def refit_box(points: np.ndarray, box: Box, *, ground_mask: np.ndarray | None = None,
              sensor_xy_m: np.ndarray | None = None, margin_m: float = 0.25,
              keep_size: bool = True, prior: ClassPrior | None = None) -> Box | None:
    """Re-fit ``box`` to the non-ground points in it (grown by ``margin_m``); None if too few.

    The heading turns to the points' rectangle (within 15 degrees of the box's). With
    ``keep_size`` each axis changes only as far as the points support it: points reaching
    beyond the box grow it to them (up to the class's largest size with a ``prior``); a box
    larger than its class allows shrinks to the points (no smaller than the class's short
    end); otherwise the axis keeps its size and its face on the points' side facing the
    sensor (without a sensor: the smallest move that keeps the points in). The bottom stays;
    the top rises to points above it.
    Without ``keep_size``: the points' rectangle."""
    points = np.asarray(points)
    inside = box.contains(points, margin_m)
    if ground_mask is not None:
        inside &= ~np.asarray(ground_mask, dtype=bool)
    bottom_z = float(box.bottom_center_m[2])
    inside &= points[:, 2] > bottom_z + 0.1
    if np.count_nonzero(inside) < MIN_CLUSTER_POINTS:
        return None
    chosen = np.ascontiguousarray(points[inside, :3], dtype=np.float32)
    if not keep_size:
        return aligned_to(Box.from_array(fit_box(chosen, ground_z_m=bottom_z)), box.yaw_rad)
    yaw = float(fit_box(chosen, ground_z_m=bottom_z, prior_box=box.to_array(), max_yaw_dev_rad=math.radians(15.0))[6])
    turned = box.with_yaw(yaw)
    local = (chosen.astype(np.float64) - box.center_m) @ turned.rotation  # points in the box's axes
    lo, hi = local.min(axis=0), local.max(axis=0)
    sensor_local = None
    if sensor_xy_m is not None:
        sensor_local = (np.array([sensor_xy_m[0], sensor_xy_m[1], box.center_m[2]]) - box.center_m) @ turned.rotation
    size, centre = box.size_lwh_m.copy(), np.zeros(3)
    for axis in (0, 1):
        extent = float(hi[axis] - lo[axis])
        high = float(prior.high_lwh_m[axis]) if prior is not None else math.inf
        if extent >= size[axis] + 0.1:  # the points show more than the box: it grows to them
            size[axis] = min(extent, max(high, size[axis]))
            centre[axis] = 0.5 * (lo[axis] + hi[axis])
            continue
        if size[axis] > high:  # larger than the class allows (e.g. a car box on a cyclist)
            size[axis] = float(np.clip(extent, prior.low_lwh_m[axis], high))
        s_half = 0.5 * size[axis]
        if sensor_local is not None and sensor_local[axis] < lo[axis]:
            centre[axis] = lo[axis] + s_half  # the face towards the sensor lies on the points
        elif sensor_local is not None and sensor_local[axis] > hi[axis]:
            centre[axis] = hi[axis] - s_half
        else:
            centre[axis] = float(np.clip(0.0, hi[axis] - s_half, lo[axis] + s_half))
    top = float(hi[2]) + box.center_m[2]
    height = max(size[2], top - bottom_z)
    if prior is not None:
        height = min(height, max(size[2], float(prior.high_lwh_m[2])))
    size[2] = height
    shift = turned.rotation @ np.array([centre[0], centre[1], 0.0])
    new_centre = box.center_m + shift
    new_centre[2] = bottom_z + 0.5 * height
    return Box(new_centre, size, yaw)


def snap_to_ground(box: Box, points: np.ndarray, ground_mask: np.ndarray | None,
                   radius_m: float = 4.0) -> Box | None:
    """The box moved vertically so its bottom sits on the local ground; None if no ground near."""
    points = np.asarray(points)
    if ground_mask is None:
        near = _bev_distance_m(points, box.center_m[:2]) <= radius_m + 10.0
        crop = np.ascontiguousarray(points[near, :3], dtype=np.float32)
        if len(crop) == 0:
            return None
        ground_z = local_ground_z_m(crop, segment_ground(crop, method="grid"), box.center_m[:2], radius_m)
    else:
        ground_z = local_ground_z_m(points, ground_mask, box.center_m[:2], radius_m)
    if ground_z is None:
        return None
    return box.with_center([box.center_m[0], box.center_m[1], ground_z + box.size_lwh_m[2] / 2.0])
