"""Multi-object tracking of per-frame detections in the world frame.

Each live track predicts its box with a constant turn rate and velocity (CTRV: the
velocity turns at the track's yaw rate, estimated from the change of its direction of
travel; constant velocity when the rate is ~0 or the object is slow); detections are assigned by
the Hungarian method on a cost of ``1 - BEV IoU`` (overlapping) or a gated centre
distance (not overlapping: small or fast objects). Unmatched detections give birth to
tentative tracks, confirmed after ``min_hits`` matches; a confirmed track coasts through
up to ``max_coast_frames`` missed frames (a short occlusion) keeping its id, and dies after."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..model import Box, angle_diff
from .iou import bev_iou_matrix

_NO_MATCH = 1e6


@dataclass(frozen=True)
class Detection:
    """One object seen in one frame (world frame). ``payload`` travels with it (e.g. its points)."""

    box: Box
    category: str | None = None
    num_points: int = 0
    payload: Any = None


@dataclass(frozen=True)
class TrackerParams:
    min_hits: int = 2  # matches before a track is confirmed
    max_coast_frames: int = 5  # missed frames a confirmed track survives
    max_center_dist_m: float = 1.5  # gate for a match without overlap (grows while coasting)
    coast_gate_growth_m: float = 0.1  # per missed frame
    velocity_gain: float = 0.5  # weight of each new displacement in the velocity
    max_speed_mps: float = 40.0
    # a fitted box whose footprint changes more than this shows another side of the object:
    # its centre shift is the view, not motion, and the velocity is not updated
    max_size_change_m: float = 0.4
    # CTRV: weight of each new turn-rate measurement, its limit, and the speed below which
    # the direction of travel is too noisy to measure a turn
    yaw_rate_gain: float = 0.5
    max_yaw_rate_radps: float = 1.5
    min_turn_speed_mps: float = 1.5


@dataclass
class TrackState:
    """A track while tracking: its last box, velocity and matched observations."""

    track_id: int
    box: Box
    t_s: float
    velocity_mps: np.ndarray = field(default_factory=lambda: np.zeros(3))
    yaw_rate_radps: float = 0.0
    hits: int = 1
    misses: int = 0
    updates: int = 0
    observations: dict[int, Detection] = field(default_factory=dict)  # frame -> detection
    confirmed: bool = False

    def predict(self, t_s: float) -> Box:
        """The box at ``t_s`` under CTRV: the BEV velocity turns at ``yaw_rate_radps`` (and
        the box with it); a straight line when the rate is ~0."""
        dt = t_s - self.t_s
        return self.box.translated(ctrv_displacement(self.velocity_mps, self.yaw_rate_radps, dt)).rotated(
            self.yaw_rate_radps * dt)

    def velocity_at(self, t_s: float) -> np.ndarray:
        """The velocity turned by the yaw rate over ``t_s - self.t_s``."""
        return _turned(self.velocity_mps, self.yaw_rate_radps * (t_s - self.t_s))


def _turned(v: np.ndarray, angle_rad: float) -> np.ndarray:
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]])


def ctrv_displacement(velocity_mps: np.ndarray, yaw_rate_radps: float, dt_s: float) -> np.ndarray:
    """Displacement over ``dt_s`` of an object moving at ``velocity_mps`` (world) whose
    direction of travel turns at ``yaw_rate_radps`` (constant turn rate and speed)."""
    v = np.asarray(velocity_mps, dtype=np.float64)
    turn = yaw_rate_radps * dt_s
    if abs(turn) < 1e-4:
        return v * dt_s
    # integral of R(w t) v dt from 0 to dt: (1/w) [[sin, cos-1], [1-cos, sin]] v
    sn, cs = math.sin(turn), math.cos(turn)
    w = yaw_rate_radps
    return np.array([(sn * v[0] + (cs - 1.0) * v[1]) / w, ((1.0 - cs) * v[0] + sn * v[1]) / w, v[2] * dt_s])


class MultiObjectTracker:
    """Feed frames in order with :meth:`step`; :meth:`tracks` returns the confirmed ones."""

    def __init__(self, params: TrackerParams = TrackerParams()) -> None:
        self.params = params
        self._live: list[TrackState] = []
        self._finished: list[TrackState] = []
        self._next_id = 0

    def step(self, frame_index: int, t_s: float, detections: Sequence[Detection]) -> list[TrackState]:
        """Associate one frame's detections; returns the tracks matched in this frame."""
        p = self.params
        preds = [t.predict(t_s) for t in self._live]
        cost = self._cost(preds, [d.box for d in detections])
        from scipy.optimize import linear_sum_assignment  # deferred: not needed for the first frame

        rows, cols = linear_sum_assignment(cost) if cost.size else (np.array([], int), np.array([], int))
        matched_t, matched_d = set(), set()
        for r, c in zip(rows, cols):
            if cost[r, c] >= _NO_MATCH:
                continue
            self._update(self._live[r], frame_index, t_s, detections[c])
            matched_t.add(r)
            matched_d.add(c)
        survivors = []
        for i, track in enumerate(self._live):
            if i not in matched_t:
                track.misses += 1
                if not track.confirmed or track.misses > p.max_coast_frames:
                    if track.confirmed:
                        self._finished.append(track)
                    continue
            survivors.append(track)
        for j, det in enumerate(detections):
            if j not in matched_d:
                survivors.append(self._birth(frame_index, t_s, det))
        self._live = survivors
        return [t for t in self._live if frame_index in t.observations]

    def tracks(self) -> list[TrackState]:
        """Every confirmed track, finished or live, by id."""
        return sorted([t for t in self._finished + self._live if t.confirmed], key=lambda t: t.track_id)

    # -- internals --------------------------------------------------------------------
    def _cost(self, preds: list[Box], boxes: list[Box]) -> np.ndarray:
        p = self.params
        cost = np.full((len(preds), len(boxes)), _NO_MATCH)
        if not preds or not boxes:
            return cost
        iou = bev_iou_matrix(preds, boxes)
        pc = np.array([b.center_m[:2] for b in preds])
        dc = np.array([b.center_m[:2] for b in boxes])
        dist = np.linalg.norm(pc[:, None, :] - dc[None, :, :], axis=2)
        gate = p.max_center_dist_m + p.coast_gate_growth_m * np.array([t.misses for t in self._live])
        near = dist <= gate[:, None]
        cost[near] = 1.0 + dist[near] / gate[:, None].repeat(len(boxes), 1)[near]
        overlap = iou > 0
        cost[overlap] = np.minimum(cost[overlap], 1.0 - iou[overlap])
        return cost

    def _update(self, track: TrackState, frame_index: int, t_s: float, det: Detection) -> None:
        p = self.params
        dt = t_s - track.t_s
        view_changed = np.abs(det.box.size_lwh_m[:2] - track.box.size_lwh_m[:2]).sum() > p.max_size_change_m
        if dt > 0 and not view_changed:
            # the mean velocity over the interval; under CTRV it points half a turn back from the end
            observed = (det.box.center_m - track.box.center_m) / dt
            gain = 1.0 if track.updates == 0 else p.velocity_gain
            prior = track.velocity_at(t_s)
            observed = _turned(observed, 0.5 * track.yaw_rate_radps * dt)
            if track.updates > 0 and min(np.linalg.norm(observed[:2]), np.linalg.norm(track.velocity_mps[:2])) \
                    >= p.min_turn_speed_mps:
                rate = angle_diff(math.atan2(observed[1], observed[0]),
                                  math.atan2(track.velocity_mps[1], track.velocity_mps[0])) / dt
                rate = (1 - p.yaw_rate_gain) * track.yaw_rate_radps + p.yaw_rate_gain * rate
                track.yaw_rate_radps = float(np.clip(rate, -p.max_yaw_rate_radps, p.max_yaw_rate_radps))
            elif track.updates > 0:
                track.yaw_rate_radps = 0.0
            v = (1 - gain) * prior + gain * observed
            speed = np.linalg.norm(v)
            track.velocity_mps = v if speed <= p.max_speed_mps else v * (p.max_speed_mps / speed)
            track.updates += 1
        elif dt > 0:
            track.velocity_mps = track.velocity_at(t_s)
        track.box, track.t_s = det.box, t_s
        track.hits += 1
        track.misses = 0
        track.observations[frame_index] = det
        if track.hits >= p.min_hits:
            track.confirmed = True

    def _birth(self, frame_index: int, t_s: float, det: Detection) -> TrackState:
        track = TrackState(self._next_id, det.box, t_s, observations={frame_index: det})
        self._next_id += 1
        track.confirmed = self.params.min_hits <= 1
        return track
