"""Shared fixtures for the kernel tests: real KITTI frames (skipped when absent) and synthetic clouds."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).parents[2].parent / "shared" / "data"
KITTI_OBJ = DATA / "kitti_object" / "training"
KITTI_TRK = DATA / "kitti_tracking_0000" / "training" / "velodyne" / "0000"


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"test data not found: {path} (see ../shared/data/README.md)")


def load_bin(path: Path) -> np.ndarray:
    return np.fromfile(path, dtype=np.float32).reshape(-1, 4)


@pytest.fixture(scope="session")
def kitti_object_ids() -> list[str]:
    _need(KITTI_OBJ / "velodyne")
    return sorted(p.stem for p in (KITTI_OBJ / "velodyne").glob("*.bin"))


@pytest.fixture(scope="session")
def kitti_frame(kitti_object_ids) -> np.ndarray:
    return load_bin(KITTI_OBJ / "velodyne" / f"{kitti_object_ids[0]}.bin")


@pytest.fixture(scope="session")
def kitti_sequence() -> list[np.ndarray]:
    _need(KITTI_TRK)
    return [load_bin(p) for p in sorted(KITTI_TRK.glob("*.bin"))]


def read_calib(frame_id: str) -> tuple[np.ndarray, np.ndarray]:
    """(R0_rect 4x4, Tr_velo_to_cam 4x4) of a KITTI object frame."""
    vals = {}
    for line in (KITTI_OBJ / "calib" / f"{frame_id}.txt").read_text().splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            vals[k] = np.array(v.split(), dtype=np.float64)
    r0 = np.eye(4)
    r0[:3, :3] = vals["R0_rect"].reshape(3, 3)
    tr = np.eye(4)
    tr[:3, :4] = vals["Tr_velo_to_cam"].reshape(3, 4)
    return r0, tr


def read_labels(frame_id: str) -> list[tuple[str, np.ndarray]]:
    """[(type, [h, w, l, x, y, z, ry])] of a KITTI object frame, DontCare dropped."""
    out = []
    for line in (KITTI_OBJ / "label_2" / f"{frame_id}.txt").read_text().splitlines():
        f = line.split()
        if f and f[0] != "DontCare":
            out.append((f[0], np.array(f[8:15], dtype=np.float64)))
    return out


def synthetic_scene(seed: int = 0, n_beams: int = 32, n_cols: int = 720):
    """A spinning-LiDAR-like scene: flat ground at z=-1.73 plus a few car boxes.

    Returns (points (N, 4) float32, is_ground (N,) bool, boxes (M, 7) float64).
    """
    rng = np.random.default_rng(seed)
    boxes = np.array([
        [10.0, 3.0, -1.73 + 0.75, 4.5, 1.8, 1.5, 0.1],
        [-8.0, -4.0, -1.73 + 0.8, 4.2, 1.9, 1.6, 2.5],
        [20.0, -6.0, -1.73 + 0.7, 4.0, 1.7, 1.4, -1.2],
    ])
    elev = np.radians(np.linspace(-24.8, 2.0, n_beams))
    az = np.linspace(-np.pi, np.pi, n_cols, endpoint=False) + rng.uniform(0, 0.01)
    E, A = np.meshgrid(elev, az, indexing="ij")
    d = np.stack([np.cos(E) * np.cos(A), np.cos(E) * np.sin(A), np.sin(E)], axis=-1).reshape(-1, 3)
    t_ground = np.where(d[:, 2] < -1e-6, -1.73 / np.minimum(d[:, 2], -1e-6), np.inf)
    t_best = t_ground.copy()
    label = np.zeros(len(d), dtype=np.int64)
    for k, (cx, cy, cz, l, w, h, yaw) in enumerate(boxes):
        c, s = np.cos(yaw), np.sin(yaw)
        o = np.array([-cx * c - cy * s, cx * s - cy * c, -cz])  # origin in box frame
        dl = np.stack([d[:, 0] * c + d[:, 1] * s, -d[:, 0] * s + d[:, 1] * c, d[:, 2]], axis=1)
        half = np.array([l, w, h]) / 2
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = (-half - o) / dl
            t2 = (half - o) / dl
        tmin = np.nanmax(np.minimum(t1, t2), axis=1)
        tmax = np.nanmin(np.maximum(t1, t2), axis=1)
        hit = (tmax >= tmin) & (tmin > 0) & (tmin < t_best)
        t_best[hit] = tmin[hit]
        label[hit] = k + 1
    keep = np.isfinite(t_best) & (t_best < 80)
    r = t_best[keep] + rng.normal(0, 0.01, keep.sum())
    pts = d[keep] * r[:, None]
    inten = rng.uniform(0.3, 0.9, len(pts))
    cloud = np.ascontiguousarray(np.column_stack([pts, inten]).astype(np.float32))
    return cloud, label[keep] == 0, boxes
