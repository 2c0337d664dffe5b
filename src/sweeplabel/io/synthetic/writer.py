"""Write the files of a sequence folder (layout: docs/sequence-format.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..sequence_folder import (
    FORMAT_NAME,
    FORMAT_VERSION,
    POINT_DTYPE,
    POINT_FIELDS,
    TRACKS_FORMAT_NAME,
    ground_path,
    points_path,
)


def write_frame(root: Path, frame_index: int, points: np.ndarray, ground: np.ndarray) -> None:
    """``points`` (N, 5) float32 in the sensor frame; ``ground`` (N,) uint8."""
    if points.dtype != np.float32 or points.ndim != 2 or points.shape[1] != len(POINT_FIELDS):
        raise ValueError(f"points must be (N, 5) float32, got {points.shape} {points.dtype}")
    if ground.shape != (len(points),):
        raise ValueError(f"ground must have one label per point, got {ground.shape} for {len(points)} points")
    pairs = ((points_path(root, frame_index), points.astype(POINT_DTYPE)),
             (ground_path(root, frame_index), ground.astype(np.uint8)))
    for path, array in pairs:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.ascontiguousarray(array).tofile(path)


def write_poses(root: Path, timestamps_s: Iterable[float], poses: Iterable[np.ndarray]) -> None:
    """poses.txt: ``timestamp_s`` then the top 3x4 of T_world_sensor, row-major."""
    lines = []
    for t_s, T in zip(timestamps_s, poses):
        values = [float(t_s), *np.asarray(T, dtype=np.float64)[:3, :4].reshape(-1).tolist()]
        lines.append(" ".join(repr(v) for v in values))
    (Path(root) / "poses.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_tracks(root: Path, tracks: list[dict[str, Any]]) -> None:
    """labels/tracks.json: tracks with their per-frame world boxes."""
    path = Path(root) / "labels" / "tracks.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": TRACKS_FORMAT_NAME, "version": FORMAT_VERSION, "tracks": tracks}
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def write_sequence_json(root: Path, meta: dict[str, Any]) -> None:
    """sequence.json, written last so that a half-written folder is not a sequence."""
    payload = {"format": FORMAT_NAME, "version": FORMAT_VERSION, **meta}
    (Path(root) / "sequence.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
