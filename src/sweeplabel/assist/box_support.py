"""Where a box of fixed size may lie along one of its axes and still cover an object's points.

A propagated vehicle keeps its keyframe's size. Along its heading the points of a sweep often
show only part of it (a far van's bumper between two rings, a car's rear hidden), and a fit
anchored on the nearest seen face then slides the box by what is missing. With a known motion
the prediction is the better guess of that position; the points only bound it: the box must
cover them. ``held_along_axis`` keeps the predicted position along the axis where the points
allow it and moves it the least distance that covers them where they do not."""

from __future__ import annotations

import math

import numpy as np

from ..model import Box


def covering_interval_m(offsets_m: np.ndarray, length_m: float) -> tuple[float, float] | None:
    """The interval of centre positions (same axis as ``offsets_m``) for which a box of
    ``length_m`` covers every offset; None when the points are longer than the box."""
    if len(offsets_m) == 0:
        return None
    lo = float(np.max(offsets_m)) - 0.5 * length_m
    hi = float(np.min(offsets_m)) + 0.5 * length_m
    return (lo, hi) if lo <= hi else None


def held_along_axis(fit: Box, predicted: Box, points_xy_m: np.ndarray) -> Box:
    """``fit`` with its centre along its own heading moved to the predicted position, or the
    nearest one at which the box still covers ``points_xy_m`` (the object's points, (N, 2)).
    ``fit`` itself when the points are longer than the box (clutter joined: nothing to hold)."""
    heading = np.array([math.cos(fit.yaw_rad), math.sin(fit.yaw_rad)])
    offsets = (np.asarray(points_xy_m, dtype=np.float64)[:, :2] - predicted.center_m[:2]) @ heading
    interval = covering_interval_m(offsets, float(fit.size_lwh_m[0]))
    if interval is None:
        return fit
    target = min(max(0.0, interval[0]), interval[1])  # the prediction (0), clamped into the interval
    along_fit = float((fit.center_m[:2] - predicted.center_m[:2]) @ heading)
    delta = (target - along_fit) * heading
    return fit.translated(np.array([delta[0], delta[1], 0.0]))
