"""Detector results from elsewhere: KITTI result files and nuScenes results JSON become
scored auto tracks (tracking-by-detection with the project's tracker), in one undo step;
a bad file names the file and line/key and leaves the project unchanged."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from sweeplabel.assist.import_predictions import import_predictions
from sweeplabel.cli import main
from sweeplabel.io import FormatError, open_project, read_sequence
from sweeplabel.io.export import export_labels
from sweeplabel.io.nuscenes import quaternion_of
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Project, Source
from sweeplabel.model.geometry import rotation_z

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
TRACKING = DATA / "kitti_tracking_0000" / "training"
MMDET3D = DATA / "nuscenes_mmdet3d_demo"
needs_kitti = pytest.mark.skipif(not TRACKING.is_dir(), reason=f"shared KITTI tracking data not found at {DATA}")
needs_nus = pytest.mark.skipif(not MMDET3D.is_dir(), reason=f"shared nuScenes sample not found at {DATA}")


def _kitti_results(out: Path, drop_frame: int | None = None) -> Path:
    """label_2 result files made from the KITTI tracking labels: frame and track id cut
    off, a score column appended (0.5 + 0.05 * track id); one file per scanned frame."""
    out.mkdir(parents=True, exist_ok=True)
    lines: dict[int, list[str]] = {n: [] for n in range(8)}
    for line in (TRACKING / "label_02" / "0000.txt").read_text().splitlines():
        f = line.split()
        frame, track = int(f[0]), int(f[1])
        if frame in lines and frame != drop_frame:
            lines[frame].append(" ".join(f[2:] + [f"{0.5 + 0.05 * max(track, 0):.2f}"]))
    for frame, items in lines.items():
        (out / f"{frame:06d}.txt").write_text("".join(t + "\n" for t in items))
    return out


def _groups(project: Project) -> list[list[tuple[int, tuple]]]:
    """Each track's boxes as (frame, rounded box), for comparing trackings."""
    out = []
    for token in project.tracks:
        out.append(sorted((a.frame_index, tuple(np.round(a.box.to_array(), 6)))
                          for a in project.annotations_of_track(token)))
    return sorted(out)


def _empty_project(root) -> tuple[Project, object]:
    loaded = read_sequence(root)
    return Project(loaded.sequence), loaded


@needs_kitti
def test_kitti_results_become_the_ground_truth_tracks(tmp_path: Path) -> None:
    project, truth = _empty_project(TRACKING)
    summary = import_predictions(project, _kitti_results(tmp_path / "res"), "kitti")
    assert (summary.boxes, summary.tracks, summary.frames) == (25, 4, 8)
    expected = Project(truth.sequence)
    expected.load(truth.tracks, truth.annotations)
    assert _groups(project) == _groups(expected)  # the tracker linked every object as labelled
    by_number = {t.attributes["kitti_track_id"]: t for t in truth.tracks}
    for token, track in project.tracks.items():
        anns = project.annotations_of_track(token)
        assert all(a.source == Source.AUTO for a in anns)
        # the score column lands in Annotation.score; it identifies the labelled track
        truth_track = by_number[round((anns[0].score - 0.5) / 0.05)]
        assert track.category == truth_track.category and track.score == pytest.approx(anns[0].score)
        assert {a.score for a in anns} == {anns[0].score}


@needs_kitti
def test_one_undo_step_undoes_the_whole_import(tmp_path: Path) -> None:
    project, _ = _empty_project(TRACKING)
    import_predictions(project, _kitti_results(tmp_path / "res"), "kitti")
    assert len(project.undo) == 1 and "Import kitti predictions" in project.undo.undo_text
    assert project.undo.undo()
    assert not project.tracks and not project.annotations
    assert project.undo.redo() and len(project.annotations) == 25


@needs_kitti
def test_a_missed_frame_keeps_the_track_and_min_score_filters(tmp_path: Path) -> None:
    project, _ = _empty_project(TRACKING)
    import_predictions(project, _kitti_results(tmp_path / "res", drop_frame=3), "kitti", min_score=0.52)
    assert len(project.tracks) == 3  # the 0.50-scored track is filtered out; the others coast over frame 3
    frames = sorted([a.frame_index for a in project.annotations_of_track(t)] for t in project.tracks)
    assert frames == [[0, 1, 2, 4, 5], [0, 1, 2, 4, 5, 6, 7], [5, 6, 7]]


