"""Ego motion for a sequence without poses, so that the tracker sees parked cars stand still.

Without poses the world frame is each sensor frame: between two sweeps every static object
moves by the ego's own motion (SUSTechPOINTS: 2-5 m in 0.5 s, about one car length), and the
tracker, which expects a parked car where it was, joins each car with the one behind it.
The static scene around the sensor shifts almost uniformly between two sweeps; that shift
(``scene_shift.scene_shift_m``, a cross-correlation of the bird's-eye occupancy) chained over
the frames gives each frame a translation-only pose. Pre-annotation runs in that frame and its
boxes are carried back to each frame's own sensor frame."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..model import Box, Sequence
from .track_cleanup import AutoTrack

MAX_EGO_SPEED_MPS = 20.0  # the search for the scene's shift reaches this far per second between frames
SHIFT_RADIUS_M = 25.0  # the static scene within this BEV radius of the sensor


def has_poses(sequence: Sequence, indices: list[int]) -> bool:
    """Whether the frames carry poses (any sensor pose differs from the first)."""
    first = sequence[indices[0]].T_world_sensor
    return any(not np.allclose(sequence[i].T_world_sensor, first) for i in indices[1:])


def ego_offsets_m(sequence: Sequence, indices: list[int], min_step_m: float = 0.0) -> dict[int, np.ndarray] | None:
    """Per frame the sensor's position (3,) relative to the first frame's, from the scene's
    shift between consecutive frames; None when a shift is not clear (a bare scene) or the
    median step is under ``min_step_m`` (the tracker follows such steps itself, and on the
    0.25 m grid of the shift a small step is a coarse estimate)."""
    from .scene_shift import scene_shift_m

    out = {indices[0]: np.zeros(3)}
    probe = Box([0.0, 0.0, 0.0], [0.1, 0.1, 0.1], 0.0)  # no object of its own to leave out
    prev = sequence[indices[0]].load_points()
    for a, b in zip(indices, indices[1:]):
        points = sequence[b].load_points()
        dt = abs(sequence[b].timestamp_s - sequence[a].timestamp_s) or 0.1
        shift = scene_shift_m(prev, points, probe, max_shift_m=max(1.0, MAX_EGO_SPEED_MPS * dt),
                              radius_m=SHIFT_RADIUS_M)
        if shift is None:
            return None
        out[b] = out[a] + np.array([-shift[0], -shift[1], 0.0])  # the scene moves against the ego
        prev = points
    steps = [float(np.hypot(*(out[b] - out[a])[:2])) for a, b in zip(indices, indices[1:])]
    return out if float(np.median(steps)) >= min_step_m else None


def shifted_sequence(sequence: Sequence, offsets_m: dict[int, np.ndarray]) -> Sequence:
    """The sequence with each frame's pose translated by its offset."""
    frames = list(sequence.frames)
    for i, off in offsets_m.items():
        T = np.array(frames[i].T_world_sensor, dtype=np.float64)
        T[:3, 3] += off
        frames[i] = replace(frames[i], T_world_sensor=T)
    return replace(sequence, frames=frames)


def back_to_frames(tracks: list[AutoTrack], offsets_m: dict[int, np.ndarray]) -> list[AutoTrack]:
    """Each box carried from the ego-motion frame back to its frame's own world frame."""
    for t in tracks:
        t.boxes = {f: box.translated(-offsets_m.get(f, np.zeros(3))) for f, box in t.boxes.items()}
    return tracks
