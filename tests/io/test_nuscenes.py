"""nuScenes reader/writer: Lyft tables, the mmdet3d sweep, bad tokens, and exports
checked with the official nuscenes-devkit (run in its own venv, .venv-devkit)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from sweeplabel.io import FormatError
from sweeplabel.io.kitti_tracking import read_kitti_tracking, write_kitti_tracking
from sweeplabel.io.nuscenes import read_mmdet3d_demo, read_nuscenes, write_nuscenes
from sweeplabel.model import Annotation, Box, Frame, Sequence, Track
from sweeplabel.model.geometry import angle_diff, transform_points

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
LYFT = DATA / "lyft_nuscenes_schema_tables"
DEMO = DATA / "nuscenes_mmdet3d_demo"
TRACKING = DATA / "kitti_tracking_0000" / "training"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not found at {DATA}")
DEVKIT_PY = REPO / ".venv-devkit" / "bin" / "python"


@pytest.fixture(scope="module")
def devkit() -> Path:
    """The devkit venv's python; created by scripts/devkit_venv.sh when absent."""
    ok = lambda: DEVKIT_PY.exists() and subprocess.run(  # noqa: E731
        [DEVKIT_PY, "-c", "import nuscenes.nuscenes"], capture_output=True).returncode == 0
    if not ok():
        try:
            subprocess.run(["bash", str(REPO / "scripts" / "devkit_venv.sh")], capture_output=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired):
            pass
    if not ok():
        pytest.skip("nuscenes-devkit venv (.venv-devkit) is absent and scripts/devkit_venv.sh could not create it")
    return DEVKIT_PY


def _devkit_boxes(devkit: Path, dataroot: Path, version: str) -> dict:
    run = subprocess.run([devkit, str(REPO / "tests" / "io" / "devkit_check.py"), str(dataroot), version],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)


def _points_in(frame: Frame, box: Box) -> int:
    return int(box.contains(transform_points(frame.T_world_sensor, frame.load_points())).sum())


def _assert_devkit_matches(devkit: Path, out: Path, loaded, summary: dict) -> None:
    seen = _devkit_boxes(devkit, out, "v1.0-sweeplabel")
    ours = read_nuscenes(out)
    assert len(seen["global"]) == len(ours.annotations) == summary["boxes"]
    for ann in ours.annotations:
        rec = seen["global"][ann.attributes["nuscenes_token"]]
        l, w, h = ann.box.size_lwh_m
        assert np.allclose(rec["center"], ann.box.center_m, atol=1e-6, rtol=0)
        assert np.allclose(rec["wlh"], [w, l, h], atol=1e-6, rtol=0)
        assert abs(angle_diff(rec["yaw"], ann.box.yaw_rad)) < 1e-6
        frame = ours.sequence[ann.frame_index]
        assert rec["num_lidar_pts"] == _points_in(frame, ann.box) > 0
        sensor = seen["sensor"][ann.attributes["nuscenes_token"]]
        T_sensor_world = np.linalg.inv(frame.T_world_sensor)
        assert np.allclose(sensor["center"], transform_points(T_sensor_world, ann.box.center_m[None])[0],
                           atol=1e-6, rtol=0)
        # the whole orientation (the sensor frame may be tilted, so compare matrices, not one Euler angle)
        R_devkit = Rotation.from_quat(sensor["rotation"], scalar_first=True).as_matrix()
        assert np.allclose(R_devkit, T_sensor_world[:3, :3] @ ann.box.rotation, atol=1e-6, rtol=0)
    # the original boxes, in the original world frame, are what the devkit sees
    originals = sorted(loaded.annotations, key=lambda a: (a.track_token, a.frame_index))
    back = sorted(ours.annotations, key=lambda a: (a.attributes["nuscenes_token"]))
    assert sorted(a.token for a in originals) == sorted(a.attributes["nuscenes_token"] for a in back)
    for inst in seen["instances"].values():
        assert seen["global"][inst["first"]]["prev"] == "" and seen["global"][inst["last"]]["next"] == ""
        n, tok = 1, inst["first"]
        while seen["global"][tok]["next"]:
            tok, n = seen["global"][tok]["next"], n + 1
        assert tok == inst["last"] and n == inst["nbr"]


