"""Camera test data shared by tests/io, tests/app and the CLI tests: the KITTI 000008 image
(../shared/data/kitti_camera) as a KITTI object folder, and a box around a car in it."""
from __future__ import annotations

from pathlib import Path

import pytest

from sweeplabel.model import Box

# The silver car left of the road in KITTI 000008 (fitted to its LiDAR cluster, bottom at the ground).
KITTI_000008_CAR = Box([8.3, 1.2, -0.9], [3.8, 1.7, 1.5], 2.74)  # faces the camera


def kitti_camera_dataset(shared_data: Path, tmp_path: Path) -> Path:
    """``tmp/kitti/training`` with velodyne/, calib/ and image_2/ linking to kitti_camera."""
    src = shared_data / "kitti_camera"
    if not src.is_dir():
        pytest.skip(f"{src} not found (README section 7)")
    root = tmp_path / "kitti" / "training"
    for sub, name in (("velodyne", "velodyne_reduced/000008.bin"), ("calib", "calib/000008.txt"),
                      ("image_2", "image_2/000008.png")):
        (root / sub).mkdir(parents=True, exist_ok=True)
        (root / sub / Path(name).name).symlink_to(src / name)
    return root
