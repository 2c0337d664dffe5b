"""Interpolation of a track's boxes between its keyframes (world frame).

Keyframes: the track's non-interpolated boxes; for an explicit interpolation (``T``, with
``user_keys``) the boxes the user placed or edited (manual) when there are two or more, and
then every box between them is re-interpolated whatever its source.

Centre: along a constant-turn-rate path (the circular arc through three
neighbouring keyframe centres, swept at a constant angular rate in time) when the
track has three or more keyframes, else linear in time. Yaw: the shortest way across
the +-pi wrap. Size: linear in time (constant when the keyframes agree)."""

from __future__ import annotations

import math
from typing import Sequence as Seq

import numpy as np

from ..model import Box, Command, Project, Source, angle_diff, commands

# Below this curvature (1/m) the three centres are treated as collinear.
_MIN_CURVATURE_PER_M = 1e-4


def interpolate_boxes(key_times_s: Seq[float], key_boxes: Seq[Box], times_s: Seq[float]) -> list[Box]:
    """Boxes at ``times_s`` (each within the keyframes' span) from sorted keyframes."""
    kt = np.asarray(key_times_s, dtype=np.float64)
    if len(kt) < 2 or np.any(np.diff(kt) <= 0):
        raise ValueError("need two or more keyframes with increasing times")
    out = []
    for t in times_s:
        if not kt[0] <= t <= kt[-1]:
            raise ValueError(f"time {t} s is outside the keyframes' span {kt[0]}..{kt[-1]} s")
        k = min(int(np.searchsorted(kt, t, side="right")) - 1, len(kt) - 2)
        out.append(_between(kt, key_boxes, k, float(t)))
    return out


def _between(kt: np.ndarray, boxes: Seq[Box], k: int, t: float) -> Box:
    b0, b1 = boxes[k], boxes[k + 1]
    u = (t - kt[k]) / (kt[k + 1] - kt[k])
    yaw = b0.yaw_rad + u * angle_diff(b1.yaw_rad, b0.yaw_rad)
    size = (1.0 - u) * b0.size_lwh_m + u * b1.size_lwh_m
    center = (1.0 - u) * b0.center_m + u * b1.center_m
    triple = _arc_triple(len(boxes), k)
    if triple is not None:
        arc_xy = _arc_point(kt, boxes, triple, k, t)
        if arc_xy is not None:
            center = np.array([arc_xy[0], arc_xy[1], center[2]])
    return Box(center, size, yaw)


def _arc_triple(n: int, k: int) -> tuple[int, int, int] | None:
    """Three keyframes whose arc covers segment k..k+1 (prefer looking ahead)."""
    if n < 3:
        return None
    return (k, k + 1, k + 2) if k + 2 < n else (k - 1, k, k + 1)


def _arc_point(kt: np.ndarray, boxes: Seq[Box], triple: tuple[int, int, int], k: int, t: float):
    """Position at time t on the circle through the triple's centres, with the angle
    about the circle's centre linear in time between keyframes k and k+1."""
    p = [boxes[i].center_m[:2] for i in triple]
    centre = _circumcentre(*p)
    if centre is None:
        return None
    radius = float(np.linalg.norm(p[0] - centre))
    if 1.0 / radius < _MIN_CURVATURE_PER_M:
        return None
    a0 = _angle_about(centre, boxes[k].center_m[:2])
    a1 = _angle_about(centre, boxes[k + 1].center_m[:2])
    u = (t - kt[k]) / (kt[k + 1] - kt[k])
    a = a0 + u * angle_diff(a1, a0)
    return centre + radius * np.array([math.cos(a), math.sin(a)])