@needs_kitti
@pytest.mark.parametrize("bad, message", [
    ("Car 0 0 -1.5 600 170 640 200 1.5 1.6 3.9 -1 1.7 20 -1.6", "expected 16 fields"),
    ("Car 0 0 -1.5 600 170 640 200 1.5 1.6 3.9 -1 1.7 20 -1.6 7.5", "score in [0, 1]"),
    ("Car 0 0 -1.5 600 170 640 200 1.5 x 3.9 -1 1.7 20 -1.6 0.9", "expected a number, got 'x'"),
])
def test_a_bad_line_names_file_and_line_and_changes_nothing(tmp_path: Path, bad: str, message: str) -> None:
    res = _kitti_results(tmp_path / "res")
    target = res / "000005.txt"
    target.write_text(target.read_text() + bad + "\n")
    project, truth = _empty_project(TRACKING)
    project.load(truth.tracks, truth.annotations)
    before = (project.tracks, project.annotations)
    with pytest.raises(FormatError) as err:
        import_predictions(project, res, "kitti")
    assert err.value.path == target and err.value.line == len(target.read_text().splitlines())
    assert message in str(err.value)
    assert (project.tracks, project.annotations) == before and len(project.undo) == 0


@needs_nus
def test_nuscenes_results_become_scored_tracks(tmp_path: Path) -> None:
    project, truth = _empty_project(MMDET3D)
    token = truth.sequence[0].meta["nuscenes_sample_token"]
    tracks = {t.token: t for t in truth.tracks}
    results = [{"sample_token": token, "translation": a.box.center_m.tolist(),
                "size": [a.box.size_lwh_m[1], a.box.size_lwh_m[0], a.box.size_lwh_m[2]],
                "rotation": quaternion_of(rotation_z(a.box.yaw_rad)), "velocity": [0, 0],
                "detection_name": tracks[a.track_token].attributes["nuscenes_category"],
                "detection_score": 0.9 - 0.01 * k, "attribute_name": ""}
               for k, a in enumerate(truth.annotations)]
    path = tmp_path / "results_nusc.json"
    path.write_text(json.dumps({"meta": {"use_lidar": True}, "results": {token: results}}))
    summary = import_predictions(project, path, "nuscenes")
    assert summary.boxes == len(truth.annotations) == 69 and summary.tracks == 69
    got = sorted((round(a.score, 6), tuple(np.round(a.box.to_array(), 6))) for a in project.annotations.values())
    want = sorted((round(0.9 - 0.01 * k, 6), tuple(np.round(a.box.to_array(), 6)))
                  for k, a in enumerate(truth.annotations))
    assert got == want
    cats = sorted(t.category for t in project.tracks.values())
    assert cats == sorted(tracks[a.track_token].category for a in truth.annotations)
    results[3]["size"] = [1.0, 2.0]
    path.write_text(json.dumps({"results": {token: results}}))
    with pytest.raises(FormatError, match=rf"results\.{token}\[3\]"):
        import_predictions(project, path, "nuscenes")
    assert len(project.undo) == 1


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    return generate_sequence(tmp_path_factory.mktemp("predsynth") / "seq", frames=5, beams=32, seed=4)


def test_nuscenes_results_over_a_sequence_are_linked_by_the_tracker(tmp_path: Path, synthetic: Path) -> None:
    """Moving objects over 5 key frames: the tracker gives back the generator's tracks;
    ``vehicle.moving`` lands in the class's motion attribute."""
    truth = read_sequence(synthetic)
    for f in truth.sequence:
        f.meta["nuscenes_sample_token"] = f"sample{f.index:02d}"
    tracks = {t.token: t for t in truth.tracks}
    short = {"vehicle.car": "car", "human.pedestrian.adult": "pedestrian", "vehicle.cyclist": "bicycle"}
    results: dict[str, list] = {f"sample{i:02d}": [] for i in range(len(truth.sequence))}
    for a in truth.annotations:
        cat = tracks[a.track_token].category
        results[f"sample{a.frame_index:02d}"].append({
            "translation": a.box.center_m.tolist(), "size": [a.box.size_lwh_m[1], a.box.size_lwh_m[0], a.box.size_lwh_m[2]],
            "rotation": quaternion_of(rotation_z(a.box.yaw_rad)), "detection_name": short.get(cat, cat),
            "detection_score": 0.8, "attribute_name": "vehicle.moving" if cat == "vehicle.car" else ""})
    path = tmp_path / "res.json"
    path.write_text(json.dumps({"results": results}))
    project = Project(truth.sequence)
    import_predictions(project, path, "nuscenes")
    expected = Project(truth.sequence)
    expected.load(truth.tracks, truth.annotations)
    assert len(project.annotations) == len(truth.annotations)
    assert _groups(project) == _groups(expected)
    cars = [a for a in project.annotations.values() if project.track(a.track_token).category == "vehicle.car"]
    assert cars and all(a.attributes["motion"] == "vehicle.moving" and a.score == 0.8 for a in cars)


