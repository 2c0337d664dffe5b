"""KITTI object and tracking: readers, writers and round trips on the shared real data."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from sweeplabel.io import FormatError, read_sequence
from sweeplabel.io.atomic import write_text_atomic
from sweeplabel.io.kitti import (KittiObject, box_from_camera, camera_from_box, read_calib,
                                 read_kitti_object, write_kitti_object)
from sweeplabel.io.kitti_tracking import read_kitti_tracking, read_oxts_poses, write_kitti_tracking


DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
OBJECT = DATA / "kitti_object" / "training"
TRACKING = DATA / "kitti_tracking_0000" / "training"
needs_data = pytest.mark.skipif(not OBJECT.is_dir() or not TRACKING.is_dir(),
                                reason=f"shared KITTI data not found at {DATA}")


def _fields(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.strip()]


def _assert_same_within_print(orig: str, new: str) -> None:
    """Every field equal: strings exactly, numbers within half the printed precision."""
    a, b = _fields(orig), _fields(new)
    assert len(a) == len(b)
    for la, lb in zip(a, b):
        assert len(la) == len(lb)
        for fa, fb in zip(la, lb):
            try:
                va = float(fa)
            except ValueError:
                assert fa == fb
                continue
            decimals = len(fa.split(".")[1]) if "." in fa else 0
            assert abs(va - float(fb)) <= 0.5 * 10.0 ** -decimals + 1e-12, (la, lb)


def _point_counts(loaded) -> list[int]:
    counts = []
    for ann in sorted(loaded.annotations, key=lambda a: (a.frame_index, a.attributes["kitti_line"])):
        frame = loaded.sequence[ann.frame_index]
        box_sensor = ann.box.transformed(np.linalg.inv(frame.T_world_sensor))
        counts.append(int(box_sensor.contains(frame.load_points()).sum()))
    return counts


@needs_data
def test_object_reader_uses_registry_and_keeps_dontcare() -> None:
    loaded = read_sequence(OBJECT)
    assert loaded.sequence.format == "kitti-object"
    assert len(loaded.sequence) == 3 and len(loaded.annotations) == 6
    assert len(loaded.sequence[1].meta["kitti_dontcare"]) == 4
    assert loaded.sequence[0].load_points().shape == (115384, 4)
    ped = next(a for a in loaded.annotations if a.frame_index == 0)
    assert ped.box.size_lwh_m.tolist() == pytest.approx([1.20, 0.48, 1.89])


@needs_data
def test_object_round_trip_ten_times_no_drift(tmp_path: Path) -> None:
    loaded = read_kitti_object(OBJECT)
    counts0 = _point_counts(loaded)
    assert all(c > 0 for c in counts0)
    src = OBJECT
    for i in range(10):
        out = tmp_path / f"rt{i}"
        write_kitti_object(loaded.sequence, loaded.tracks, loaded.annotations, out)
        for label in sorted((OBJECT / "label_2").glob("*.txt")):
            _assert_same_within_print(label.read_text(), (out / "label_2" / label.name).read_text())
            assert label.read_text() == (out / "label_2" / label.name).read_text()
        shutil.copytree(OBJECT / "velodyne", out / "velodyne")
        loaded = read_kitti_object(out)
        src = out
    assert _point_counts(loaded) == counts0
    assert src != OBJECT


@needs_data
def test_tracking_round_trip_ten_times_no_drift(tmp_path: Path) -> None:
    loaded = read_sequence(TRACKING)
    assert loaded.sequence.format == "kitti-tracking"
    assert len(loaded.sequence) == 8
    assert sorted(t.number for t in loaded.tracks) == [0, 1, 2, 3]
    assert any("without a scan" in w for w in loaded.warnings)
    counts0 = _point_counts(loaded)
    assert all(c > 0 for c in counts0)
    original = (TRACKING / "label_02" / "0000.txt").read_text()
    for i in range(10):
        out = tmp_path / f"rt{i}"
        write_kitti_tracking(loaded.sequence, loaded.tracks, loaded.annotations, out)
        written = (out / "label_02" / "0000.txt").read_text()
        _assert_same_within_print(original, written)
        assert written == original
        (out / "velodyne").mkdir()
        (out / "velodyne" / "0000").symlink_to(TRACKING / "velodyne" / "0000")
        loaded = read_kitti_tracking(out)
    assert _point_counts(loaded) == counts0


@needs_data
def test_edited_box_gets_projected_bbox_and_new_values(tmp_path: Path) -> None:
    loaded = read_kitti_object(OBJECT)
    ann = next(a for a in loaded.annotations if a.frame_index == 2 and a.box.size_lwh_m[0] > 4)  # the car
    orig_bbox = ann.attributes["kitti_bbox"]
    moved = ann.evolve(box=ann.box.translated([0.0, 0.0, 0.0]).rotated(1e-3))
    anns = [moved if a.token == ann.token else a for a in loaded.annotations]
    write_kitti_object(loaded.sequence, loaded.tracks, anns, tmp_path)
    line = (tmp_path / "label_2" / "000002.txt").read_text().splitlines()[1].split()
    bbox = [float(v) for v in line[4:8]]
    # the projection of the 3D box lands close to the human-drawn 2D box (within ~15 px)
    assert np.allclose(bbox, orig_bbox, atol=15)
    assert 0 <= bbox[0] <= bbox[2] <= 1241 and 0 <= bbox[1] <= bbox[3] <= 374


def test_camera_box_conversion_inverse() -> None:
    T = np.eye(4)
    T[:3, :3] = [[0, -1, 0], [0, 0, -1], [1, 0, 0]]
    T[:3, 3] = [0.1, -0.2, -0.3]
    for ry in np.linspace(-3.1, 3.1, 13):
        obj = KittiObject("Car", 0, 0, 0, (0, 0, 0, 0), (1.5, 1.8, 4.2), (2.0, 1.6, 20.0), ry)
        box = box_from_camera(obj, T)
        loc, dims, ry2 = camera_from_box(box, T)
        assert np.allclose(loc, obj.location_m) and np.allclose(dims, obj.dims_hwl_m)
        assert abs(math.remainder(ry2 - ry, 2 * math.pi)) < 1e-12
        # x forward in velodyne = z in camera: ry = -pi/2 faces forward
    front = box_from_camera(KittiObject("Car", 0, 0, 0, (0,) * 4, (1, 1, 4), (0, 1, 10), -math.pi / 2), T)
    assert abs(front.yaw_rad) < 1e-12 and front.center_m[0] == pytest.approx(10.3)


def test_tracking_calib_spelling_and_oxts_poses(tmp_path: Path) -> None:
    calib = tmp_path / "calib.txt"
    calib.write_text("P2 1 0 600 0 0 1 170 0 0 0 1 0\nR_rect 1 0 0 0 1 0 0 0 1\n"
                     "Tr_velo_cam 0 -1 0 0 0 0 -1 0 1 0 0 0\nTr_imu_velo 1 0 0 0 0 1 0 0 0 0 1 0\n")
    c = read_calib(calib)
    assert np.allclose(c.T_cam_velo[:3, :3], [[0, -1, 0], [0, 0, -1], [1, 0, 0]])
    oxts = tmp_path / "oxts.txt"
    rest = " 0" * 24
    oxts.write_text(f"49.0 8.4 100 0 0 0{rest}\n49.0 8.40001 100 0 0 0.5{rest}\n")
    poses = read_oxts_poses(oxts)
    assert np.linalg.norm(poses[1][:3, 3] - poses[0][:3, 3]) == pytest.approx(0.73, abs=0.01)


def _object_tree(tmp_path: Path, label: str | None = None, calib: str | None = None) -> Path:
    root = tmp_path / "training"
    for sub in ("velodyne", "label_2", "calib"):
        (root / sub).mkdir(parents=True)
    np.zeros((10, 4), np.float32).tofile(root / "velodyne" / "000000.bin")
    (root / "label_2" / "000000.txt").write_text(
        label if label is not None else "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59\n")
    (root / "calib" / "000000.txt").write_text(
        calib if calib is not None else "P2: " + " ".join(["1"] * 12) + "\nR0_rect: 1 0 0 0 1 0 0 0 1\n"
        "Tr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0\n")
    return root


def test_error_label_with_14_fields(tmp_path: Path) -> None:
    root = _object_tree(tmp_path, label="Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70\n")
    with pytest.raises(FormatError) as err:
        read_kitti_object(root)
    assert err.value.line == 1 and "expected 15 fields" in str(err.value) and "000000.txt" in str(err.value)


def test_error_label_non_number(tmp_path: Path) -> None:
    root = _object_tree(tmp_path, label="Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 abc 3.64 -0.65 1.71 46.70 -1.59\n")
    with pytest.raises(FormatError, match="expected a number, got 'abc'") as err:
        read_kitti_object(root)
    assert err.value.line == 1


def test_error_calib_missing_tr_velo_to_cam(tmp_path: Path) -> None:
    root = _object_tree(tmp_path, calib="P2: " + " ".join(["1"] * 12) + "\nR0_rect: 1 0 0 0 1 0 0 0 1\n")
    with pytest.raises(FormatError, match="missing Tr_velo_to_cam") as err:
        read_sequence(root)
    assert err.value.path.name == "000000.txt"


def test_error_bin_size_not_multiple_of_record(tmp_path: Path) -> None:
    root = _object_tree(tmp_path)
    (root / "velodyne" / "000000.bin").write_bytes(b"\0" * 18)
    with pytest.raises(FormatError, match="not a multiple of the 16-byte record") as err:
        read_kitti_object(root)
    assert err.value.offset == 16


def test_error_empty_velodyne_folder(tmp_path: Path) -> None:
    root = _object_tree(tmp_path)
    (root / "velodyne" / "000000.bin").unlink()
    with pytest.raises(FormatError, match="empty folder"):
        read_kitti_object(root)


def test_atomic_write_failure_keeps_old_file(tmp_path: Path) -> None:
    from sweeplabel.io.atomic import atomic_open

    target = tmp_path / "a.txt"
    write_text_atomic(target, "old\n")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
