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


@pytest.mark.gui
def test_selecting_a_box_loads_the_frames_propagation_will_need(qtbot, tmp_path) -> None:
    """With a box selected the next N frames (the propagate field) load on the worker, so
    Propagate finds their points cached instead of reading files on the UI thread."""
    from sweeplabel.app import MainWindow
    from sweeplabel.io import open_project

    opened = open_project(generate_sequence(tmp_path / "seq", frames=8, beams=32, seed=1),
                          project_path=tmp_path / "p.sweeplabel")
    window = MainWindow(opened.project, opened.store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.frame_index == 0, timeout=60_000)
    window.assist.frames_spin.setValue(5)
    window.loader.wait_idle()
    assert window.loader.cached(5) is None  # not prefetched before a box is chosen
    window.editor.select(opened.project.annotations_in_frame(0)[0].token)
    qtbot.waitUntil(lambda: all(window.loader.cached(i) is not None for i in range(1, 6)), timeout=60_000)
    report = window.assist.propagate(5)
    assert report is not None and report.steps
    window.close()
    opened.close()
