"""Propagation in the editor takes a sweep's points from the editor's frame cache (render frame)
instead of reading its file again: the sensor-frame points come back from the cached copy."""

from __future__ import annotations

import numpy as np
import pytest

from sweeplabel.app.assist_ops import sensor_points
from sweeplabel.io import read_sequence
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.viewer import load_frame_data


def _roundtrip_error_m(sequence, frame_index: int) -> float:
    frame = sequence[frame_index]
    data = load_frame_data(sequence, frame_index)
    raw = frame.load_points()[:, :3]
    back = sensor_points(data, frame, sequence.render_origin_m)
    assert back.shape == raw.shape and back.dtype == np.float32
    return float(np.abs(back - raw).max())


def test_cached_render_points_give_back_the_sensor_points_of_a_posed_sweep(tmp_path) -> None:
    seq = read_sequence(generate_sequence(tmp_path / "seq", frames=2, beams=32, seed=0)).sequence
    assert not np.allclose(seq[1].T_world_sensor, np.eye(4))  # the ego moved: a real transform
    assert _roundtrip_error_m(seq, 1) < 1e-4


def test_cached_render_points_of_argoverse_2(shared_data) -> None:
    root = shared_data / "av2_sensor_sample"
    if not root.is_dir():
        pytest.skip(f"no Argoverse 2 sample at {root}")
    seq = read_sequence(root).sequence
    assert _roundtrip_error_m(seq, 1) < 1e-4  # float32 render coordinates about the render origin
