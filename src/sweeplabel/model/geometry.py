"""Oriented 3D boxes and rigid transforms (world frame, metres, radians)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Corner order: bottom face counter-clockwise from (+l/2, +w/2), then the top face
# in the same order. Corners 0,1 (and 4,5) are the front (+x in the box frame).
_UNIT_CORNERS = np.array(
    [
        [0.5, 0.5, -0.5],
        [0.5, -0.5, -0.5],
        [-0.5, -0.5, -0.5],
        [-0.5, 0.5, -0.5],
        [0.5, 0.5, 0.5],
        [0.5, -0.5, 0.5],
        [-0.5, -0.5, 0.5],
        [-0.5, 0.5, 0.5],
    ],
    dtype=np.float64,
)

# The 12 edges as pairs of corner indices (for wireframes).
BOX_EDGES = (
    (0, 1), (1, 2), (2, 3), (3, 0),
    (4, 5), (5, 6), (6, 7), (7, 4),
    (0, 4), (1, 5), (2, 6), (3, 7),
)


def wrap_angle(angle_rad: float) -> float:
    """Wrap an angle to [-pi, pi)."""
    return float((angle_rad + math.pi) % (2.0 * math.pi) - math.pi)


def angle_diff(a_rad: float, b_rad: float) -> float:
    """Signed shortest difference ``a - b`` wrapped to [-pi, pi)."""
    return wrap_angle(a_rad - b_rad)


def rotation_z(yaw_rad: float) -> np.ndarray:
    """3x3 rotation about +z."""
    c, s = math.cos(yaw_rad), math.sin(yaw_rad)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def make_transform(rotation: np.ndarray, translation_m: np.ndarray) -> np.ndarray:
    """4x4 homogeneous transform from a 3x3 rotation and a translation."""
    T = np.eye(4)
    T[:3, :3] = rotation
    T[:3, 3] = translation_m
    return T


def invert_transform(T: np.ndarray) -> np.ndarray:
    """Inverse of a rigid 4x4 transform (R^T, -R^T t), exact for rotations."""
    R = T[:3, :3]
    t = T[:3, 3]
    out = np.eye(4)
    out[:3, :3] = R.T
    out[:3, 3] = -R.T @ t
    return out


def transform_points(T: np.ndarray, points_m: np.ndarray) -> np.ndarray:
    """Apply a 4x4 transform to (N, 3+) points; returns (N, 3) float64."""
    xyz = np.asarray(points_m, dtype=np.float64)[:, :3]
    return xyz @ T[:3, :3].T + T[:3, 3]


def yaw_of_rotation(rotation: np.ndarray) -> float:
    """Heading (about +z) of the x axis of a 3x3 rotation."""
    return math.atan2(rotation[1, 0], rotation[0, 0])


def _vec3(value: object, name: str) -> np.ndarray:
    arr = np.array(value, dtype=np.float64).reshape(-1)
    if arr.shape != (3,):
        raise ValueError(f"{name} needs 3 values, got shape {np.shape(value)}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr.tolist()}")
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Box:
    """An oriented cuboid: geometric centre, size (length along heading, width,
    height) and yaw about +z, 0 along +x. Immutable; edits make new boxes."""

    center_m: np.ndarray
    size_lwh_m: np.ndarray
    yaw_rad: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "center_m", _vec3(self.center_m, "center_m"))
        size = _vec3(self.size_lwh_m, "size_lwh_m")
        if np.any(size < 0):
            raise ValueError(f"size_lwh_m must be >= 0, got {size.tolist()}")
        object.__setattr__(self, "size_lwh_m", size)
        yaw = float(self.yaw_rad)
        if not math.isfinite(yaw):
            raise ValueError(f"yaw_rad must be finite, got {yaw}")
        object.__setattr__(self, "yaw_rad", wrap_angle(yaw))

    # -- construction / conversion -------------------------------------------------
    @classmethod
    def from_array(cls, values: np.ndarray) -> "Box":
        """From ``[cx, cy, cz, length, width, height, yaw]`` (the kernels' layout)."""
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        if v.shape != (7,):
            raise ValueError(f"a box array needs 7 values, got {v.shape}")
        return cls(v[:3], v[3:6], float(v[6]))

    def to_array(self) -> np.ndarray:
        """``[cx, cy, cz, length, width, height, yaw]`` float64."""
        return np.concatenate([self.center_m, self.size_lwh_m, [self.yaw_rad]])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Box):
            return NotImplemented
        return bool(np.array_equal(self.to_array(), other.to_array()))

    def __hash__(self) -> int:
        return hash(self.to_array().tobytes())

    def isclose(self, other: "Box", tol_m: float = 1e-9, tol_rad: float = 1e-9) -> bool:
        """Equal within tolerances (yaw compared across the wrap)."""
        return bool(
            np.allclose(self.center_m, other.center_m, atol=tol_m, rtol=0)
            and np.allclose(self.size_lwh_m, other.size_lwh_m, atol=tol_m, rtol=0)
            and abs(angle_diff(self.yaw_rad, other.yaw_rad)) <= tol_rad
        )

    # -- geometry -------------------------------------------------------------------
    @property
    def rotation(self) -> np.ndarray:
        return rotation_z(self.yaw_rad)

    @property
    def T_world_box(self) -> np.ndarray:
        """4x4 transform from the box frame (origin at centre, x along heading)."""
        return make_transform(self.rotation, self.center_m)

    @property
    def volume_m3(self) -> float:
        return float(np.prod(self.size_lwh_m))

    @property
    def bottom_center_m(self) -> np.ndarray:
        return self.center_m - np.array([0.0, 0.0, self.size_lwh_m[2] / 2.0])

    def corners(self) -> np.ndarray:
        """(8, 3) corners in the box's frame of reference (see ``BOX_EDGES``)."""
        local = _UNIT_CORNERS * self.size_lwh_m
        return local @ self.rotation.T + self.center_m

    def heading_vector(self) -> np.ndarray:
        return np.array([math.cos(self.yaw_rad), math.sin(self.yaw_rad), 0.0])

    def contains(self, points_m: np.ndarray, margin_m: float = 0.0) -> np.ndarray:
        """Boolean mask of (N, 3+) points inside the box (faces inclusive)."""
        local = transform_points(invert_transform(self.T_world_box), points_m)
        half = self.size_lwh_m / 2.0 + margin_m
        return np.all(np.abs(local) <= half, axis=1)

    # -- edits (each returns a new box) -----------------------------------------------
    def transformed(self, T: np.ndarray) -> "Box":
        """The same box expressed through the rigid transform ``T`` (new <- old).

        Only the yaw part of T's rotation is kept (boxes stay upright)."""
        center = T[:3, :3] @ self.center_m + T[:3, 3]
        yaw = self.yaw_rad + yaw_of_rotation(T[:3, :3])
        return Box(center, self.size_lwh_m, yaw)

    def translated(self, delta_m: np.ndarray) -> "Box":
        return Box(self.center_m + np.asarray(delta_m, dtype=np.float64), self.size_lwh_m, self.yaw_rad)

    def moved_local(self, delta_box_m: np.ndarray) -> "Box":
        """Translate by a vector given in the box frame (forward, left, up)."""
        return self.translated(self.rotation @ np.asarray(delta_box_m, dtype=np.float64))

    def rotated(self, delta_yaw_rad: float) -> "Box":
        return Box(self.center_m, self.size_lwh_m, self.yaw_rad + delta_yaw_rad)

    def with_yaw(self, yaw_rad: float) -> "Box":
        return Box(self.center_m, self.size_lwh_m, yaw_rad)

    def with_center(self, center_m: np.ndarray) -> "Box":
        return Box(center_m, self.size_lwh_m, self.yaw_rad)

    def with_size(self, size_lwh_m: np.ndarray) -> "Box":
        return Box(self.center_m, size_lwh_m, self.yaw_rad)

    def flipped(self) -> "Box":
        """Heading turned by 180 degrees (same volume)."""
        return self.rotated(math.pi)

    def resized_anchored(self, delta_lwh_m: np.ndarray, anchor_lwh: np.ndarray) -> "Box":
        """Grow/shrink keeping one face fixed: ``anchor_lwh`` holds -1, 0 or +1 per
        axis (the face that stays put; 0 = grow symmetrically)."""
        delta = np.asarray(delta_lwh_m, dtype=np.float64)
        new_size = np.maximum(self.size_lwh_m + delta, 0.0)
        real_delta = new_size - self.size_lwh_m
        shift_local = -np.asarray(anchor_lwh, dtype=np.float64) * real_delta / 2.0
        return Box(self.center_m + self.rotation @ shift_local, new_size, self.yaw_rad)
