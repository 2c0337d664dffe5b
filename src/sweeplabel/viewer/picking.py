"""Screen <-> scene for an OrbitCamera (pure NumPy): rays, the view-projection
matrix, ray-box hits. Pixels have their origin top-left, y down; the scene is the
render frame (world minus the render origin)."""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from sweeplabel.model import Box

from .camera import OrbitCamera


def camera_ray(camera: OrbitCamera, x_px: float, y_px: float, size_px: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(origin (3,), unit direction (3,)) of the ray through pixel (x, y)."""
    width_px, height_px = size_px
    tan_half = math.tan(math.radians(camera.fov_deg) / 2.0)
    ndc_x = 2.0 * x_px / width_px - 1.0
    ndc_y = 1.0 - 2.0 * y_px / height_px
    forward = -camera.view_direction()
    direction = forward + ndc_x * tan_half * (width_px / height_px) * camera.right() + ndc_y * tan_half * camera.up()
    return camera.eye(), direction / np.linalg.norm(direction)


def view_proj_matrix(camera: OrbitCamera, size_px: tuple[int, int]) -> np.ndarray:
    """4x4 world->clip matrix (OpenGL convention, column vectors) of the camera."""
    width_px, height_px = size_px
    eye = camera.eye()
    f = -camera.view_direction()
    r = camera.right()
    u = np.cross(r, f)
    view = np.eye(4)
    view[0, :3], view[1, :3], view[2, :3] = r, u, -f
    view[:3, 3] = -view[:3, :3] @ eye
    near_m, far_m = camera.clip_planes_m()
    t = 1.0 / math.tan(math.radians(camera.fov_deg) / 2.0)
    proj = np.zeros((4, 4))
    proj[0, 0] = t / (width_px / height_px)
    proj[1, 1] = t
    proj[2, 2] = (far_m + near_m) / (near_m - far_m)
    proj[2, 3] = 2.0 * far_m * near_m / (near_m - far_m)
    proj[3, 2] = -1.0
    return proj @ view


def project_points_px(points_m: np.ndarray, view_proj: np.ndarray, size_px: tuple[int, int]) -> np.ndarray:
    """(N, 2) pixel positions of (N, 3) points; NaN for points behind the camera."""
    pts = np.asarray(points_m, dtype=np.float64).reshape(-1, 3)
    clip = pts @ view_proj[:3, :3].T + view_proj[:3, 3]
    w = pts @ view_proj[3, :3] + view_proj[3, 3]
    out = np.full((len(pts), 2), np.nan)
    ok = w > 1e-9
    ndc = clip[ok, :2] / w[ok, None]
    out[ok, 0] = (ndc[:, 0] + 1.0) / 2.0 * size_px[0]
    out[ok, 1] = (1.0 - ndc[:, 1]) / 2.0 * size_px[1]
    return out


def ray_box_hit_m(origin_m: np.ndarray, direction: np.ndarray, box: Box) -> float | None:
    """Distance along the ray to the box (slab test in the box frame), None if missed.
    A ray starting inside the box hits at 0."""
    R = box.rotation
    o = R.T @ (np.asarray(origin_m, dtype=np.float64) - box.center_m)
    d = R.T @ np.asarray(direction, dtype=np.float64)
    half = box.size_lwh_m / 2.0
    t_near, t_far = -math.inf, math.inf
    for axis in range(3):
        if abs(d[axis]) < 1e-12:
            if abs(o[axis]) > half[axis]:
                return None
            continue
        t1 = (-half[axis] - o[axis]) / d[axis]
        t2 = (half[axis] - o[axis]) / d[axis]
        t_near, t_far = max(t_near, min(t1, t2)), min(t_far, max(t1, t2))
    if t_near > t_far or t_far < 0.0:
        return None
    return max(t_near, 0.0)


def pick_box(origin_m: np.ndarray, direction: np.ndarray, boxes: Mapping[str, Box]) -> str | None:
    """Key of the nearest box the ray hits (boxes in the ray's frame), None if none."""
    best_key, best_t = None, math.inf
    for key, box in boxes.items():
        t = ray_box_hit_m(origin_m, direction, box)
        if t is not None and t < best_t:
            best_key, best_t = key, t
    return best_key


def ray_plane_z(origin_m: np.ndarray, direction: np.ndarray, z_m: float) -> np.ndarray | None:
    """Where the ray crosses the horizontal plane z = ``z_m`` (3,), None if never ahead."""
    if abs(direction[2]) < 1e-9:
        return None
    t = (z_m - origin_m[2]) / direction[2]
    if t <= 0:
        return None
    return np.asarray(origin_m, dtype=np.float64) + t * np.asarray(direction, dtype=np.float64)
