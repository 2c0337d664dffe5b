"""Cameras of a frame: image file, intrinsics and pose relative to the LiDAR.

``T_sensor_camera`` maps camera-frame points (x right, y down, z forward, metres) to the
frame's sensor (LiDAR) frame, so ``T_world_camera = frame.T_world_sensor @ T_sensor_camera``.
A camera whose image was taken at another time than the sweep (nuScenes) folds its own
ego pose into ``T_sensor_camera``. ``K`` is the 3x3 pinhole matrix of the (undistorted or
rectified) image; ``distortion`` is kept as the dataset gives it and not applied.
``problem`` says why the camera cannot be shown (missing image, bad calibration); the
frame's points and boxes are unaffected by it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .geometry import invert_transform

SINGULAR_EPS = 1e-9


@dataclass
class Camera:
    """One camera of a frame (see the module docstring for the frames)."""

    name: str
    image_path: Path | None
    image_size_wh: tuple[int, int]
    K: np.ndarray
    T_sensor_camera: np.ndarray = field(default_factory=lambda: np.eye(4))
    timestamp_s: float | None = None
    distortion: np.ndarray | None = None
    problem: str | None = None
    calib_path: Path | None = None

    def __post_init__(self) -> None:
        self.K = np.asarray(self.K, dtype=np.float64).reshape(3, 3)
        self.T_sensor_camera = np.asarray(self.T_sensor_camera, dtype=np.float64).reshape(4, 4)
        self.image_size_wh = (int(self.image_size_wh[0]), int(self.image_size_wh[1]))

    @property
    def usable(self) -> bool:
        """True when the camera can be projected into (its image may still fail to decode)."""
        return self.problem is None

    def T_camera_world(self, T_world_sensor: np.ndarray) -> np.ndarray:
        """4x4 world -> camera for a frame with pose ``T_world_sensor``."""
        return invert_transform(np.asarray(T_world_sensor, dtype=np.float64) @ self.T_sensor_camera)

    def projection_matrix(self, T_camera_input: np.ndarray) -> np.ndarray:
        """3x4 ``K [R | t]`` for points given in the frame ``T_camera_input`` maps from."""
        return self.K @ np.asarray(T_camera_input, dtype=np.float64)[:3, :]


def calibration_problem(K: np.ndarray, T_sensor_camera: np.ndarray, image_size_wh: tuple[int, int]) -> str | None:
    """Why a calibration cannot be used (None when it can): a K with zero focal lengths or a
    last row other than ``0 0 1``, a non-invertible or non-rigid extrinsic, a non-positive size."""
    K = np.asarray(K, dtype=np.float64)
    T = np.asarray(T_sensor_camera, dtype=np.float64)
    if K.shape != (3, 3) or not np.isfinite(K).all():
        return f"intrinsic K: expected 9 finite numbers, got shape {K.shape}"
    if abs(K[0, 0]) < SINGULAR_EPS or abs(K[1, 1]) < SINGULAR_EPS:
        return f"intrinsic K has a zero focal length (fx={K[0, 0]:g}, fy={K[1, 1]:g})"
    if not np.allclose(K[2], [0.0, 0.0, 1.0], atol=1e-6):
        return f"intrinsic K: expected the last row 0 0 1, got {K[2].tolist()}"
    if T.shape != (4, 4) or not np.isfinite(T).all():
        return "extrinsic: expected a finite 4x4 matrix"
    if not np.allclose(T[3], [0.0, 0.0, 0.0, 1.0], atol=1e-6):
        return f"extrinsic: expected the last row 0 0 0 1, got {T[3].tolist()}"
    R = T[:3, :3]
    det = float(np.linalg.det(R))
    if abs(det) < 1e-6:
        return f"extrinsic is not invertible (det of its rotation = {det:.3g})"
    if not np.allclose(R @ R.T, np.eye(3), atol=1e-3) or det < 0:
        return f"extrinsic rotation is not a rotation (det {det:.3g}, R.Rt differs from I)"
    w, h = image_size_wh
    if not (w > 0 and h > 0):
        return f"image size {w}x{h}: expected positive width and height"
    if not (0 < K[0, 2] < w and 0 < K[1, 2] < h) and (w, h) != (1, 1):
        return (f"the principal point ({K[0, 2]:.0f}, {K[1, 2]:.0f}) of K lies outside the {w}x{h} image: "
                "the calibration does not fit the image")
    return None


def projection_matrices(cameras: list[Camera], T_world_sensor: np.ndarray,
                        T_world_input: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(P (C, 3, 4), image_wh (C, 2))`` of ``cameras`` for points and boxes given in the frame
    ``T_world_input`` maps from (default: the world frame), ready for
    :func:`sweeplabel.kernels.project_to_cameras`. Pass only usable cameras."""
    T_in = np.eye(4) if T_world_input is None else np.asarray(T_world_input, dtype=np.float64)
    P = [cam.projection_matrix(cam.T_camera_world(T_world_sensor) @ T_in) for cam in cameras]
    wh = [cam.image_size_wh for cam in cameras]
    return np.array(P, dtype=np.float64).reshape(-1, 3, 4), np.array(wh, dtype=np.float64).reshape(-1, 2)