def _circumcentre(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray | None:
    d = 2.0 * (a[0] * (b[1] - c[1]) + b[0] * (c[1] - a[1]) + c[0] * (a[1] - b[1]))
    if abs(d) < 1e-12:
        return None
    a2, b2, c2 = a @ a, b @ b, c @ c
    ux = (a2 * (b[1] - c[1]) + b2 * (c[1] - a[1]) + c2 * (a[1] - b[1])) / d
    uy = (a2 * (c[0] - b[0]) + b2 * (a[0] - c[0]) + c2 * (b[0] - a[0])) / d
    return np.array([ux, uy])


def _angle_about(centre: np.ndarray, point: np.ndarray) -> float:
    return math.atan2(point[1] - centre[1], point[0] - centre[0])


def user_keyframes(project: Project, track_token: str) -> list[int]:
    """The track's keyframes for an explicit interpolation: the frames of its manual boxes
    (placed or edited by the user) when there are two or more, else of all its
    non-interpolated boxes."""
    anns = project.annotations_of_track(track_token)
    manual = [a.frame_index for a in anns if a.source == Source.MANUAL]
    return manual if len(manual) >= 2 else [a.frame_index for a in anns if a.source != Source.INTERPOLATED]


def interpolate_track(project: Project, track_token: str, user_keys: bool = False) -> Command:
    """One command that fills every frame between the track's keyframes with
    ``interpolated`` boxes, recomputing old ones (only boxes that change are written).

    Keyframes: its non-interpolated boxes; with ``user_keys`` its manual boxes when it has
    two or more (``user_keyframes``), and then every box between them is re-interpolated,
    propagated and auto boxes included."""
    anns = project.annotations_of_track(track_token)
    key_set = set(user_keyframes(project, track_token)) if user_keys else \
        {a.frame_index for a in anns if a.source != Source.INTERPOLATED}
    keys = [a for a in anns if a.frame_index in key_set]
    if len(keys) < 2:
        return Command("Interpolate", [])
    frames = project.sequence.frames
    key_frames = [a.frame_index for a in keys]
    key_times = [frames[i].timestamp_s for i in key_frames]
    todo = [i for i in range(key_frames[0] + 1, key_frames[-1]) if i not in key_set]
    boxes = interpolate_boxes(key_times, [a.box for a in keys], [frames[i].timestamp_s for i in todo])
    cmd = commands.put_annotations(project, zip([track_token] * len(todo), todo, boxes),
                                   Source.INTERPOLATED, text="Interpolate track")
    cmd.changes = [c for c in cmd.changes if c.before is None or c.before.box != c.after.box
                   or c.before.source != c.after.source]
    return cmd


def stale_interpolations(project: Project, track_token: str) -> Command:
    """Remove the track's interpolated boxes outside its keyframes' span (left behind when
    the first or last keyframe was moved in time or deleted)."""
    anns = project.annotations_of_track(track_token)
    keys = [a.frame_index for a in anns if a.source != Source.INTERPOLATED]
    lo, hi = (min(keys), max(keys)) if len(keys) >= 2 else (0, -1)
    stale = [a for a in anns if a.source == Source.INTERPOLATED and not lo < a.frame_index < hi]
    if len(stale) == len(anns):  # never leave a track without boxes
        stale = stale[1:]
    return commands.delete_annotations(project, [a.token for a in stale]) if stale else Command("", [])


def execute_with_reinterpolation(project: Project, command: Command) -> None:
    """Execute ``command`` and, in the same undo step, recompute the interpolated boxes of
    every track whose keyframes it changed (tracks without interpolated boxes are left as
    they are: their gaps are the annotator's choice)."""
    touched = []
    for change in command.changes:
        for ann in (change.before, change.after):
            if getattr(ann, "frame_index", None) is not None and ann.source != Source.INTERPOLATED:
                touched.append(ann.track_token)
    touched = [t for t in dict.fromkeys(touched)
               if any(a.source == Source.INTERPOLATED for a in project.annotations_of_track(t))]
    with project.undo.macro(command.text):
        project.execute(command)
        for track in touched:
            if project.get_track(track) is None:
                continue
            project.execute(stale_interpolations(project, track))
            project.execute(interpolate_track(project, track))
