"""Per-object editing on a real recording (KITTI tracking 0000), as a user drives it:
Ctrl+Right propagates and moves on, T mends the frames between keyframes after a re-fit,
Place uses the chosen class's size, re-classing a default-sized box resizes it (undo
restores it). One window per test, few renders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from sweeplabel.app import MainWindow
from sweeplabel.app.edit_ops import NUDGES
from sweeplabel.io import open_project, read_sequence
from sweeplabel.model import Box, Source, commands

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "kitti_tracking_0000" / "training"


@pytest.fixture(scope="module")
def truth() -> dict[int, dict[int, Box]]:
    """KITTI track number -> frame -> true box."""
    if not ROOT.is_dir():
        pytest.skip(f"shared test data not found at {ROOT}")
    loaded = read_sequence(ROOT)
    number = {t.token: t.number for t in loaded.tracks}
    out: dict[int, dict[int, Box]] = {}
    for a in loaded.annotations:
        out.setdefault(number[a.track_token], {})[a.frame_index] = a.box
    return out


@pytest.fixture
def window(qtbot, truth, tmp_path: Path) -> MainWindow:
    opened = open_project(ROOT, tmp_path / "work.sweeplabel", import_labels=False)
    win = MainWindow(opened.project, opened.store, owned=opened)
    qtbot.addWidget(win)
    win.resize(900, 640)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    win.view.setFocus()
    win.loader.wait_idle()
    return win


def van_track(win: MainWindow, box: Box) -> str:
    """The van's track with its true box in frame 0 (a manual keyframe), selected."""
    project = win.project
    cmd = commands.create_track(project, "vehicle.van", 0, box)
    project.execute(cmd)
    token = cmd.changes[1].after.token  # type: ignore[union-attr]
    win.editor.select(token)
    return project.annotation(token).track_token


def wait_frame(qtbot, win: MainWindow, frame_index: int) -> None:
    qtbot.waitUntil(lambda: win.frame_index == frame_index, timeout=20_000)


def test_ctrl_right_propagates_and_lands_on_the_next_frame(qtbot, window: MainWindow, truth) -> None:
    track = van_track(window, truth[0][0])
    for frame in (1, 2):
        qtbot.keyClick(window.view, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
        wait_frame(qtbot, window, frame)
        ann = window.project.annotation_at(track, frame)
        assert ann is not None and ann.source == Source.PROPAGATED
        assert window.editor.selected == ann.token  # the walk goes on from here
        assert np.linalg.norm(ann.box.center_m[:2] - truth[0][frame].center_m[:2]) < 0.3


def test_toolbar_propagate_uses_n_and_t_mends_after_a_refit(qtbot, window: MainWindow, truth) -> None:
    project = window.project
    track = van_track(window, truth[0][0])
    window.assist.frames_spin.setValue(7)
    window.actions_by_id["propagate_5"].trigger()  # the toolbar's Propagate button
    assert [a.frame_index for a in project.annotations_of_track(track)] == list(range(8)), \
        window.statusBar().currentMessage()
    window.go_to_frame(7, wait=True)
    for _ in range(6):  # drag the last box 0.3 m off the van, then re-fit it (Shift+R)
        window.editor.nudge(next(n for n in NUDGES if n.id == "move_left"))
    qtbot.keyClick(window.view, Qt.Key.Key_R, Qt.KeyboardModifier.ShiftModifier)
    assert project.annotation_at(track, 7).source == Source.MANUAL  # an edited frame is a keyframe
    before = {f: project.annotation_at(track, f) for f in range(1, 7)}
    steps = len(project.undo)
    qtbot.keyClick(window.view, Qt.Key.Key_T)
    assert len(project.undo) == steps + 1
    assert "6 frames changed" in window.statusBar().currentMessage()
    for f in range(1, 7):
        ann = project.annotation_at(track, f)
        assert ann.source == Source.INTERPOLATED and ann.box != before[f].box
    window.actions_by_id["undo"].trigger()
    assert all(project.annotation_at(track, f) == before[f] for f in range(1, 7))


def test_place_uses_the_class_and_reclassing_resizes_a_default_box(qtbot, window: MainWindow, truth) -> None:
    project, schema = window.project, window.project.schema
    cyclist = truth[1][0]  # KITTI track 1: the cyclist in front of the car
    window.display_bar.category.setCurrentIndex(schema.category_names.index("vehicle.cyclist"))
    window.set_tool("place")
    window.editor.place_default(window.scene.to_render(cyclist).bottom_center_m, cyclist.yaw_rad)
    placed = project.annotations_in_frame(0)
    assert len(placed) == 1 and project.track(placed[0].track_token).category == "vehicle.cyclist"
    assert placed[0].box.size_lwh_m == pytest.approx(schema.category("vehicle.cyclist").default_size_lwh_m)
    # a car box placed on it by mistake, re-classed to Cyclist in the properties panel
    window.editor.delete()
    window.display_bar.category.setCurrentIndex(schema.category_names.index("vehicle.car"))
    window.editor.place_default(window.scene.to_render(cyclist).bottom_center_m, cyclist.yaw_rad)
    ann = project.annotations_in_frame(0)[0]
    car_box = ann.box
    assert car_box.size_lwh_m == pytest.approx([3.88, 1.63, 1.53])  # a KITTI project: KITTI's car (not 4.6 m)
    steps = len(project.undo)
    window.properties.category.setCurrentIndex(schema.category_names.index("vehicle.cyclist"))
    ann = project.annotation(ann.token)
    assert project.track(ann.track_token).category == "vehicle.cyclist"
    assert ann.box.size_lwh_m == pytest.approx(schema.category("vehicle.cyclist").default_size_lwh_m)
    assert ann.box.bottom_center_m == pytest.approx(car_box.bottom_center_m)
    assert "Cyclist size" in window.statusBar().currentMessage()
    assert len(project.undo) == steps + 1
    window.actions_by_id["undo"].trigger()
    assert project.annotation(ann.token).box == car_box
    assert project.track(ann.track_token).category == "vehicle.car"