@needs_data
def test_lyft_tables_load() -> None:
    loaded = read_nuscenes(LYFT)
    assert len(loaded.sequence) == 1 and len(loaded.tracks) == 4 and len(loaded.annotations) == 4
    assert {t.category for t in loaded.tracks} == {"vehicle.car"}
    assert any("not in" in w for w in loaded.warnings)
    rec = json.loads((LYFT / "v1.01-train" / "sample_annotation.json").read_text())[0]
    ann = next(a for a in loaded.annotations if a.attributes["nuscenes_token"] == rec["token"])
    assert ann.box.size_lwh_m.tolist() == [rec["size"][1], rec["size"][0], rec["size"][2]]
    assert np.allclose(ann.box.center_m, rec["translation"])
    q = rec["rotation"]
    assert ann.box.yaw_rad == pytest.approx(math.remainder(2 * math.atan2(q[3], q[0]), 2 * math.pi))


@needs_data
def test_mmdet3d_sweep_points_in_boxes() -> None:
    loaded = read_mmdet3d_demo(DEMO)
    frame = loaded.sequence[0]
    assert frame.load_points().shape == (34688, 5) and len(loaded.annotations) == 69
    counts = [_points_in(frame, a.box) for a in loaded.annotations]
    expected = [a.attributes["nuscenes_num_lidar_pts"] for a in loaded.annotations]
    assert sum(counts) == pytest.approx(sum(expected), rel=0.05)
    assert all(c > 0 for c, e in zip(counts, expected) if e > 2)


@needs_data
def test_error_dangling_token(tmp_path: Path) -> None:
    root = tmp_path / "lyft"
    shutil.copytree(LYFT, root)
    path = root / "v1.01-train" / "sample_annotation.json"
    rows = json.loads(path.read_text())
    rows[2]["instance_token"] = "deadbeef" * 8
    path.write_text(json.dumps(rows, indent=1))
    with pytest.raises(FormatError, match="instance_token 'deadbeef.*' not found in instance.json") as err:
        read_nuscenes(root)
    assert err.value.path == path and err.value.line is not None


@needs_data
def test_kitti_tracking_export_read_by_devkit(tmp_path: Path, devkit: Path) -> None:
    loaded = read_kitti_tracking(TRACKING)
    summary = write_nuscenes(loaded.sequence, loaded.tracks, loaded.annotations, tmp_path)
    assert summary == {"frames": 8, "tracks": 4, "boxes": 25, "skipped": 0}
    _assert_devkit_matches(devkit, tmp_path, loaded, summary)


@needs_data
def test_mmdet3d_export_read_by_devkit(tmp_path: Path, devkit: Path) -> None:
    loaded = read_mmdet3d_demo(DEMO)
    keep = [a for a in loaded.annotations if _points_in(loaded.sequence[0], a.box) > 0]
    summary = write_nuscenes(loaded.sequence, loaded.tracks, keep, tmp_path)
    _assert_devkit_matches(devkit, tmp_path, loaded.__class__(loaded.sequence, loaded.tracks, keep), summary)


def _synthetic() -> tuple[Sequence, list[Track], list[Annotation]]:
    """Ego drives a curve (yaw changes); two boxes hold points sampled inside them."""
    rng = np.random.default_rng(3)
    frames, anns = [], []
    tracks = [Track("t0", "vehicle.car", 0), Track("t1", "human.pedestrian.adult", 1)]
    for i in range(5):
        yaw = 0.1 * i
        T = np.eye(4)
        T[:3, :3] = [[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]]
        T[:3, 3] = [1000.0 + 2 * i, 2000.0 + 0.5 * i, 10.0]
        boxes = [Box([1010.0 + i, 2003.0, 10.5], [4.5, 1.9, 1.6], 0.3 + 0.05 * i),
                 Box([1005.0, 1995.0 - 0.3 * i, 10.9], [0.7, 0.6, 1.8], -2.0)]
        world = np.vstack([b.corners().mean(0) + rng.uniform(-0.25, 0.25, (40, 3)) * b.size_lwh_m for b in boxes]
                          + [rng.uniform(-30, 30, (500, 3)) + T[:3, 3]])
        sensor = transform_points(np.linalg.inv(T), world)
        pts = np.c_[sensor, rng.uniform(0, 255, len(sensor)), rng.integers(0, 32, len(sensor))].astype(np.float32)
        frames.append(Frame(i, 0.1 * i, T, loader=lambda p=pts: p))
        anns += [Annotation(f"a{i}{k}", t.token, i, b, {"motion": "vehicle.moving"} if k == 0 else {})
                 for k, (t, b) in enumerate(zip(tracks, boxes))]
    return Sequence("synthetic", frames, format="memory"), tracks, anns


