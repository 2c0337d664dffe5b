"""Labels are optional for every reader: unlabelled copies of the shared recordings
open (folders and single files), with their frames and no boxes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from sweeplabel.io.registry import find_reader, read_sequence


def _copy(src: Path, dst: Path, skip: tuple[str, ...] = ()) -> Path:
    shutil.copytree(src, dst, ignore=lambda d, names: [n for n in names if n in skip])
    return dst


def _assert_unlabelled(loaded, frames: int, reader: str, path: Path) -> None:
    assert find_reader(path).name == reader
    assert len(loaded.sequence.frames) == frames
    assert loaded.tracks == [] and loaded.annotations == []
    pts = loaded.sequence.frames[0].load_points()
    assert pts.shape[0] > 1000 and np.isfinite(pts[:, :3]).all()


def test_kitti_tracking_without_label_02(shared_data: Path, tmp_path: Path) -> None:
    root = _copy(shared_data / "kitti_tracking_0000", tmp_path / "trk", skip=("label_02", "pcd_original"))
    loaded = read_sequence(root)
    _assert_unlabelled(loaded, 8, "kitti-tracking", root)
    assert loaded.sequence.meta["kitti_sequence"] == "0000"
    seq_folder = root / "training" / "velodyne" / "0000"
    assert find_reader(seq_folder).name == "kitti-tracking"
    assert len(read_sequence(seq_folder).sequence.frames) == 8


def test_kitti_object_without_label_2(shared_data: Path, tmp_path: Path) -> None:
    root = _copy(shared_data / "kitti_object", tmp_path / "obj", skip=("label_2",))
    _assert_unlabelled(read_sequence(root), 3, "kitti-object", root)


def test_nuscenes_without_annotation_tables(shared_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "nus"
    version = root / "v1.0-test"
    shutil.copytree(shared_data / "lyft_nuscenes_schema_tables" / "v1.01-train", version)
    for table in ("sample_annotation", "instance", "category", "attribute", "visibility", "map"):
        (version / f"{table}.json").unlink()
    loaded = read_sequence(root)
    assert find_reader(root).name == "nuscenes"
    assert len(loaded.sequence.frames) >= 1 and loaded.annotations == [] and loaded.tracks == []


def test_sustech_without_label_folder(shared_data: Path, tmp_path: Path) -> None:
    root = _copy(shared_data / "sustech_points_example", tmp_path / "scene", skip=("label",))
    _assert_unlabelled(read_sequence(root), 3, "sustech", root)


def test_single_pcd_file_is_one_frame(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "kitti_tracking_0000" / "pcd_original" / "0000000003.pcd"
    loaded = read_sequence(path)
    _assert_unlabelled(loaded, 1, "pcd-folder", path)
    assert loaded.sequence.name == "0000000003"


def test_single_bin_files_are_one_frame(shared_data: Path) -> None:
    kitti = shared_data / "kitti_object" / "training" / "velodyne" / "000001.bin"
    loaded = read_sequence(kitti)
    _assert_unlabelled(loaded, 1, "points-folder", kitti)
    assert loaded.sequence.frames[0].load_points().shape == (120268, 4)
    nus = next((shared_data / "nuscenes_mmdet3d_demo" / "samples" / "LIDAR_TOP").glob("*.pcd.bin"))
    assert read_sequence(nus).sequence.frames[0].load_points().shape[1] == 5


def test_pcd_and_bin_folders_without_labels(shared_data: Path, tmp_path: Path) -> None:
    pcds = shared_data / "kitti_tracking_0000" / "pcd_original"
    _assert_unlabelled(read_sequence(pcds), 8, "pcd-folder", pcds)
    bins = _copy(shared_data / "kitti_object" / "training" / "velodyne", tmp_path / "scans")
    _assert_unlabelled(read_sequence(bins), 3, "points-folder", bins)


@pytest.mark.parametrize("name", ["simple.las", "autzen_trim.laz"])
def test_las_laz_single_files_and_folder(shared_data: Path, tmp_path: Path, name: str) -> None:
    path = shared_data / "las_laz" / name
    loaded = read_sequence(path)
    assert find_reader(path).name == "las" and len(loaded.sequence.frames) == 1
    assert loaded.annotations == []
    folder = tmp_path / "las"
    folder.mkdir()
    shutil.copy(path, folder / name)
    assert len(read_sequence(folder).sequence.frames) == 1


def test_single_ply_file_is_one_frame(shared_data: Path, tmp_path: Path) -> None:
    pts = np.fromfile(shared_data / "kitti_object" / "training" / "velodyne" / "000000.bin", "<f4").reshape(-1, 4)
    pts = pts[:2000]
    head = (f"ply\nformat binary_little_endian 1.0\nelement vertex {len(pts)}\nproperty float x\n"
            "property float y\nproperty float z\nproperty float intensity\nend_header\n").encode()
    path = tmp_path / "scan.ply"
    path.write_bytes(head + pts.astype("<f4").tobytes())
    loaded = read_sequence(path)
    assert find_reader(path).name == "points-folder" and len(loaded.sequence.frames) == 1
    np.testing.assert_array_equal(loaded.sequence.frames[0].load_points(), pts)
