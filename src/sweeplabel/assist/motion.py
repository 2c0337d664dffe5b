"""A track's motion in the world frame: constant velocity and turn rate, estimated from its
last boxes (``estimate_motion``) and used by propagation to predict the next box."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence as Seq

import numpy as np

from ..model import Box, angle_diff


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
