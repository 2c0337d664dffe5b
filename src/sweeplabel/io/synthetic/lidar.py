"""A spinning multi-beam LiDAR: beam layout, one sweep over the scene, noise, intensity.

A sweep is instantaneous (no rolling-shutter distortion): every ray leaves the sensor
at the frame's pose and sees the actors where they are at the frame's timestamp."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .raycast import cast_rays_numba
from .scene import GROUND_SURFACES, Scene, Surface

# Vertical field of view (lowest, highest beam) in degrees, after common sensors:
# HDL-32E, HDL-64E, VLS-128.
DEFAULT_VERTICAL_FOV_DEG: dict[int, tuple[float, float]] = {
    32: (-30.67, 10.67),
    64: (-24.8, 2.0),
    128: (-25.0, 15.0),
}

# Mean return intensity (0..1) by surface; lane markings on the road are brighter.
INTENSITY_BY_SURFACE: dict[Surface, float] = {
    Surface.ROAD: 0.08,
    Surface.SIDEWALK: 0.22,
    Surface.KERB: 0.30,
    Surface.BUILDING: 0.40,
    Surface.POLE: 0.55,
    Surface.VEHICLE: 0.70,
    Surface.CYCLIST: 0.45,
    Surface.PEDESTRIAN: 0.35,
    Surface.VEGETATION: 0.25,
    Surface.FURNITURE: 0.45,
}
LANE_MARKING_INTENSITY = 0.85
_INTENSITY_TABLE = np.zeros(max(Surface) + 1, dtype=np.float64)
for _surface, _value in INTENSITY_BY_SURFACE.items():
    _INTENSITY_TABLE[_surface] = _value


@dataclass(frozen=True)
class LidarConfig:
    """Sensor model. Ring 0 is the lowest beam; azimuth 0 is the sensor's +x axis.
    A sweep has round(360 / horizontal_resolution_deg) evenly spaced azimuth steps."""

    beams: int = 64
    vertical_fov_deg: tuple[float, float] | None = None  # None: the default for ``beams``
    horizontal_resolution_deg: float = 0.2
    noise_m: float = 0.01  # standard deviation of the range noise
    max_range_m: float = 120.0
    min_range_m: float = 1.0
    mounting_height_m: float = 1.8
    frame_rate_hz: float = 10.0
    # realism (off by default): share of returns lost at ``max_range_m`` (growing with the
    # square of the range: dark or grazing far surfaces), leaves' scatter, per-object reflectivity
    far_dropout: float = 0.0
    vegetation_noise_m: float = 0.0
    reflectivity_jitter: float = 0.0
    # extra range noise (standard deviation) per 100 m of range: beam footprint and mixed
    # returns at the edges of far objects (off by default; ``roadside.far_realistic_lidar``)
    range_noise_per_100m: float = 0.0

    def __post_init__(self) -> None:
        if self.vertical_fov_deg is None:
            if self.beams not in DEFAULT_VERTICAL_FOV_DEG:
                raise ValueError(f"beams={self.beams}: give vertical_fov_deg, or use one of "
                                 f"{sorted(DEFAULT_VERTICAL_FOV_DEG)}")
            object.__setattr__(self, "vertical_fov_deg", DEFAULT_VERTICAL_FOV_DEG[self.beams])
        low, high = (float(v) for v in self.vertical_fov_deg)  # type: ignore[union-attr]
        object.__setattr__(self, "vertical_fov_deg", (low, high))
        if not 1 <= self.beams <= 512:
            raise ValueError(f"beams must be in 1..512, got {self.beams}")
        if not -90.0 <= low <= high <= 90.0:
            raise ValueError(f"vertical_fov_deg must be (low, high) within [-90, 90], got {(low, high)}")
        if not 0.01 <= self.horizontal_resolution_deg <= 10.0:
            raise ValueError(f"horizontal_resolution_deg must be in [0.01, 10], got {self.horizontal_resolution_deg}")
        if self.noise_m < 0 or self.max_range_m <= self.min_range_m or self.frame_rate_hz <= 0:
            raise ValueError("need noise_m >= 0, max_range_m > min_range_m and frame_rate_hz > 0")

    @property
    def azimuth_steps(self) -> int:
        return int(round(360.0 / self.horizontal_resolution_deg))

    def elevations_rad(self) -> np.ndarray:
        """(beams,) elevation of each ring, lowest first."""
        low, high = self.vertical_fov_deg  # type: ignore[misc]
        if self.beams == 1:
            return np.array([math.radians((low + high) / 2.0)])
        return np.radians(np.linspace(low, high, self.beams))

    def ray_directions(self) -> tuple[np.ndarray, np.ndarray]:
        """Unit directions (N, 3) in the sensor frame and their ring (N,), one azimuth
        column after another (the order points come out of a spinning sensor)."""
        azimuth = np.arange(self.azimuth_steps) * (2.0 * math.pi / self.azimuth_steps)
        elevation = self.elevations_rad()
        az, el = np.meshgrid(azimuth, elevation, indexing="ij")
        dirs = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], axis=-1)
        ring = np.broadcast_to(np.arange(self.beams), az.shape)
        return dirs.reshape(-1, 3), ring.reshape(-1).astype(np.int32)


@dataclass
class Sweep:
    """One frame's returns in the sensor frame plus the ground truth per point."""

    points: np.ndarray  # (N, 5) float32: x, y, z, intensity, ring
    ground: np.ndarray  # (N,) uint8, 1 = road/sidewalk/kerb top
    owner: np.ndarray  # (N,) int32 actor index, -1 for the static scene


