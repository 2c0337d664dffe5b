"""The sequence-folder reader: round trip from the generator, and one clear
FormatError (file + line or byte) for each kind of bad input."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from sweeplabel.io import FormatError, UnsupportedFormatError, read_sequence
from sweeplabel.io.registry import find_reader
from sweeplabel.io.sequence_folder import load_points, read, read_ground_labels, sniff
from sweeplabel.io.synthetic import SceneConfig, generate_sequence
from sweeplabel.io.synthetic.generator import track_token
from sweeplabel.io.synthetic.scene import build_scene
from sweeplabel.model import Source

FRAMES, BEAMS, SEED = 3, 32, 7


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_sequence(tmp_path_factory.mktemp("folder") / "seq", frames=FRAMES, beams=BEAMS, seed=SEED)


@pytest.fixture
def seq(generated: Path, tmp_path: Path) -> Path:
    """A private copy to damage."""
    return Path(shutil.copytree(generated, tmp_path / "seq"))


def _error(path: Path) -> FormatError:
    with pytest.raises(FormatError) as info:
        read(path)
    return info.value


# -- round trip ---------------------------------------------------------------------------


def test_registry_finds_the_reader(generated: Path, tmp_path: Path) -> None:
    assert find_reader(generated).name == "sweeplabel-sequence"
    assert sniff(generated / "sequence.json")
    assert not sniff(tmp_path)
    with pytest.raises(UnsupportedFormatError):
        read_sequence(tmp_path)


def test_frames_poses_and_timestamps_round_trip(generated: Path) -> None:
    loaded = read_sequence(generated)
    sequence = loaded.sequence
    assert sequence.format == "sweeplabel-sequence" and sequence.root == generated
    assert sequence.name == "synthetic-32b-seed7" and sequence.meta["lidar"]["beams"] == BEAMS
    scene = build_scene(SceneConfig(), FRAMES / 10.0, SEED)
    assert len(sequence) == FRAMES
    for i, frame in enumerate(sequence):
        assert frame.index == i and frame.timestamp_s == i / 10.0
        assert np.array_equal(frame.T_world_sensor, scene.T_world_sensor(i / 10.0, 1.8))
        assert frame.source_path == generated / "points" / f"{i:06d}.bin"
        points = frame.load_points()
        assert points.dtype == np.float32 and points.shape == (len(read_ground_labels(generated, i)), 5)
    assert loaded.warnings == []


def test_boxes_round_trip(generated: Path) -> None:
    loaded = read(generated)
    scene = build_scene(SceneConfig(), FRAMES / 10.0, SEED)
    actors = {track_token(SEED, actor.number): actor for actor in scene.actors}
    tracks = {t.token: t for t in loaded.tracks}
    assert len(tracks) == len(loaded.tracks) > 10
    for track in loaded.tracks:
        assert track.category == actors[track.token].category and track.number == actors[track.token].number
    keys = set()
    for a in loaded.annotations:
        actor = actors[a.track_token]
        assert a.box == scene.actor_box(actor, a.frame_index / 10.0)
        assert a.source is Source.AUTO and a.attributes["num_points"] >= 0
        keys.add((a.track_token, a.frame_index))
    assert len(keys) == len(loaded.annotations)
    assert sum(a.attributes["num_points"] > 0 for a in loaded.annotations) > 20


def test_points_are_read_only_when_asked(seq: Path) -> None:
    loaded = read(seq)
    (seq / "points" / "000001.bin").write_bytes(b"\0" * 40)  # changed after opening
    assert loaded.sequence[1].load_points().shape == (2, 5)


# -- bad input ------------------------------------------------------------------------------


def test_missing_sequence_json(seq: Path) -> None:
    (seq / "sequence.json").unlink()
    err = _error(seq)
    assert "sequence.json" in str(err) and "missing" in str(err)


def test_garbled_sequence_json_names_the_line(seq: Path) -> None:
    text = (seq / "sequence.json").read_text()
    (seq / "sequence.json").write_text(text.replace('"frame_count"', '"frame_count" "'))
    err = _error(seq)
    assert "sequence.json" in str(err) and err.line == 5 and "line 5" in str(err)


def test_bad_field_in_sequence_json(seq: Path) -> None:
    meta = json.loads((seq / "sequence.json").read_text())
    meta["frame_count"] = "three"
    (seq / "sequence.json").write_text(json.dumps(meta, indent=1))
    err = _error(seq)
    assert "frame_count" in str(err) and "integer" in str(err) and '"three"' in str(err)
    assert '"frame_count"' in (seq / "sequence.json").read_text().splitlines()[err.line - 1]


def test_newer_version_is_refused(seq: Path) -> None:
    meta = json.loads((seq / "sequence.json").read_text())
    meta["version"] = 99
    (seq / "sequence.json").write_text(json.dumps(meta, indent=1))
    assert "newer" in str(_error(seq))


def _edit_line(path: Path, number: int, edit) -> None:
    lines = path.read_text().splitlines()
    lines[number - 1] = edit(lines[number - 1])
    path.write_text("\n".join(lines) + "\n")


def test_pose_line_with_wrong_field_count(seq: Path) -> None:
    _edit_line(seq / "poses.txt", 2, lambda line: line.rsplit(" ", 1)[0])
    err = _error(seq)
    assert str(err).startswith(str(seq / "poses.txt")) and "line 2" in str(err)
    assert "expected 13 numbers" in str(err) and "found 12" in str(err)


def test_pose_line_with_a_non_number(seq: Path) -> None:
    _edit_line(seq / "poses.txt", 3, lambda line: line.replace(" ", " abc ", 1).rsplit(" ", 1)[0])
    err = _error(seq)
    assert "poses.txt, line 3" in str(err) and "'abc'" in str(err) and "field 2" in str(err)


def test_pose_that_is_not_a_rotation(seq: Path) -> None:
    _edit_line(seq / "poses.txt", 1, lambda line: line.replace(" 1.0 ", " 2.0 ", 1))
    assert "poses.txt, line 1" in str(_error(seq)) and "rotation" in str(_error(seq))


def test_too_few_pose_lines(seq: Path) -> None:
    lines = (seq / "poses.txt").read_text().splitlines()
    (seq / "poses.txt").write_text("\n".join(lines[:2]) + "\n")
    err = _error(seq)
    assert "poses.txt, line 3" in str(err) and "expected 3 pose lines" in str(err)


def test_points_file_of_the_wrong_size(seq: Path) -> None:
    path = seq / "points" / "000002.bin"
    size = path.stat().st_size
    with path.open("ab") as handle:
        handle.write(b"\0\0\0")
    err = _error(seq)
    assert str(path) in str(err) and f"byte {size}" in str(err) and f"{size + 3} bytes" in str(err)
    assert "multiple of 20" in str(err)


def test_lazy_loader_checks_the_size(seq: Path) -> None:
    loaded = read(seq)
    path = seq / "points" / "000000.bin"
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(FormatError, match=r"000000\.bin, byte \d+: size \d+ bytes is not a multiple of 20"):
        loaded.sequence[0].load_points()
    with pytest.raises(FormatError):
        load_points(path)


def test_missing_points_file(seq: Path) -> None:
    (seq / "points" / "000001.bin").unlink()
    assert "000001.bin: points file is missing" in str(_error(seq))


def _damage_first_box(seq: Path, key: str, value) -> FormatError:
    path = seq / "labels" / "tracks.json"
    data = json.loads(path.read_text())
    data["tracks"][1]["boxes"][0][key] = value
    path.write_text(json.dumps(data, indent=1))
    err = _error(seq)
    assert str(err).startswith(str(path))
    assert f'"{key}"' in path.read_text().splitlines()[err.line - 1]  # the line names the field
    return err


def test_tracks_json_with_a_short_center(seq: Path) -> None:
    err = _damage_first_box(seq, "center_m", [1.0, 2.0])
    assert "tracks[1].boxes[0].center_m: expected a list of 3 finite numbers, got [1.0, 2.0]" in str(err)


def test_tracks_json_with_a_frame_out_of_range(seq: Path) -> None:
    err = _damage_first_box(seq, "frame", FRAMES)
    assert "frame: expected an integer >= 0 and <= 2" in str(err)


def test_tracks_json_with_a_text_yaw(seq: Path) -> None:
    err = _damage_first_box(seq, "yaw_rad", "north")
    assert "yaw_rad: expected a finite number" in str(err)


def test_tracks_json_missing_a_field(seq: Path) -> None:
    path = seq / "labels" / "tracks.json"
    data = json.loads(path.read_text())
    del data["tracks"][0]["category"]
    path.write_text(json.dumps(data, indent=1))
    err = _error(seq)
    assert "tracks[0]: missing field 'category'" in str(err) and err.line is not None


def test_tracks_json_with_a_track_that_is_not_an_object(seq: Path) -> None:
    path = seq / "labels" / "tracks.json"
    data = json.loads(path.read_text())
    data["tracks"][0] = 5
    path.write_text(json.dumps(data, indent=1))
    err = _error(seq)
    assert "tracks[0]: expected an object" in str(err) and err.line == 4  # the "tracks" key


def test_unknown_category_is_a_warning(seq: Path) -> None:
    path = seq / "labels" / "tracks.json"
    data = json.loads(path.read_text())
    data["tracks"][0]["category"] = "vehicle.hovercraft"
    path.write_text(json.dumps(data, indent=1))
    loaded = read(seq)
    assert len(loaded.warnings) == 1 and "vehicle.hovercraft" in loaded.warnings[0]


def test_labels_are_optional(seq: Path) -> None:
    shutil.rmtree(seq / "labels")
    loaded = read(seq)
    assert len(loaded.sequence) == FRAMES and loaded.tracks == [] and loaded.annotations == []


def test_ground_labels_of_the_wrong_length(seq: Path) -> None:
    path = seq / "ground" / "000001.bin"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(FormatError, match=re.escape(str(path)) + r", byte \d+: expected \d+ bytes"):
        read_ground_labels(seq, 1)


def test_ground_labels_with_a_bad_value(seq: Path) -> None:
    path = seq / "ground" / "000000.bin"
    data = bytearray(path.read_bytes())
    data[10] = 7
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"byte 10: expected 0 or 1, got 7"):
        read_ground_labels(seq, 0)
