"""ASAM OpenLABEL 1.0 export and import: the independent openlabel-checker passes our
files; round trips OpenLABEL -> project -> OpenLABEL and KITTI -> OpenLABEL -> KITTI
lose nothing; a hand-computed cuboid pins quaternion and size order; bad input gets
one error naming the key path."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openlabel_checker import Severity, check_file

from sweeplabel.io import FormatError, open_project, read_sequence
from sweeplabel.io.export import FORMATS, export_labels
from sweeplabel.io.kitti_tracking import read_kitti_tracking, write_kitti_tracking
from sweeplabel.io.openlabel import object_uid, write_openlabel
from sweeplabel.io.openlabel_read import read_openlabel
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Annotation, Box, Project, ReviewState, Source, Track
from support import make_sequence

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
TRACKING = DATA / "kitti_tracking_0000" / "training"
SUSTECH = DATA / "sustech_points_example"
needs_data = pytest.mark.skipif(not TRACKING.is_dir() or not SUSTECH.is_dir(),
                                reason=f"shared KITTI / SUSTechPOINTS data not found at {DATA}")


def _export(loaded, out: Path) -> Path:
    summary = export_labels(loaded, "openlabel", out)
    files = list(out.glob("*.openlabel.json"))
    assert len(files) == 1 and summary.boxes == len(loaded.annotations)
    return files[0]


def _assert_checker_passes(path: Path) -> None:
    report = check_file(str(path))
    assert [i.to_dict() for i in report.issues if i.severity != Severity.INFO] == []
    assert all(o.status == "completed" for o in report.outcomes)


def _assert_same_labels(a, b) -> None:
    """Same tracks (token, number, class, attributes, score, review) and boxes within 1e-9."""
    ta = {t.token: t for t in a.tracks}
    tb = {t.token: t for t in b.tracks}
    assert ta == tb
    aa = {x.token: x for x in a.annotations}
    ab = {x.token: x for x in b.annotations}
    assert aa.keys() == ab.keys()
    for token, x in aa.items():
        y = ab[token]
        assert x.box.isclose(y.box, 1e-9, 1e-9), (x.box, y.box)
        assert x.evolve(box=y.box) == y


# -- the checker passes our exports --------------------------------------------------------------
AV2 = DATA / "av2_sensor_sample"


@needs_data
@pytest.mark.parametrize("root", [TRACKING, SUSTECH, pytest.param(AV2, marks=pytest.mark.skipif(
    not AV2.is_dir(), reason=f"shared Argoverse 2 sample not found at {AV2}"))], ids=["kitti-tracking", "sustech", "av2"])
def test_checker_passes_real_sequences(tmp_path: Path, root: Path) -> None:
    loaded = read_sequence(root)
    path = _export(loaded, tmp_path)
    _assert_checker_passes(path)
    doc = json.loads(path.read_text())["openlabel"]
    assert doc["metadata"]["schema_version"] == "1.0.0"
    assert len(doc["frames"]) == len(loaded.sequence) and len(doc["objects"]) == len(loaded.tracks)
    frame = doc["frames"]["1"]["frame_properties"]
    assert frame["streams"]["lidar"]["uri"] == str(loaded.sequence[1].source_path.resolve())
    assert frame["timestamp"] == loaded.sequence[1].timestamp_s
    M = np.array(frame["transforms"]["lidar_to_world"]["transform_src_to_dst"]["matrix4x4"]).reshape(4, 4)
    assert np.array_equal(M, loaded.sequence[1].T_world_sensor)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    return generate_sequence(tmp_path_factory.mktemp("olsynth") / "seq", frames=4, beams=32, seed=5)


def test_checker_passes_synthetic_and_reader_restores_it(tmp_path: Path, synthetic: Path) -> None:
    loaded = read_sequence(synthetic)
    assert loaded.annotations
    path = _export(loaded, tmp_path)
    _assert_checker_passes(path)
    back = read_sequence(path)  # the registry recognises the file
    _assert_same_labels(loaded, back)
    assert back.sequence.format == loaded.sequence.format
    for f, g in zip(loaded.sequence, back.sequence):  # a moving sensor: per-frame poses
        assert np.allclose(f.T_world_sensor, g.T_world_sensor, atol=1e-12)
        assert f.timestamp_s == g.timestamp_s
    assert not np.allclose(loaded.sequence[0].T_world_sensor, loaded.sequence[3].T_world_sensor)
    assert np.array_equal(back.sequence[2].load_points(), loaded.sequence[2].load_points())


# -- round trips ---------------------------------------------------------------------------------
def _scored_project() -> Project:
    """A project with every field a round trip must keep: sources, scores, review state,
    static and dynamic attributes of several types, a gap in a track."""
    project = Project(make_sequence(6))
    t0 = Track("a" * 32, "vehicle.car", 3, {"parked": True, "colour": "red", "score": 7, "attr.x": [1, 2]},
               ReviewState.ACCEPTED, "qa-lead", 1700000000.5, score=0.75)
    t1 = Track("not-a-uuid-token", "human.pedestrian.adult", 8, {}, score=None)
    anns = [Annotation(f"b{i:031d}", t0.token, i, Box([i + 0.1, -2.0, 0.8], [4.2, 1.8, 1.5], 0.1 * i - 3.1),
                       {"visibility": "v60-80", "points": 120 + i, "nested": {"k": [1, {"z": None}]}},
                       Source.AUTO if i % 2 else Source.MANUAL, ReviewState.REJECTED if i == 4 else ReviewState.UNREVIEWED,
                       "rev" if i == 4 else "", 1700000001.0 if i == 4 else 0.0, score=0.5 + 0.01 * i)
            for i in (0, 1, 2, 4, 5)]
    anns.append(Annotation("c" * 32, t1.token, 2, Box([5, 5, 0.9], [0.6, 0.7, 1.8], 1.0), {}, Source.INTERPOLATED))
    project.load([t0, t1], anns)
    return project


def test_openlabel_project_openlabel_round_trip(tmp_path: Path) -> None:
    project = _scored_project()
    first = tmp_path / "a.openlabel.json"
    write_openlabel(first, project.sequence, project.tracks.values(), project.annotations.values(), project.schema)
    _assert_checker_passes(first)
    back = read_openlabel(first)
    _assert_same_labels(type(back)(project.sequence, list(project.tracks.values()),
                                   list(project.annotations.values())), back)
    again = Project(back.sequence)
    again.load(back.tracks, back.annotations)
    second = tmp_path / "b.openlabel.json"
    write_openlabel(second, again.sequence, again.tracks.values(), again.annotations.values(), again.schema)
    a, b = json.loads(first.read_text()), json.loads(second.read_text())
    obj = a["openlabel"]["objects"][object_uid("a" * 32)]
    assert obj["frame_intervals"] == [{"frame_start": 0, "frame_end": 2}, {"frame_start": 4, "frame_end": 5}]
    assert a == b  # ids, intervals, attributes, boxes all equal


@needs_data
def test_kitti_openlabel_kitti_gives_the_original_label_file(tmp_path: Path) -> None:
    loaded = read_kitti_tracking(TRACKING)
    path = _export(loaded, tmp_path / "ol")
    back = read_openlabel(path)
    _assert_same_labels(loaded, back)
    write_kitti_tracking(back.sequence, back.tracks, back.annotations, tmp_path / "kitti")
    original = (TRACKING / "label_02" / "0000.txt").read_text()
    assert (tmp_path / "kitti" / "label_02" / "0000.txt").read_text() == original


@needs_data
def test_import_command_creates_a_project_from_openlabel(tmp_path: Path) -> None:
    path = _export(read_sequence(SUSTECH), tmp_path)
    opened = open_project(path, tmp_path / "p.sweeplabel")
    try:
        assert len(opened.project.annotations) == 68 and len(opened.project.tracks) == 24
        assert len(opened.project.sequence[0].load_points()) > 10000
    finally:
        opened.close()


def test_export_format_listed_for_the_cli() -> None:
    assert "openlabel" in FORMATS


# -- the conventions, by hand -----------------------------------------------------------------------
def _one_box_file(tmp_path: Path, yaw_rad: float) -> dict:
    project = Project(make_sequence(1))
    track = Track("1" * 32, "vehicle.car", 0)
    project.load([track], [Annotation("2" * 32, track.token, 0, Box([10.0, 2.0, 0.9], [4.5, 1.9, 1.6], yaw_rad))])
    path = tmp_path / "one.json"
    write_openlabel(path, project.sequence, project.tracks.values(), project.annotations.values())
    return json.loads(path.read_text())


def test_yaw_30_degrees_pins_quaternion_and_size_order(tmp_path: Path) -> None:
    doc = _one_box_file(tmp_path, math.radians(30.0))
    cuboid = doc["openlabel"]["frames"]["0"]["objects"]["11111111-1111-1111-1111-111111111111"]["object_data"]["cuboid"][0]
    # (x, y, z, qx, qy, qz, qw, sx, sy, sz): qz = sin(15 deg), qw = cos(15 deg), scalar last; sx = length
    expected = [10.0, 2.0, 0.9, 0.0, 0.0, 0.25881904510252074, 0.9659258262890683, 4.5, 1.9, 1.6]
    assert cuboid["val"] == pytest.approx(expected, abs=1e-15)
    assert cuboid["coordinate_system"] == "world"


def test_nine_value_euler_cuboid_in_the_lidar_frame(tmp_path: Path) -> None:
    """A foreign file: Euler (rx, ry, rz) applied Z, Y, X; the box given in a sensor frame
    posed 5 m ahead and turned 90 degrees in the world; a numeric uid; a lower-case type."""
    doc = {"openlabel": {
        "metadata": {"schema_version": "1.0.0"},
        "coordinate_systems": {"odom": {"type": "scene_cs", "parent": "", "children": ["velo"]},
                               "velo": {"type": "sensor_cs", "parent": "odom"}},
        "streams": {"velo": {"type": "lidar"}},
        "frames": {"0005": {"frame_properties": {"timestamp": 1.5, "transforms": {"t": {
            "src": "velo", "dst": "odom",
            "transform_src_to_dst": {"quaternion": [0, 0, math.sin(math.pi / 4), math.cos(math.pi / 4)],
                                     "translation": [5, 0, 0]}}}},
            "objects": {"7": {"object_data": {"cuboid": [{"name": "c", "coordinate_system": "velo",
                                                          "val": [1, 0, 0, 0, 0, 0.5, 4, 2, 1.5]}]}}}}},
        "objects": {"7": {"name": "car 7", "type": "car", "frame_intervals": [{"frame_start": 5, "frame_end": 5}]}},
    }}
    path = tmp_path / "foreign.json"
    path.write_text(json.dumps(doc))
    loaded = read_sequence(path)
    (ann,) = loaded.annotations
    assert loaded.tracks[0].category == "vehicle.car"
    assert ann.box.center_m.tolist() == pytest.approx([5.0, 1.0, 0.0], abs=1e-12)
    assert ann.box.yaw_rad == pytest.approx(math.pi / 2 + 0.5, abs=1e-12)
    assert ann.box.size_lwh_m.tolist() == [4.0, 2.0, 1.5]
    assert loaded.sequence[0].timestamp_s == 1.5
    out = tmp_path / "again.json"  # written back, the frame keeps its number
    write_openlabel(out, loaded.sequence, loaded.tracks, loaded.annotations)
    _assert_checker_passes(out)
    again = json.loads(out.read_text())["openlabel"]
    assert list(again["frames"]) == ["5"] and again["frame_intervals"] == [{"frame_start": 5, "frame_end": 5}]
    uid = "7"  # the object keeps its uid
    assert again["objects"][uid]["frame_intervals"] == [{"frame_start": 5, "frame_end": 5}]
    val = again["frames"]["5"]["objects"][uid]["object_data"]["cuboid"][0]["val"]
    assert val == pytest.approx([5, 1, 0, 0, 0, math.sin(ann.box.yaw_rad / 2), math.cos(ann.box.yaw_rad / 2),
                                 4, 2, 1.5], abs=1e-12)


# -- bad input: one FormatError naming the key path ------------------------------------------------------
def _good_doc(tmp_path: Path) -> dict:
    return _one_box_file(tmp_path, 0.3)


UID = "11111111-1111-1111-1111-111111111111"
CUBOID_AT = f"openlabel.frames.0.objects.{UID}.object_data.cuboid[0]"


def _break(doc: dict, how: str) -> dict:
    doc = copy.deepcopy(doc)
    body = doc["openlabel"]
    cuboid = body["frames"]["0"]["objects"][UID]["object_data"]["cuboid"][0]
    if how == "no-version":
        del body["metadata"]["schema_version"]
    elif how == "eight-values":
        cuboid["val"] = cuboid["val"][:8]
    elif how == "negative-size":
        cuboid["val"][8] = -1.9
    elif how == "inverted-interval":
        body["objects"][UID]["frame_intervals"] = [{"frame_start": 3, "frame_end": 0}]
    elif how == "unknown-cs":
        cuboid["coordinate_system"] = "camera_7"
    return doc


@pytest.mark.parametrize("how, at, message", [
    ("no-version", "openlabel.metadata.schema_version", "missing"),
    ("eight-values", f"{CUBOID_AT}.val", "got 8"),
    ("negative-size", f"{CUBOID_AT}.val", "negative size sy = -1.9"),
    ("inverted-interval", f"openlabel.objects.{UID}.frame_intervals[0]", "inverted frame interval"),
    ("unknown-cs", f"{CUBOID_AT}.coordinate_system", "unknown coordinate system 'camera_7'"),
])
def test_bad_input_names_the_key_path(tmp_path: Path, how: str, at: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(_break(_good_doc(tmp_path), how), indent=1))
    with pytest.raises(FormatError) as err:
        read_sequence(path)
    text = str(err.value)
    assert text.startswith(f"{path}: {at}: ") and message in text, text
    assert "\n" not in text


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"openlabel": {\n "metadata": {"schema_version": "1.0.0"},\n}}')
    with pytest.raises(FormatError) as err:
        read_openlabel(path)
    assert err.value.line == 3


_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-3, 12), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=8), st.sampled_from(["world", "lidar", "1.0.0", "auto"]),
                    st.lists(st.floats(-5, 5), max_size=11), st.just({}), st.just([]))


def _paths(node, prefix=()):
    yield prefix
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield from _paths(child, prefix + (key,))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_file_reads_or_gives_one_format_error(tmp_path: Path, data) -> None:
    """Replace or delete any one value of a valid file: the reader either reads it or
    raises one FormatError (never another exception, never a multi-line message)."""
    doc = _scored_doc(tmp_path)
    paths = list(_paths(doc))[2:]
    at = data.draw(st.sampled_from(paths))
    parent = doc
    for key in at[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and data.draw(st.booleans()):
        del parent[at[-1]]
    else:
        parent[at[-1]] = data.draw(_LEAVES)
    path = tmp_path / "damaged.json"
    path.write_text(json.dumps(doc))
    try:
        read_openlabel(path)
    except FormatError as err:
        assert "\n" not in str(err) and str(path) in str(err)


_SCORED_DOC: dict = {}


def _scored_doc(tmp_path: Path) -> dict:
    if not _SCORED_DOC:
        project = _scored_project()
        path = tmp_path / "scored.json"
        write_openlabel(path, project.sequence, project.tracks.values(), project.annotations.values(), project.schema)
        _SCORED_DOC.update(json.loads(path.read_text()))
    return copy.deepcopy(_SCORED_DOC)


@needs_data
def test_cli_export_openlabel_passes_the_checker(tmp_path: Path, capsys) -> None:
    from sweeplabel.cli import main

    assert main(["export", "--format", "openlabel", str(TRACKING), str(tmp_path)]) == 0
    assert "exported openlabel: 8 frames, 4 tracks, 25 boxes" in capsys.readouterr().out
    _assert_checker_passes(tmp_path / "kitti_tracking_0000.openlabel.json")


def test_a_file_beside_the_sweeps_is_recognised_and_moves_with_them(tmp_path: Path, synthetic: Path) -> None:
    import shutil

    folder = tmp_path / "seq"
    shutil.copytree(synthetic, folder)
    loaded = read_sequence(folder)
    assert loaded.sequence.format != "openlabel"
    count = len(loaded.sequence[2].load_points())
    export_labels(loaded, "openlabel", folder)  # into the sequence folder: relative URIs
    doc = json.loads(next(folder.glob("*.openlabel.json")).read_text())
    assert doc["openlabel"]["frames"]["2"]["frame_properties"]["streams"]["lidar"]["uri"] == "points/000002.bin"
    moved = tmp_path / "moved"
    shutil.move(folder, moved)
    back = read_sequence(moved)  # the folder: its OpenLABEL file is read, points found beside it
    _assert_same_labels(loaded, back)
    assert back.sequence[2].source_path == moved / "points" / "000002.bin"
    assert len(back.sequence[2].load_points()) == count > 0