def _nearby(boxes: np.ndarray, center_m: np.ndarray, reach_m: float) -> np.ndarray:
    half_diag = 0.5 * np.linalg.norm(boxes[:, 3:6], axis=1)
    return np.linalg.norm(boxes[:, :2] - center_m[:2], axis=1) - half_diag <= reach_m


def simulate_sweep(scene: Scene, lidar: LidarConfig, t_s: float, T_world_sensor: np.ndarray,
                   rng: np.random.Generator) -> Sweep:
    """Cast one sweep at time ``t_s`` from pose ``T_world_sensor``."""
    dirs_sensor, ring = lidar.ray_directions()
    dirs_world = dirs_sensor @ T_world_sensor[:3, :3].T
    origin = T_world_sensor[:3, 3].copy()
    solids, owners = scene.actor_solids(t_s)
    boxes = np.concatenate([scene.buildings, solids])
    box_owner = np.concatenate([np.full(len(scene.buildings), -1, np.int32), owners])
    box_surface = np.array([Surface.BUILDING] * len(scene.buildings)
                           + [scene.actors[i].surface for i in owners], dtype=np.int8)
    if len(scene.clutter):
        boxes = np.concatenate([boxes, scene.clutter])
        box_owner = np.concatenate([box_owner, np.full(len(scene.clutter), -1, np.int32)])
        box_surface = np.concatenate([box_surface, scene.clutter_surface.astype(np.int8)])
    keep = _nearby(boxes, origin, lidar.max_range_m)
    poles = scene.poles[np.linalg.norm(scene.poles[:, :2] - origin[:2], axis=1) <= lidar.max_range_m + 1.0]
    ranges, surface, owner = cast_rays_numba(
        origin, np.ascontiguousarray(dirs_world), scene.ground_planes, scene.ground_surface, scene.kerbs,
        int(Surface.KERB), np.ascontiguousarray(boxes[keep]), box_surface[keep], box_owner[keep],
        np.ascontiguousarray(poles), int(Surface.POLE), lidar.max_range_m)
    hit = (surface != 0) & (ranges >= lidar.min_range_m)
    if lidar.far_dropout > 0 or lidar.vegetation_noise_m > 0:
        from .clutter import dropout_mask

        hit &= dropout_mask(ranges, surface, lidar, rng)
    ranges, surface, owner, ring, dirs_sensor = ranges[hit], surface[hit], owner[hit], ring[hit], dirs_sensor[hit]
    ground = np.isin(surface, np.array(GROUND_SURFACES, dtype=np.int8))
    intensity = _intensity(surface, origin + ranges[:, None] * dirs_world[hit], rng)
    noisy = ranges + rng.normal(0.0, lidar.noise_m, size=ranges.shape) if lidar.noise_m > 0 else ranges
    if lidar.vegetation_noise_m > 0 or lidar.reflectivity_jitter > 0:
        from .clutter import leaf_scatter, object_reflectivity

        noisy = leaf_scatter(noisy, surface, lidar, rng)
        intensity = object_reflectivity(intensity, owner, lidar)
    if lidar.range_noise_per_100m > 0:
        noisy = noisy + rng.normal(0.0, 1.0, size=noisy.shape) * lidar.range_noise_per_100m * ranges / 100.0
    xyz = dirs_sensor * noisy[:, None]
    points = np.column_stack([xyz, intensity, ring]).astype(np.float32)
    return Sweep(points, ground.astype(np.uint8), owner)


def _intensity(surface: np.ndarray, hits_world_m: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per-surface mean, dashed centre-line markings on the road, small jitter."""
    base = _INTENSITY_TABLE[surface]
    marking = ((surface == Surface.ROAD) & (np.abs(hits_world_m[:, 1]) < 0.075)
               & (np.mod(hits_world_m[:, 0], 6.0) < 3.0))
    base = np.where(marking, LANE_MARKING_INTENSITY, base)
    return np.clip(base + rng.normal(0.0, 0.03, size=base.shape), 0.0, 1.0)
