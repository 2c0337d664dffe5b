"""Exports stay inside OUT_DIR, honour the umask, and leave a delivery folder that says
when it is incomplete, sweeps up after killed exports and names stale files."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from sweeplabel.cli import main
from sweeplabel.io import FormatError, read_sequence
from sweeplabel.io.atomic import WriteError
from sweeplabel.io.export import INCOMPLETE_MARKER, export_labels
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Box, Project, commands as cmd

from support import make_sequence


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    return generate_sequence(tmp_path_factory.mktemp("hyg") / "seq", frames=3, beams=32, seed=1)


def project_with_a_box(n_frames: int = 2) -> Project:
    p = Project(make_sequence(n_frames))
    p.execute(cmd.create_track(p, "vehicle.car", 0, Box([8, 1, -0.9], [4.2, 1.8, 1.5], 0.2)))
    return p


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("key, value, fmt", [
    ("kitti_id", "../../escaped", "kitti"), ("kitti_id", "/tmp/sweeplabel-escaped", "kitti"),
    ("kitti_sequence", "../escaped", "kitti-tracking"), ("nuscenes_version", "../../escaped", "nuscenes"),
])
def test_names_from_data_never_leave_out_dir(tmp_path: Path, key: str, value: str, fmt: str) -> None:
    p = project_with_a_box()
    if key == "kitti_id":
        p.sequence.frames[0].meta[key] = value
    else:
        p.sequence.meta[key] = value
    out = tmp_path / "deep" / "out"
    with pytest.raises(FormatError, match="not a plain file name"):
        export_labels(p, fmt, out)
    assert files_under(tmp_path) <= {f"deep/out/{INCOMPLETE_MARKER}"}  # nothing else anywhere
    assert not Path("/tmp/sweeplabel-escaped.txt").exists()


def test_nuscenes_filename_outside_the_dataroot_is_refused(tmp_path: Path, synthetic: Path) -> None:
    root = tmp_path / "nus"
    export_labels(read_sequence(synthetic), "nuscenes", root)
    table = root / "v1.0-sweeplabel" / "sample_data.json"
    rows = json.loads(table.read_text())
    (tmp_path / "secret.bin").write_bytes(b"\0" * 20)
    rows[0]["filename"] = "../secret.bin"
    table.write_text(json.dumps(rows))
    with pytest.raises(FormatError, match="points outside") as err:
        read_sequence(root)
    assert "sample_data.json" in str(err.value)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_exported_files_honour_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    old = os.umask(umask)
    try:
        export_labels(project_with_a_box(), "kitti", tmp_path / "k")
    finally:
        os.umask(old)
    modes = {stat.S_IMODE((tmp_path / "k" / f).stat().st_mode) for f in files_under(tmp_path / "k")}
    assert modes == {mode}


def test_interrupted_export_leaves_a_marker_and_the_next_one_cleans_up(tmp_path: Path) -> None:
    out = tmp_path / "k"
    (out / "label_2" / "000001.txt").mkdir(parents=True)  # a folder where a file must go
    with pytest.raises(WriteError, match="000001.txt"):
        export_labels(project_with_a_box(), "kitti", out)
    assert (out / INCOMPLETE_MARKER).is_file()
    (out / "label_2" / "000001.txt").rmdir()
    (out / "label_2" / ".000000.txt.ab12cd34.tmp").write_text("half")  # what a SIGKILL leaves
    (out / "label_2" / "000099.txt").write_text("Car 0 0 0 0 0 0 0 1 1 1 0 0 0 0\n")  # an older export's
    summary = export_labels(project_with_a_box(), "kitti", out)
    assert not (out / INCOMPLETE_MARKER).exists()
    assert not (out / "label_2" / ".000000.txt.ab12cd34.tmp").exists()
    assert summary.files == 4 and len(summary.warnings) == 1
    assert "label_2/000099.txt" in summary.warnings[0]


def test_cli_reports_bad_destinations_in_one_line(tmp_path: Path, synthetic: Path, capsys) -> None:
    target = tmp_path / "a-file"
    target.write_text("x")
    assert main(["export", "--format", "kitti", str(synthetic), str(target)]) == 2
    err = capsys.readouterr().err
    assert "a-file" in err and "not a folder" in err and "Traceback" not in err


DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
TRACKING = DATA / "kitti_tracking_0000" / "training"


@pytest.mark.skipif(not TRACKING.is_dir(), reason=f"shared KITTI data not found at {DATA}")
def test_a_copied_box_is_a_new_box_in_every_export(tmp_path: Path) -> None:
    """Copy the pedestrian's last box (frame 6) to frame 7 as 'copy to next frame' does:
    nuScenes gets two distinct tokens, KITTI computes the copy's own 2D box."""
    from sweeplabel.model import Source

    loaded = read_sequence(TRACKING)
    p = Project(loaded.sequence)
    p.load(loaded.tracks, loaded.annotations)
    ped = next(t for t in p.tracks.values() if t.category.startswith("human.pedestrian"))
    last = max(p.annotations_of_track(ped.token), key=lambda a: a.frame_index)
    assert p.annotation_at(ped.token, last.frame_index + 1) is None
    p.execute(cmd.put_annotations(p, [(ped.token, last.frame_index + 1, last.box)], Source.PROPAGATED,
                                  attributes=dict(last.attributes)))
    export_labels(p, "nuscenes", tmp_path / "nus")
    tokens = [r["token"] for r in json.loads((tmp_path / "nus" / "v1.0-sweeplabel" / "sample_annotation.json").read_text())]
    assert len(tokens) == len(set(tokens)) == len(p.annotations)
    export_labels(p, "kitti-tracking", tmp_path / "kt")
    lines = [l.split() for l in (tmp_path / "kt" / "label_02" / "0000.txt").read_text().splitlines()]
    rows = {int(l[0]): l for l in lines if l[1] == str(ped.number)}
    src, copy = rows[last.frame_index], rows[last.frame_index + 1]
    assert copy[6:10] != src[6:10]  # its own projection, not the source frame's 2D box
