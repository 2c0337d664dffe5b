"""Bad input in the GUI: an unreadable file gives an error dialog naming the problem,
and the window stays usable."""

from __future__ import annotations

import pytest

from sweeplabel.app import MainWindow
from sweeplabel.model import Project

pytestmark = pytest.mark.gui


def test_unreadable_file_shows_an_error_and_the_app_stays_usable(qtbot, scene_project: Project, tmp_path) -> None:
    window = MainWindow(scene_project)
    qtbot.addWidget(window)
    bad = tmp_path / "broken.pcd"
    bad.write_bytes(b"\x00\x01 this is not a point cloud")
    assert window.open_path(bad) is None
    box = window.error_box
    assert box is not None and box.isVisible()
    assert "broken.pcd" in box.text()
    box.close()
    assert window.open_path(tmp_path / "missing-folder") is None
    assert "missing-folder" in window.error_box.text()
    window.error_box.close()
    # still usable: select and nudge
    token = scene_project.annotations_in_frame(0)[0].token
    window.editor.select(token)
    before = scene_project.annotation(token).box
    window.actions_by_id["move_up"].trigger()
    assert scene_project.annotation(token).box.center_m[2] > before.center_m[2]


def test_menus_list_the_actions(qtbot, scene_project: Project) -> None:
    window = MainWindow(scene_project)
    qtbot.addWidget(window)
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles == ["&File", "&Edit", "&View", "&Tools", "&Box", "&Help"]
    assert window.actions_by_id["open"].shortcut().toString() == "Ctrl+O"
