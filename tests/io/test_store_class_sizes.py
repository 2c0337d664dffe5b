"""A project created for a recording keeps the class sizes of that recording's source: KITTI
data starts with KITTI's means, nuScenes data with nuScenes', and a saved project reopens with
the sizes it was made with (also one saved before KITTI sizes existed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sweeplabel.io import open_project
from sweeplabel.model import default_schema

KITTI_CAR_LWH_M = (3.88, 1.63, 1.53)
NUSCENES_CAR_LWH_M = (4.6, 1.95, 1.72)


def _car(opened) -> tuple[float, ...]:
    return opened.project.schema.category("vehicle.car").default_size_lwh_m


def test_a_kitti_project_is_made_and_reopened_with_kittis_sizes(shared_data: Path, tmp_path: Path) -> None:
    data = shared_data / "kitti_object" / "training"
    opened = open_project(data, tmp_path / "kitti.sweeplabel", import_labels=False)
    assert opened.created and _car(opened) == pytest.approx(KITTI_CAR_LWH_M)
    opened.close()
    again = open_project(tmp_path / "kitti.sweeplabel")
    assert not again.created and _car(again) == pytest.approx(KITTI_CAR_LWH_M)
    assert again.project.schema.sizes_from == "KITTI"
    assert again.project.schema.category("vehicle.truck").default_size_lwh_m[0] == pytest.approx(10.14)
    # a project saved with nuScenes sizes (made before the KITTI sizes) keeps them
    again.store.set_meta("label_schema", json.dumps(default_schema().to_dict()))
    again.close()
    old = open_project(tmp_path / "kitti.sweeplabel")
    assert _car(old) == pytest.approx(NUSCENES_CAR_LWH_M)
    old.close()


def test_a_nuscenes_project_keeps_nuscenes_sizes(shared_data: Path, tmp_path: Path) -> None:
    opened = open_project(shared_data / "nuscenes_mmdet3d_demo", tmp_path / "nus.sweeplabel", import_labels=False)
    assert _car(opened) == pytest.approx(NUSCENES_CAR_LWH_M) and opened.project.schema.sizes_from == ""
    opened.close()
