"""Opening a project on a sequence folder: created once, reopened with every edit."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest

from sweeplabel.io import ProjectStoreError, open_project
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Box, commands as cmd


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    return generate_sequence(tmp_path_factory.mktemp("seq") / "street", frames=4, beams=32, seed=3)


def test_open_creates_project_beside_the_data_and_imports_ground_truth(synth_dir, tmp_path):
    project_file = tmp_path / "street.sweeplabel"
    opened = open_project(synth_dir, project_file)
    try:
        assert opened.created and project_file.is_file()
        p = opened.project
        assert len(p.sequence) == 4
        assert len(p.tracks) >= 3 and p.annotations
        n_before = len(p.annotations)
        p.execute(cmd.create_track(p, "vehicle.car", 2, Box([5, 5, 1], [4.4, 1.9, 1.6], 0.3)))
        token = p.annotations_in_frame(2)[-1].token
        p.execute(cmd.set_box(p, token, p.annotation(token).box.rotated(0.5)))
    finally:
        opened.close()
    again = open_project(synth_dir, project_file)
    try:
        assert not again.created
        assert len(again.project.annotations) == n_before + 1
        assert again.project.annotation(token).box.yaw_rad == pytest.approx(0.8)
        pts = again.project.sequence[0].load_points()
        assert pts.dtype == np.float32 and pts.shape[1] >= 3
    finally:
        again.close()
    # opening the project file itself gives the same labels
    direct = open_project(project_file)
    try:
        assert len(direct.project.annotations) == n_before + 1
    finally:
        direct.close()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder_puts_project_in_user_data(synth_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    mode = synth_dir.stat().st_mode
    synth_dir.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        opened = open_project(synth_dir)
        opened.close()
        assert str(opened.store.path).startswith(str(tmp_path / "data"))
    finally:
        synth_dir.chmod(mode)


def test_project_whose_sequence_vanished_says_so(tmp_path):
    seq = generate_sequence(tmp_path / "gone", frames=2, beams=32, seed=1)
    project_file = tmp_path / "gone.sweeplabel"
    open_project(seq, project_file).close()
    (seq / "sequence.json").rename(tmp_path / "moved.json")
    with pytest.raises(Exception) as err:
        open_project(project_file)
    assert "gone" in str(err.value)