def test_cli_imports_the_tools_json_into_a_project_store(tmp_path: Path, synthetic: Path, capsys) -> None:
    truth = read_sequence(synthetic)
    export_labels(truth, "json", tmp_path / "pred")
    opened = open_project(synthetic, tmp_path / "p.sweeplabel", import_labels=False)
    opened.close()
    assert main(["import-predictions", str(tmp_path / "p.sweeplabel"), str(tmp_path / "pred" / "labels.json"),
                 "--format", "json"]) == 0
    assert f"{len(truth.annotations)} boxes in {len(truth.tracks)} tracks" in capsys.readouterr().out
    reopened = open_project(tmp_path / "p.sweeplabel")
    try:
        assert len(reopened.project.annotations) == len(truth.annotations)
        assert all(a.source == Source.AUTO for a in reopened.project.annotations.values())
    finally:
        reopened.close()
    (tmp_path / "bad.json").write_text('{"results": {"nope": []}}')
    assert main(["import-predictions", str(tmp_path / "p.sweeplabel"), str(tmp_path / "bad.json"),
                 "--format", "nuscenes"]) == 2
    assert "bad.json: results.nope: no key frame" in capsys.readouterr().err


def test_openlabel_file_is_a_pre_label_source(tmp_path: Path, synthetic: Path) -> None:
    """OpenLABEL pre-labels keep their own tracks and arrive as auto boxes."""
    truth = read_sequence(synthetic)
    export_labels(truth, "openlabel", tmp_path)
    project = Project(truth.sequence)
    summary = import_predictions(project, next(tmp_path.glob("*.openlabel.json")), "openlabel")
    assert (summary.tracks, summary.boxes) == (len(truth.tracks), len(truth.annotations))
    expected = Project(truth.sequence)
    expected.load(truth.tracks, truth.annotations)
    assert _groups(project) == _groups(expected)
    assert all(a.source == Source.AUTO for a in project.annotations.values()) and len(project.undo) == 1


@needs_kitti
def test_results_for_frames_without_a_scan_are_skipped_with_a_warning(tmp_path: Path) -> None:
    res = _kitti_results(tmp_path / "res")
    (res / "000100.txt").write_text("Car 0 0 -1.5 600 170 640 200 1.5 1.6 3.9 -1 1.7 20 -1.6 0.9\n")
    project, _ = _empty_project(TRACKING)
    summary = import_predictions(project, res, "kitti")
    assert summary.boxes == 25 and "1 result files are for frames not in the sequence" in summary.warnings[0]
    other = tmp_path / "other"
    other.mkdir()
    (other / "000100.txt").write_text("")
    with pytest.raises(FormatError, match="another sequence"):
        import_predictions(project, other, "kitti")


def test_two_hertz_key_frames_still_link_a_fast_car(tmp_path: Path) -> None:
    """nuScenes results come at 2 Hz: a car at 12 m/s is 6 m further on each key frame
    (no overlap with its last box); a pedestrian stands 4 m beside its path. Two tracks."""
    from sweeplabel.model import Frame, Sequence

    frames = [Frame(i, 0.5 * i, meta={"nuscenes_sample_token": f"s{i}", "nuscenes_is_key_frame": True})
              for i in range(5)]
    project = Project(Sequence("two_hz", frames))

    def rec(x: float, y: float, name: str, size: list, score: float) -> dict:
        return {"translation": [x, y, 0.8], "size": size, "rotation": [1, 0, 0, 0], "detection_name": name,
                "detection_score": score, "attribute_name": ""}

    results = {f"s{i}": [rec(6.0 * i, 0.0, "car", [1.8, 4.4, 1.5], 0.9),
                         rec(14.0, 4.0, "pedestrian", [0.6, 0.6, 1.7], 0.6)] for i in range(5)}
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"results": results}))
    import_predictions(project, path, "nuscenes")
    lengths = sorted((project.track(t).category, len(project.annotations_of_track(t))) for t in project.tracks)
    assert lengths == [("human.pedestrian.adult", 5), ("vehicle.car", 5)]
