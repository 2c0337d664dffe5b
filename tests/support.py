"""Small builders shared by tests (importable as ``support``)."""

from __future__ import annotations

import numpy as np

from sweeplabel.model import Frame, Sequence


def make_sequence(n_frames: int = 10, name: str = "mem") -> Sequence:
    """A small in-memory sequence: the ego moves 1 m per frame along +x."""
    frames = []
    for i in range(n_frames):
        T = np.eye(4)
        T[0, 3] = float(i)
        rng = np.random.default_rng(i)
        pts = rng.uniform(-20, 20, size=(500, 4)).astype(np.float32)
        frames.append(Frame(i, 0.1 * i, T, loader=lambda pts=pts: pts))
    return Sequence(name, frames, format="memory")


def editor_points(frame: Frame, origin_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A frame's points as the editor holds them: ``(points about origin_m, Patchwork++ ground mask,
    sensor position about origin_m)``."""
    from sweeplabel.assist.object_view import points_about
    from sweeplabel.kernels import segment_ground

    raw = frame.load_points()
    ground = np.asarray(segment_ground(np.ascontiguousarray(raw[:, :3]), method="patchwork"), dtype=bool)
    return points_about(frame, origin_m, raw), ground, frame.T_world_sensor[:3, 3] - origin_m
