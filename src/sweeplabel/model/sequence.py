"""Frames and sequences: where the points are and where the sensor was."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

PointLoader = Callable[[], np.ndarray]


@dataclass
class Frame:
    """One sweep. ``T_world_sensor`` maps sensor-frame points to the world frame."""

    index: int
    timestamp_s: float
    T_world_sensor: np.ndarray = field(default_factory=lambda: np.eye(4))
    loader: PointLoader | None = None
    source_path: Path | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    cameras: list[Any] = field(default_factory=list)  # model.camera.Camera, filled by the readers

    def __post_init__(self) -> None:
        T = np.asarray(self.T_world_sensor, dtype=np.float64)
        if T.shape != (4, 4):
            raise ValueError(f"T_world_sensor must be 4x4, got {T.shape}")
        self.T_world_sensor = T

    def load_points(self) -> np.ndarray:
        """Points in the sensor frame, (N, 3+) float32 with x, y, z first."""
        if self.loader is None:
            return np.zeros((0, 3), dtype=np.float32)
        points = self.loader()
        if points.ndim != 2 or points.shape[1] < 3:
            raise ValueError(f"frame {self.index}: points must be (N, 3+), got {points.shape}")
        return points

    @property
    def sensor_position_m(self) -> np.ndarray:
        return self.T_world_sensor[:3, 3].copy()


@dataclass
class Sequence:
    """An ordered list of frames sharing one world frame."""

    name: str
    frames: list[Frame]
    root: Path | None = None
    format: str = "unknown"
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, index: int) -> Frame:
        return self.frames[index]

    def __iter__(self):
        return iter(self.frames)

    @property
    def render_origin_m(self) -> np.ndarray:
        """A world point near the data, subtracted before casting to float32."""
        if not self.frames:
            return np.zeros(3)
        return self.frames[0].T_world_sensor[:3, 3].copy()