def test_synthetic_export_read_by_devkit(tmp_path: Path, devkit: Path) -> None:
    seq, tracks, anns = _synthetic()
    summary = write_nuscenes(seq, tracks, anns, tmp_path)
    assert summary["boxes"] == 10 and summary["tracks"] == 2
    from sweeplabel.io.registry import LoadedSequence

    _assert_devkit_matches(devkit, tmp_path, LoadedSequence(seq, tracks, anns), summary)
    attrs = json.loads((tmp_path / "v1.0-sweeplabel" / "attribute.json").read_text())
    assert [a["name"] for a in attrs] == ["vehicle.moving"]


@needs_data
def test_kitti_to_nuscenes_to_kitti_gives_original(tmp_path: Path) -> None:
    loaded = read_kitti_tracking(TRACKING)
    write_nuscenes(loaded.sequence, loaded.tracks, loaded.annotations, tmp_path / "nus")
    back = read_nuscenes(tmp_path / "nus")
    assert [f.meta["kitti_frame"] for f in back.sequence] == list(range(8))
    write_kitti_tracking(back.sequence, back.tracks, back.annotations, tmp_path / "kitti")
    original = (TRACKING / "label_02" / "0000.txt").read_text()
    assert (tmp_path / "kitti" / "label_02" / "0000.txt").read_text() == original


@needs_data
def test_nuscenes_round_trip_keeps_tokens_and_boxes(tmp_path: Path) -> None:
    loaded = read_nuscenes(LYFT)
    write_nuscenes(loaded.sequence, loaded.tracks, loaded.annotations, tmp_path)
    back = read_nuscenes(tmp_path)
    assert back.sequence.meta["nuscenes_version"] == "v1.01-train"
    a = {x.attributes["nuscenes_token"]: x for x in loaded.annotations}
    b = {x.attributes["nuscenes_token"]: x for x in back.annotations}
    assert a.keys() == b.keys()
    assert all(a[k].box.isclose(b[k].box, 1e-9, 1e-9) for k in a)
    assert {t.attributes["nuscenes_instance_token"] for t in loaded.tracks} == \
        {t.attributes["nuscenes_instance_token"] for t in back.tracks}


def test_generated_demo_sequence_export_read_by_devkit(tmp_path: Path, devkit: Path) -> None:
    """The synthetic generator's own output (moving ego, moving and parked actors)."""
    from sweeplabel.io import read_sequence
    from sweeplabel.io.registry import LoadedSequence
    from sweeplabel.io.synthetic import generate_sequence

    loaded = read_sequence(generate_sequence(tmp_path / "synth", frames=4, beams=32, seed=11))
    # boxes of hidden or out-of-range actors hold no points: a delivery leaves them out
    seen = [a for a in loaded.annotations if _points_in(loaded.sequence[a.frame_index], a.box) > 0]
    tracks = [t for t in loaded.tracks if any(a.track_token == t.token for a in seen)]
    assert len(seen) > 40 and len(tracks) > 10
    visible = LoadedSequence(loaded.sequence, tracks, seen)
    summary = write_nuscenes(visible.sequence, visible.tracks, visible.annotations, tmp_path / "nus")
    assert summary["boxes"] == len(seen) and summary["frames"] == 4
    _assert_devkit_matches(devkit, tmp_path / "nus", visible, summary)
