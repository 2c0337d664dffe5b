"""The command line as a user runs it: a real subprocess per command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sweeplabel import __version__


def run_cli(*args: str, env_extra: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "sweeplabel.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def test_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"sweeplabel {__version__}"


def test_synth_writes_a_sequence_that_info_reads(tmp_path):
    out = tmp_path / "seq"
    result = run_cli("synth", str(out), "--frames", "3", "--beams", "32", "--seed", "5")
    assert result.returncode == 0, result.stderr
    assert (out / "sequence.json").is_file()
    assert len(list((out / "points").glob("*.bin"))) == 3
    assert "3/3 frames" in result.stderr  # the progress line reached the end
    info = run_cli("info", str(out))
    assert info.returncode == 0, info.stderr
    assert "frames: 3" in info.stdout


def test_demo_headless_prints_frames_points_and_tracks(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_DATA_HOME": str(tmp_path / "data")}
    result = run_cli("demo", "--headless", env_extra=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"^frames: 20$", out, re.M), out
    points = re.search(r"points per frame: min (\d+), mean (\d+), max (\d+)", out)
    assert points and 20_000 < int(points.group(1)) <= int(points.group(3)) < 400_000, out
    tracks = re.search(r"ground-truth tracks: (\d+)", out)
    assert tracks and int(tracks.group(1)) >= 5, out
    assert list((tmp_path / "cache").rglob("sequence.json")), "the demo sequence lives in the user cache"
    again = run_cli("demo", "--headless", env_extra=env)  # second run reuses the cache
    assert again.returncode == 0 and "Generating" not in again.stderr
    assert again.stdout == out


@pytest.mark.parametrize("args, fragment", [
    (("info", "/nonexistent/place"), "/nonexistent/place: no such file or folder"),
    (("synth", "x", "--beams", "48"), "invalid choice"),
])
def test_errors_are_one_clear_line(args, fragment):
    result = run_cli(*args)
    assert result.returncode != 0
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
