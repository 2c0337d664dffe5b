"""Synthetic LiDAR sequences with exact ground truth: a spinning multi-beam sensor on
a car driving down a street with kerbs, walls, poles, parked and moving actors.

``generate_sequence(out_dir, frames, beams, seed)`` writes a sequence folder that
``sweeplabel.io.sequence_folder`` reads (layout: docs/sequence-format.md)."""

from .generator import GenerationCancelled, generate_sequence
from .lidar import DEFAULT_VERTICAL_FOV_DEG, LidarConfig
from .scene import SceneConfig, Surface

__all__ = [
    "DEFAULT_VERTICAL_FOV_DEG", "GenerationCancelled", "LidarConfig", "SceneConfig", "Surface",
    "generate_sequence",
]
