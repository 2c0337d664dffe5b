"""Points around boxes, and the object-centric accumulation of a track's points in
its own box frame (the whole car, although each sweep shows one side of it).

Kernels take float32 points, so world points are first expressed about a nearby
origin (``points_about``): world coordinates such as UTM lose centimetres in float32."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from ..kernels import points_in_boxes
from ..model import Box, Frame, Project, invert_transform


def points_about(frame: Frame, origin_m: np.ndarray, points: np.ndarray | None = None) -> np.ndarray:
    """The frame's points in world axes about ``origin_m``: (N, 3) C-contiguous float32
    ``p_world - origin_m`` (pass ``points`` if the sensor-frame points are loaded already)."""
    pts = frame.load_points() if points is None else points
    T = frame.T_world_sensor
    R, t = T[:3, :3], T[:3, 3] - np.asarray(origin_m, dtype=np.float64)
    p = pts[:, :3].astype(np.float64)
    rel = np.empty((len(p), 3), dtype=np.float32)
    for k in range(3):  # column by column: a (N, 3) @ (3, 3) matmul goes to BLAS, 3-6x slower on a busy machine
        rel[:, k] = p[:, 0] * R[k, 0] + p[:, 1] * R[k, 1] + p[:, 2] * R[k, 2] + t[k]
    return rel


def box_about(box: Box, origin_m: np.ndarray) -> Box:
    """``box`` translated so ``origin_m`` becomes the origin."""
    return box.translated(-np.asarray(origin_m, dtype=np.float64))


def grown(box: Box, margin_m: float) -> Box:
    """The box with ``margin_m`` added on every face."""
    return box.with_size(box.size_lwh_m + 2.0 * margin_m)


@dataclass
class ObjectPoints:
    """A track's points stacked in its box frame (x forward, y left, z up, origin at
    the box centre): ``points_box_m`` (N, 3) float32 and the ``frame_index`` (N,) of each."""

    track_token: str
    points_box_m: np.ndarray
    frame_index: np.ndarray

    def __len__(self) -> int:
        return len(self.points_box_m)


def accumulate_track_points(project: Project, track_token: str, frames: Iterable[int] | None = None,
                            margin_m: float = 0.15, max_points: int | None = None,
                            seed: int = 0) -> ObjectPoints:
    """Stack the points inside each box of the track (grown by ``margin_m``), each
    expressed in that box's frame. ``max_points`` keeps a random subset."""
    wanted = None if frames is None else set(frames)
    chunks, owners = [], []
    for ann in project.annotations_of_track(track_token):
        if wanted is not None and ann.frame_index not in wanted:
            continue
        frame = project.sequence[ann.frame_index]
        local = points_in_box_frame(frame, ann.box, margin_m)
        chunks.append(local)
        owners.append(np.full(len(local), ann.frame_index, dtype=np.int32))
    pts = np.concatenate(chunks) if chunks else np.zeros((0, 3), dtype=np.float32)
    idx = np.concatenate(owners) if owners else np.zeros(0, dtype=np.int32)
    if max_points is not None and len(pts) > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(len(pts), max_points, replace=False))
        pts, idx = pts[keep], idx[keep]
    return ObjectPoints(track_token, np.ascontiguousarray(pts, dtype=np.float32), idx)


def points_in_box_frame(frame: Frame, box: Box, margin_m: float = 0.0,
                        points: np.ndarray | None = None) -> np.ndarray:
    """The frame's points inside ``box`` (grown by ``margin_m``), in the box frame (float32)."""
    rel = points_about(frame, box.center_m, points)
    inside = points_in_boxes(rel, grown(box_about(box, box.center_m), margin_m).to_array()[None, :])[0] >= 0
    R = box.rotation
    return np.ascontiguousarray(rel[inside].astype(np.float64) @ R, dtype=np.float32)


def to_world(points_box_m: np.ndarray, box: Box) -> np.ndarray:
    """Box-frame points back to the world frame through ``box`` (float64)."""
    return np.asarray(points_box_m, dtype=np.float64) @ box.rotation.T + box.center_m


def box_frame_transform(box: Box) -> np.ndarray:
    """4x4 ``T_box_world`` (world -> box frame)."""
    return invert_transform(box.T_world_box)
