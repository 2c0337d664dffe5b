"""``generate_sequence``: simulate a drive down the synthetic street and write it out."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .lidar import LidarConfig, simulate_sweep
from .scene import Scene, SceneConfig, build_scene
from .writer import POINT_FIELDS, write_frame, write_poses, write_sequence_json, write_tracks

GENERATOR_NAME = "sweeplabel.io.synthetic"
GENERATOR_VERSION = 1
_TOKEN_NAMESPACE = uuid.UUID("6f1c1d2e-8a4b-5c3d-9e0f-7a6b5c4d3e2f")


class GenerationCancelled(Exception):
    """``cancel()`` returned True; the folder holds no ``sequence.json`` yet."""


def track_token(seed: int, number: int) -> str:
    """Stable token of a ground-truth track (same seed, same token)."""
    return uuid.uuid5(_TOKEN_NAMESPACE, f"{seed}/{number}").hex


def annotation_token(seed: int, number: int, frame_index: int) -> str:
    return uuid.uuid5(_TOKEN_NAMESPACE, f"{seed}/{number}/{frame_index}").hex


def generate_sequence(
    out_dir: Path,
    frames: int = 20,
    beams: int = 64,
    seed: int = 0,
    *,
    vertical_fov_deg: tuple[float, float] | None = None,
    horizontal_resolution_deg: float = 0.2,
    noise_m: float = 0.01,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    lidar: LidarConfig | None = None,
    scene: SceneConfig | None = None,
) -> Path:
    """Write a synthetic sequence folder to ``out_dir`` and return it.

    The same arguments give the same bytes. ``lidar`` (if given) replaces the beam,
    FOV, resolution and noise arguments. ``progress(done, total)`` is called after
    each frame; ``cancel()`` is asked before each frame and raises
    ``GenerationCancelled`` when it returns True. ``sequence.json`` is removed first
    and written last, so an interrupted run never leaves a readable, mixed folder."""
    if frames < 1:
        raise ValueError(f"frames must be >= 1, got {frames}")
    lidar = lidar or LidarConfig(beams=beams, vertical_fov_deg=vertical_fov_deg,
                                 horizontal_resolution_deg=horizontal_resolution_deg, noise_m=noise_m)
    scene_config = scene or SceneConfig()
    world = build_scene(scene_config, frames / lidar.frame_rate_hz, seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "sequence.json").unlink(missing_ok=True)  # a folder half-overwritten is no sequence
    timestamps = [i / lidar.frame_rate_hz for i in range(frames)]
    poses = [world.T_world_sensor(t, lidar.mounting_height_m) for t in timestamps]
    boxes: dict[int, list[dict[str, Any]]] = {}
    for i, (t_s, T) in enumerate(zip(timestamps, poses)):
        if cancel is not None and cancel():
            raise GenerationCancelled(f"cancelled before frame {i} of {frames}")
        sweep = simulate_sweep(world, lidar, t_s, T, np.random.default_rng([seed, 1, i]))
        write_frame(out_dir, i, sweep.points, sweep.ground)
        counts = np.bincount(sweep.owner[sweep.owner >= 0], minlength=len(world.actors))
        _collect_boxes(world, lidar, seed, i, t_s, T, counts, boxes)
        if progress is not None:
            progress(i + 1, frames)
    write_poses(out_dir, timestamps, poses)
    write_tracks(out_dir, _tracks_payload(world, seed, boxes))
    write_sequence_json(out_dir, _sequence_meta(frames, seed, lidar, scene_config))
    return out_dir


def _collect_boxes(world: Scene, lidar: LidarConfig, seed: int, frame_index: int, t_s: float,
                   T_world_sensor: np.ndarray, counts: np.ndarray,
                   boxes: dict[int, list[dict[str, Any]]]) -> None:
    """Record each actor's box in this frame if it is within the sensor's range."""
    sensor_xy = T_world_sensor[:2, 3]
    for index, actor in enumerate(world.actors):
        box = world.actor_box(actor, t_s)
        reach = lidar.max_range_m + 0.5 * float(np.linalg.norm(box.size_lwh_m))
        if np.linalg.norm(box.center_m[:2] - sensor_xy) > reach:
            continue
        boxes.setdefault(index, []).append({
            "token": annotation_token(seed, actor.number, frame_index),
            "frame": frame_index,
            "center_m": box.center_m.tolist(),
            "size_lwh_m": box.size_lwh_m.tolist(),
            "yaw_rad": box.yaw_rad,
            "num_points": int(counts[index]),
            "attributes": dict(actor.attributes),
        })


def _tracks_payload(world: Scene, seed: int, boxes: dict[int, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    tracks = []
    for index, actor in enumerate(world.actors):
        if index not in boxes:
            continue
        tracks.append({
            "token": track_token(seed, actor.number),
            "number": actor.number,
            "category": actor.category,
            "motion": {"speed_mps": actor.speed_mps, "yaw_rate_radps": actor.yaw_rate_radps},
            "boxes": boxes[index],
        })
    return tracks


def _sequence_meta(frames: int, seed: int, lidar: LidarConfig, scene: SceneConfig) -> dict[str, Any]:
    return {
        "name": f"synthetic-{lidar.beams}b-seed{seed}",
        "frame_count": frames,
        "frame_rate_hz": lidar.frame_rate_hz,
        "point_fields": list(POINT_FIELDS),
        "point_dtype": "float32",
        "points_frame": "sensor",
        "lidar": _without_unset(asdict(lidar), LidarConfig),
        "seed": seed,
        "generator": {"name": GENERATOR_NAME, "version": GENERATOR_VERSION,
                      "scene": _without_unset(asdict(scene), SceneConfig)},
    }


# settings added after sequences were written: recorded only when set, so a sequence that does
# not use them keeps its bytes (``roadside``)
_LATER_FIELDS = ("range_noise_per_100m", "roadside_per_100m", "hedge_parking", "stepped_cars",
                 "glass_cabin_share")


def _without_unset(values: dict[str, Any], config: type) -> dict[str, Any]:
    default = asdict(config())
    return {k: v for k, v in values.items() if k not in _LATER_FIELDS or v != default[k]}
