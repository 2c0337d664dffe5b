"""Track list multi-select: Shift/Ctrl-click rows, then delete, set class, accept or
reject them all, each one undo step; select the auto tracks below a score; accept all shown."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from sweeplabel.app import MainWindow
from sweeplabel.model import Box, Command, Project, ReviewState, Source, commands
from sweeplabel.model.undo import Change

from .conftest import CAR_SIZE_LWH_M, car_center_m

pytestmark = pytest.mark.gui


def add_track(project: Project, category: str, dx_m: float, source: Source = Source.MANUAL,
              score: float | None = None) -> str:
    cmd = commands.create_track(project, category, 0, Box(car_center_m(0) + [dx_m, 8.0, 0.0], CAR_SIZE_LWH_M, 0.0),
                                source=source)
    project.execute(cmd)
    token = cmd.changes[0].after.token
    if score is not None:  # the tracker's confidence, as pre-annotation stores it
        track = project.track(token)
        project.execute(Command("Score", [Change(track, track.evolve(score=score))]))
    return token


@pytest.fixture
def window(qtbot, scene_project: Project) -> MainWindow:
    add_track(scene_project, "vehicle.truck", 0.0)
    add_track(scene_project, "vehicle.car", 6.0, Source.AUTO, score=0.2)
    add_track(scene_project, "vehicle.car", 12.0, Source.AUTO, score=0.8)
    win = MainWindow(scene_project)
    qtbot.addWidget(win)
    win.resize(1400, 800)
    win.show()
    qtbot.waitExposed(win)
    win.loader.wait_idle()
    win.track_list.refresh()
    return win


def click_row(qtbot, window: MainWindow, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    table = window.track_list.table
    rect = table.visualItemRect(table.item(row, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def test_shift_and_ctrl_click_select_rows_and_bulk_delete_is_one_undo_step(qtbot, window: MainWindow,
                                                                           scene_project: Project) -> None:
    rows = window.track_list.row_tokens
    assert len(rows) == 4
    click_row(qtbot, window, 0)
    click_row(qtbot, window, 2, Qt.KeyboardModifier.ShiftModifier)
    assert window.track_list.selected_tokens() == rows[:3]
    click_row(qtbot, window, 1, Qt.KeyboardModifier.ControlModifier)  # Ctrl-click: out again
    assert window.track_list.selected_tokens() == [rows[0], rows[2]]
    assert "2 tracks selected" in window.track_bulk.count.text()
    n_boxes, steps = len(scene_project.annotations), len(scene_project.undo)
    window.track_bulk.delete_button.click()
    assert set(scene_project.tracks) == {rows[1], rows[3]}
    assert len(scene_project.undo) == steps + 1
    window.actions_by_id["undo"].trigger()
    assert set(scene_project.tracks) == set(rows) and len(scene_project.annotations) == n_boxes


def test_bulk_class_accept_reject(qtbot, window: MainWindow, scene_project: Project) -> None:
    rows = window.track_list.row_tokens
    window.track_list.select_tokens(rows[1:3])
    steps = len(scene_project.undo)
    bar = window.track_bulk
    bar.set_category("vehicle.bus.rigid")
    assert [scene_project.track(t).category for t in rows[1:3]] == ["vehicle.bus.rigid"] * 2
    window.track_list.select_tokens(rows[1:3])
    bar.accept_button.click()
    for t in rows[1:3]:
        assert scene_project.track(t).review_state == ReviewState.ACCEPTED
        assert all(a.review_state == ReviewState.ACCEPTED for a in scene_project.annotations_of_track(t))
    window.track_list.select_tokens([rows[2]])
    bar.reject_button.click()
    assert scene_project.track(rows[2]).review_state == ReviewState.REJECTED
    assert len(scene_project.undo) == steps + 3
    window.actions_by_id["undo"].trigger()
    assert scene_project.track(rows[2]).review_state == ReviewState.ACCEPTED


def test_select_auto_below_a_score_and_accept_all_shown(qtbot, window: MainWindow, scene_project: Project) -> None:
    rows = window.track_list.row_tokens
    low = [t for t in rows if scene_project.track(t).score == 0.2]
    window.track_bulk.max_score.setValue(0.5)
    assert window.track_bulk.select_auto_below() == low
    assert window.track_list.selected_tokens() == low
    window.track_list.filter.setCurrentIndex(window.track_list.filter.findData("vehicle.car"))
    shown = window.track_list.row_tokens
    assert len(shown) == 3
    window.track_bulk.accept_shown.click()
    assert all(scene_project.track(t).review_state == ReviewState.ACCEPTED for t in shown)
    truck = next(t for t in rows if t not in shown)
    assert scene_project.track(truck).review_state == ReviewState.UNREVIEWED
