"""Argoverse 2 sensor reader on the shared log (two sweeps) and on broken copies of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pytest

from sweeplabel.io import FormatError, read_sequence
from sweeplabel.io.av2 import DEFAULT_EGO_SE3_LIDAR, read_av2
from sweeplabel.kernels import points_in_boxes_csr, segment_ground
from sweeplabel.model import invert_transform

LOG = Path("av2_sensor_sample/val/7fab2350-7eaf-3b7e-a39d-6937a4c1bede")


@pytest.fixture
def log(shared_data: Path) -> Path:
    return shared_data / LOG


def _copy(log: Path, tmp_path: Path, calibration: bool = False) -> Path:
    out = tmp_path / "val" / log.name
    (out / "sensors").mkdir(parents=True)
    shutil.copytree(log / "sensors" / "lidar", out / "sensors" / "lidar")
    for name in ("city_SE3_egovehicle.feather", "annotations.feather"):
        shutil.copy(log / name, out / name)
    if calibration:
        shutil.copytree(log / "calibration", out / "calibration")
    return out


def test_counts_and_frames(log):
    loaded = read_sequence(log.parent.parent)  # the dataset root finds the log
    seq = loaded.sequence
    assert seq.format == "av2-sensor" and len(seq) == 2
    assert [len(f.load_points()) for f in seq] == [99_229, 99_466]
    per_frame = [sum(a.frame_index == f.index for a in loaded.annotations) for f in seq]
    assert per_frame == [81, 81]
    cats = {t.attributes["av2_category"]: t.category for t in loaded.tracks}
    assert cats["REGULAR_VEHICLE"] == "vehicle.car" and cats["PEDESTRIAN"] == "human.pedestrian.adult"
    assert cats["BOLLARD"] == "static_object.bollard"
    assert sum(t.category == "vehicle.car" for t in loaded.tracks) == 44


def test_points_are_sensor_centred_and_poses_compose(log):
    seq = read_av2(log).sequence
    frame = seq[0]
    pts = frame.load_points()
    truth = feather.read_table(log / "flow_labels.feather").column("is_ground_0").to_numpy(zero_copy_only=False)
    near = truth & (np.hypot(pts[:, 0], pts[:, 1]) < 15)
    assert -2.3 < np.median(pts[near, 2]) < -1.4  # ground about a sensor height (1.64 m) below, not at 0
    ego_se3_lidar = np.array(frame.meta["av2_ego_SE3_lidar"])
    assert ego_se3_lidar[2, 3] == pytest.approx(1.64042)
    assert pts[:, 3].min() >= 0 and pts[:, 3].max() <= 1  # intensity 0-1


def test_points_in_each_box_equal_num_interior_pts(log):
    loaded = read_av2(log)
    checked = 0
    for frame in loaded.sequence:
        anns = [a for a in loaded.annotations if a.frame_index == frame.index]
        T = invert_transform(frame.T_world_sensor)
        boxes = np.array([a.box.transformed(T).to_array() for a in anns])
        counts = np.diff(points_in_boxes_csr(frame.load_points(), boxes)[0])
        expected = np.array([a.attributes["av2_num_interior_pts"] for a in anns])
        np.testing.assert_array_equal(counts, expected)
        checked += len(anns)
    assert checked == 162


def test_ground_segmentation_against_flow_labels(log):
    frame = read_av2(log).sequence[0]
    truth = feather.read_table(log / "flow_labels.feather").column("is_ground_0").to_numpy(zero_copy_only=False)
    mask = segment_ground(frame.load_points())
    f1 = 2 * np.sum(mask & truth) / (mask.sum() + truth.sum())
    assert f1 >= 0.9


def test_without_calibration_uses_the_default_lidar_height(log, tmp_path):
    loaded = read_av2(_copy(log, tmp_path))
    frame = loaded.sequence[0]
    assert np.allclose(frame.meta["av2_ego_SE3_lidar"], DEFAULT_EGO_SE3_LIDAR)
    assert any("calibration" in w for w in loaded.warnings)
    assert len(loaded.annotations) == 162


def _rewrite(path: Path, edit) -> None:
    feather.write_feather(edit(feather.read_table(path)), path)


def test_missing_column_names_file_and_column(log, tmp_path):
    out = _copy(log, tmp_path)
    _rewrite(out / "annotations.feather", lambda t: t.drop_columns(["width_m"]))
    with pytest.raises(FormatError) as err:
        read_av2(out)
    assert "annotations.feather" in str(err.value) and "'width_m'" in str(err.value)


def test_wrong_type_names_the_column(log, tmp_path):
    out = _copy(log, tmp_path)
    _rewrite(out / "city_SE3_egovehicle.feather",
             lambda t: t.set_column(t.schema.get_field_index("tx_m"), "tx_m",
                                    pa.array([str(v) for v in t.column("tx_m").to_pylist()])))
    with pytest.raises(FormatError, match=r"city_SE3_egovehicle.feather: column 'tx_m': expected float"):
        read_av2(out)


def test_sweep_without_a_pose(log, tmp_path):
    out = _copy(log, tmp_path)
    sweep = sorted((out / "sensors" / "lidar").glob("*.feather"))[1]
    ns = int(sweep.stem)
    _rewrite(out / "city_SE3_egovehicle.feather",
             lambda t: t.filter(pa.compute.not_equal(t.column("timestamp_ns"), ns)))
    with pytest.raises(FormatError, match=rf"no row for timestamp_ns {ns}"):
        read_av2(out)


def test_non_finite_row_is_named(log, tmp_path):
    out = _copy(log, tmp_path)

    def poison(t: pa.Table) -> pa.Table:
        values = t.column("length_m").to_numpy().copy()
        first = int(np.nonzero(np.isin(t.column("timestamp_ns").to_numpy(), [315966265259836000]))[0][0])
        values[first] = np.nan
        return t.set_column(t.schema.get_field_index("length_m"), "length_m", pa.array(values))

    _rewrite(out / "annotations.feather", poison)
    with pytest.raises(FormatError, match=r"row \d+: column 'length_m' is nan"):
        read_av2(out)
