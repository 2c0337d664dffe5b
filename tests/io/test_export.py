"""export_labels: every format from a dataset and from a Project; JSON is lossless;
a failed export leaves earlier files untouched."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sweeplabel.io import FormatError, UnsupportedFormatError
from sweeplabel.io.export import export_labels
from sweeplabel.io.kitti_tracking import read_kitti_tracking
from sweeplabel.io.labels_json import read_labels_json
from sweeplabel.model import Project

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
TRACKING = DATA / "kitti_tracking_0000" / "training"
needs_data = pytest.mark.skipif(not TRACKING.is_dir(), reason=f"shared KITTI data not found at {DATA}")


@needs_data
@pytest.mark.parametrize("fmt, produced", [("kitti", "label_2/000007.txt"), ("kitti-tracking", "label_02/0000.txt"),
                                           ("nuscenes", "v1.0-sweeplabel/sample_annotation.json"),
                                           ("json", "labels.json")])
def test_every_format_from_dataset_and_project(tmp_path: Path, fmt: str, produced: str) -> None:
    loaded = read_kitti_tracking(TRACKING)
    summary = export_labels(loaded, fmt, tmp_path / "a", progress=lambda i, n: None)
    assert (tmp_path / "a" / produced).is_file()
    assert (summary.frames, summary.tracks, summary.boxes) == (8, 4, 25)
    assert "8 frames, 4 tracks, 25 boxes" in summary.one_line()
    project = Project(loaded.sequence)
    project.load(loaded.tracks, loaded.annotations)
    again = export_labels(project, fmt, tmp_path / "b")
    assert (again.frames, again.boxes) == (8, 25)
    assert (tmp_path / "a" / produced).read_bytes() == (tmp_path / "b" / produced).read_bytes()


@needs_data
def test_json_is_lossless(tmp_path: Path) -> None:
    loaded = read_kitti_tracking(TRACKING)
    export_labels(loaded, "json", tmp_path)
    back = read_labels_json(tmp_path / "labels.json")
    assert {t.token: t for t in back.tracks} == {t.token: t for t in loaded.tracks}
    a = {x.token: x for x in loaded.annotations}
    b = {x.token: x for x in back.annotations}
    assert a.keys() == b.keys() and all(a[k] == b[k] for k in a)
    assert back.sequence.meta["kitti_unloaded_lines"] == loaded.sequence.meta["kitti_unloaded_lines"]
    assert np.array_equal(back.sequence[3].load_points(), loaded.sequence[3].load_points())
    assert all(np.array_equal(f.T_world_sensor, g.T_world_sensor) for f, g in zip(back.sequence, loaded.sequence))


@needs_data
def test_failed_export_leaves_earlier_files(tmp_path: Path) -> None:
    loaded = read_kitti_tracking(TRACKING)
    export_labels(loaded, "kitti-tracking", tmp_path)
    before = (tmp_path / "label_02" / "0000.txt").read_bytes()
    bad = loaded.annotations[0].evolve(track_token="missing")
    with pytest.raises(KeyError):
        export_labels(type(loaded)(loaded.sequence, loaded.tracks, [bad] + loaded.annotations[1:]),
                      "kitti-tracking", tmp_path)
    assert (tmp_path / "label_02" / "0000.txt").read_bytes() == before
    assert not [p for p in (tmp_path / "label_02").iterdir() if p.name != "0000.txt"]


def test_unknown_format_and_bad_json(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError, match="unknown export format 'csv'"):
        export_labels(_empty(), "csv", tmp_path)
    (tmp_path / "x.json").write_text('{"format": "sweeplabel-labels", "version": 1,')
    with pytest.raises(FormatError, match="invalid JSON"):
        read_labels_json(tmp_path / "x.json")


def _empty():
    from sweeplabel.io.registry import LoadedSequence
    from sweeplabel.model import Sequence

    return LoadedSequence(Sequence("empty", []))


@pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not found at {DATA}")
@pytest.mark.parametrize("sub, fmt", [
    ("kitti_object", "kitti-object"), ("kitti_object/training", "kitti-object"),
    ("kitti_tracking_0000/training", "kitti-tracking"), ("kitti_tracking_0000/training/velodyne/0000", "kitti-tracking"),
    ("lyft_nuscenes_schema_tables", "nuscenes"), ("nuscenes_mmdet3d_demo", "nuscenes-mmdet3d"),
    ("sustech_points_example", "sustech"), ("kitti_tracking_0000/pcd_original", "pcd"),
    ("las_laz/autzen_trim.laz", "las"), ("kitti_camera/velodyne_reduced", "points"),
])
def test_registry_picks_reader(sub: str, fmt: str) -> None:
    from sweeplabel.io import read_sequence

    assert read_sequence(DATA / sub).sequence.format == fmt
