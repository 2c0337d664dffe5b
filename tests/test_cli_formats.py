"""`sweeplabel export` / `import` as a user runs them."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sweeplabel.cli", *args], capture_output=True, text=True,
                          timeout=300)


def test_export_kitti_reproduces_kittis_own_labels(shared_data, tmp_path):
    training = shared_data / "kitti_object" / "training"
    result = run_cli("export", "--format", "kitti", str(training), str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "3 frames" in result.stdout
    for original in sorted((training / "label_2").glob("*.txt")):
        written = tmp_path / "out" / "label_2" / original.name
        assert written.read_text().split() == original.read_text().split()


def test_import_then_export_from_the_project(tmp_path):
    seq = tmp_path / "seq"
    assert run_cli("synth", str(seq), "--frames", "3", "--beams", "32", "--seed", "2").returncode == 0
    imported = run_cli("import", str(seq))
    assert imported.returncode == 0, imported.stderr
    assert "created" in imported.stdout and "3 frames" in imported.stdout
    project = seq / "seq.sweeplabel"
    assert project.is_file()
    again = run_cli("import", str(seq))
    assert "opened existing" in again.stdout
    out = tmp_path / "nus"
    exported = run_cli("export", "--format", "nuscenes", str(project), str(out))
    assert exported.returncode == 0, exported.stderr
    assert list(out.rglob("sample_annotation.json"))


@pytest.mark.parametrize("make_bad, fragment", [
    (lambda d: (d / "000000.bin").write_bytes(b"\0" * 18), "000000.bin"),
    (lambda d: None, "not a sequence any reader recognises"),
])
def test_bad_input_is_one_line_and_non_zero(tmp_path, make_bad, fragment):
    bad = tmp_path / "bad"
    bad.mkdir()
    make_bad(bad)
    result = run_cli("export", "--format", "kitti", str(bad), str(tmp_path / "out"))
    assert result.returncode != 0
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "label_2").exists()
