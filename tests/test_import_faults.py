"""SIGKILL during `sweeplabel import`: nothing or a complete project at the final name."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sweeplabel.io import ProjectStore
from sweeplabel.io.synthetic import generate_sequence

KILL_FRACTIONS = (0.35, 0.6, 0.8, 0.9, 1.0)  # of one uninterrupted import's wall time


def import_cmd(seq: Path, project: Path) -> list[str]:
    return [sys.executable, "-m", "sweeplabel.cli", "import", str(seq), "--project", str(project)]


def boxes_at(project: Path) -> int | None:
    """Boxes in the project at ``project`` (None: no file there)."""
    if not project.exists():
        return None
    with ProjectStore.open(project, read_only=True) as store:
        return len(store.read_annotations())


@pytest.fixture(scope="module")
def seq(tmp_path_factory) -> Path:
    return generate_sequence(tmp_path_factory.mktemp("imp") / "seq", frames=6, beams=32, seed=2)


def test_killed_import_leaves_nothing_or_the_complete_project(seq, tmp_path):
    reference = tmp_path / "ref.sweeplabel"
    start = time.perf_counter()
    done = subprocess.run(import_cmd(seq, reference), capture_output=True, text=True, timeout=120)
    full_s = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    complete = boxes_at(reference)
    assert complete and complete > 50
    outcomes = []
    for i, fraction in enumerate(KILL_FRACTIONS):
        project = tmp_path / f"p{i}.sweeplabel"
        child = subprocess.Popen(import_cmd(seq, project), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(full_s * fraction)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        found = boxes_at(project)
        assert found in (None, complete), f"kill at {fraction:.0%}: {found} of {complete} boxes"
        outcomes.append(found)
        again = subprocess.run(import_cmd(seq, project), capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr  # a re-import finishes the job
        assert boxes_at(project) == complete
    assert None in outcomes  # some kills did land during the import


def test_import_onto_a_full_disk_is_one_clear_error_and_leaves_nothing(seq, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    try:
        project = disk / "p.sweeplabel"
        result = subprocess.run(import_cmd(seq, project), capture_output=True, text=True, timeout=120)
        assert result.returncode != 0
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert str(project) in result.stderr and "full" in result.stderr
        assert not project.exists() and not list(disk.glob("*.creating*"))
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
