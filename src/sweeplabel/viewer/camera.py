"""An orbit camera around a target point (render frame, z up, metres, radians)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

DEFAULT_AZIMUTH_RAD = math.pi  # eye behind the origin, looking along +x
DEFAULT_ELEVATION_RAD = math.radians(35.0)
MIN_ELEVATION_RAD = math.radians(-85.0)
MAX_ELEVATION_RAD = math.pi / 2.0  # straight down is fine: see ``up``
MIN_DISTANCE_M = 0.5
MAX_DISTANCE_M = 5000.0


@dataclass
class OrbitCamera:
    """The eye sits ``distance_m`` from ``target`` at ``azimuth_rad`` (about +z,
    0 along +x) and ``elevation_rad`` (above the xy plane). Methods edit in place."""

    target: np.ndarray = field(default_factory=lambda: np.zeros(3))
    distance_m: float = 40.0
    azimuth_rad: float = DEFAULT_AZIMUTH_RAD
    elevation_rad: float = DEFAULT_ELEVATION_RAD
    fov_deg: float = 60.0

    def __post_init__(self) -> None:
        self.target = np.asarray(self.target, dtype=np.float64).reshape(3).copy()
        self.distance_m = _clamp(float(self.distance_m), MIN_DISTANCE_M, MAX_DISTANCE_M)
        self.elevation_rad = _clamp(float(self.elevation_rad), MIN_ELEVATION_RAD, MAX_ELEVATION_RAD)

    # -- derived --------------------------------------------------------------------
    def view_direction(self) -> np.ndarray:
        """Unit vector from the target towards the eye."""
        ce = math.cos(self.elevation_rad)
        return np.array(
            [ce * math.cos(self.azimuth_rad), ce * math.sin(self.azimuth_rad), math.sin(self.elevation_rad)]
        )

    def eye(self) -> np.ndarray:
        return self.target + self.distance_m * self.view_direction()

    def up(self) -> np.ndarray:
        """Screen-up: d(view_direction)/d(elevation). Defined at the bird's-eye pose too."""
        se = math.sin(self.elevation_rad)
        return np.array(
            [-se * math.cos(self.azimuth_rad), -se * math.sin(self.azimuth_rad), math.cos(self.elevation_rad)]
        )

    def right(self) -> np.ndarray:
        """Screen-right (unit)."""
        return np.cross(-self.view_direction(), self.up())

    def metres_per_pixel(self, viewport_height_px: int) -> float:
        """World size of one pixel at the target's depth."""
        visible_height_m = 2.0 * self.distance_m * math.tan(math.radians(self.fov_deg) / 2.0)
        return visible_height_m / max(int(viewport_height_px), 1)

    def clip_planes_m(self) -> tuple[float, float]:
        """(near, far) covering a LiDAR sweep's range from the current eye."""
        return (max(0.05, self.distance_m * 1e-3), self.distance_m + 2000.0)

    # -- interaction ----------------------------------------------------------------
    def orbit(self, delta_azimuth_rad: float, delta_elevation_rad: float) -> None:
        self.azimuth_rad = math.remainder(self.azimuth_rad + delta_azimuth_rad, 2.0 * math.pi)
        self.elevation_rad = _clamp(self.elevation_rad + delta_elevation_rad, MIN_ELEVATION_RAD, MAX_ELEVATION_RAD)

    def pan(self, dx_px: float, dy_px: float, viewport_height_px: int) -> None:
        """Move target and eye so the scene follows the cursor (screen px, y down)."""
        scale_m = self.metres_per_pixel(viewport_height_px)
        self.target = self.target - self.right() * (dx_px * scale_m) + self.up() * (dy_px * scale_m)

    def zoom(self, factor: float) -> None:
        """Multiply the distance by ``factor`` (< 1 moves closer)."""
        self.distance_m = _clamp(self.distance_m * float(factor), MIN_DISTANCE_M, MAX_DISTANCE_M)

    # -- presets --------------------------------------------------------------------
    def birds_eye(self) -> None:
        """Look straight down with +x (forward) pointing up on screen."""
        self.azimuth_rad = DEFAULT_AZIMUTH_RAD
        self.elevation_rad = MAX_ELEVATION_RAD

    def fit(self, xyz_m: np.ndarray, margin: float = 1.0) -> None:
        """Centre on the points' robust extent and back off until it fits the view."""
        xyz = np.asarray(xyz_m, dtype=np.float64)
        if xyz.size == 0:
            self.target = np.zeros(3)
            return
        lo, hi = np.percentile(xyz[:, :3], [1.0, 99.0], axis=0)
        self.target = (lo + hi) / 2.0
        radius_m = max(float(np.linalg.norm(hi - lo)) / 2.0, 1.0)
        half_fov_rad = math.radians(self.fov_deg) / 2.0
        self.distance_m = _clamp(margin * radius_m / math.tan(half_fov_rad), MIN_DISTANCE_M, MAX_DISTANCE_M)

    def reset(self, xyz_m: np.ndarray) -> None:
        """The default pose, fitted to the points."""
        self.azimuth_rad = DEFAULT_AZIMUTH_RAD
        self.elevation_rad = DEFAULT_ELEVATION_RAD
        self.fit(xyz_m)


def _clamp(value: float, lo: float, hi: float) -> float:
    return min(max(value, lo), hi)
