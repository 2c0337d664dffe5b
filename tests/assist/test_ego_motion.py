"""Ego motion of a sequence without poses, from the shift of the static scene between sweeps."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sweeplabel.assist.ego_motion import ego_offsets_m, has_poses
from sweeplabel.io import read_sequence
from sweeplabel.io.synthetic import generate_sequence


def test_the_ego_drive_is_found_again_once_the_poses_are_gone(tmp_path):
    seq = read_sequence(generate_sequence(tmp_path / "s", frames=3, beams=32, seed=3)).sequence
    truth = [f.T_world_sensor[:3, 3] - seq[0].T_world_sensor[:3, 3] for f in seq.frames]
    assert has_poses(seq, [0, 1, 2]) and float(np.hypot(*truth[2][:2])) > 1.0  # the ego drives
    bare = replace(seq, frames=[replace(f, T_world_sensor=np.eye(4)) for f in seq.frames])  # poses stripped
    assert not has_poses(bare, [0, 1, 2])
    offsets = ego_offsets_m(bare, [0, 1, 2])
    R = seq[0].T_world_sensor[:3, :3]  # the offsets are in frame 0's sensor axes
    for i in (1, 2):
        assert np.linalg.norm((R.T @ truth[i])[:2] - offsets[i][:2]) < 0.3
    assert ego_offsets_m(bare, [0, 1, 2], min_step_m=50.0) is None  # steps the tracker follows alone
