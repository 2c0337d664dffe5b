"""Reopen where you left: frame, camera, tool, new-box class and display settings come
back from the project file."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweeplabel.app import MainWindow
from sweeplabel.io import open_project
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.viewer import ColorMode

pytestmark = pytest.mark.gui


def open_window(qtbot, root, project_path):
    opened = open_project(root, project_path, import_labels=False)
    window = MainWindow(opened.project, opened.store, owned=opened)
    qtbot.addWidget(window)
    window.resize(1000, 700)
    return window


def test_reopening_restores_frame_camera_tool_class_and_display(qtbot, tmp_path) -> None:
    root = generate_sequence(tmp_path / "seq", frames=4, beams=32, seed=5)
    project_path = tmp_path / "job.sweeplabel"
    window = open_window(qtbot, root, project_path)
    window.go_to_frame(2, wait=True)
    camera = window.scene.renderer.camera
    camera.orbit(0.7, -0.2)
    camera.zoom(0.5)
    camera.target = camera.target + [3.0, -2.0, 0.5]
    expected_camera = (camera.target + window.scene.render_origin_m, camera.distance_m, camera.azimuth_rad,
                       camera.elevation_rad)
    window.actions_by_id["tool_place"].trigger()
    window.class_keys.choose("vehicle.truck")
    opts = window.display_bar.options.evolve(hide_ground=True, point_size_px=4.0, color_mode=ColorMode.INTENSITY,
                                             range_limit_m=40.0)
    window.display_bar.set_options(opts)
    window.close()

    again = open_window(qtbot, root, project_path)
    assert again.scene.frame_index == 2
    assert again.status_label.text().startswith("frame 3/4")
    cam = again.scene.renderer.camera
    np.testing.assert_allclose(cam.target + again.scene.render_origin_m, expected_camera[0], atol=1e-6)
    assert math.isclose(cam.distance_m, expected_camera[1]) and math.isclose(cam.azimuth_rad, expected_camera[2])
    assert math.isclose(cam.elevation_rad, expected_camera[3])
    assert again.editor.tool == "place" and again.actions_by_id["tool_place"].isChecked()
    assert again.editor.category == "vehicle.truck"
    assert again.display_bar.category.currentData() == "vehicle.truck"
    assert again.display_bar.options == opts and again.scene.options == opts
    assert again.display_bar.hide_ground.isChecked()
    again.close()


def test_a_damaged_saved_state_is_ignored(qtbot, tmp_path) -> None:
    root = generate_sequence(tmp_path / "seq", frames=2, beams=32, seed=6)
    project_path = tmp_path / "job.sweeplabel"
    window = open_window(qtbot, root, project_path)
    window.store.set_meta("session_state", "{not json")
    window._closed = True  # close without saving over the damaged entry
    window.loader.shutdown()
    window.view.release()
    window.owned.close()
    again = open_window(qtbot, root, project_path)
    assert again.scene.frame_index == 0 and again.editor.tool == "select"
    again.close()
