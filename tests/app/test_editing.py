"""Editing in the main window as a user does it: click to select, keys to nudge,
panels to type values; every edit is one undo step and undo restores the model.
Few renders: the window is shown once per test at a small size."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from .conftest import CAR_SIZE_LWH_M, car_center_m
from sweeplabel.app import MainWindow
from sweeplabel.app.edit_ops import MOVE_STEP_M, ROTATE_STEP_RAD
from sweeplabel.model import Box, Project, Source, commands
from sweeplabel.viewer import project_points_px

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, scene_project: Project) -> MainWindow:
    win = MainWindow(scene_project)
    qtbot.addWidget(win)
    win.resize(900, 640)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    win.view.setFocus()
    qtbot.waitUntil(win.isActiveWindow, timeout=5_000)
    win.loader.wait_idle()
    return win


def click(widget, x: float, y: float) -> None:
    pos = QPointF(x, y)
    for kind, buttons in ((QEvent.Type.MouseButtonPress, Qt.MouseButton.LeftButton),
                          (QEvent.Type.MouseButtonRelease, Qt.MouseButton.NoButton)):
        event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), Qt.MouseButton.LeftButton, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)


def drag(widget, start: tuple[float, float], end: tuple[float, float]) -> None:
    a, b = QPointF(*start), QPointF(*end)
    for kind, pos, buttons in ((QEvent.Type.MouseButtonPress, a, Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseMove, (a + b) / 2, Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseMove, b, Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseButtonRelease, b, Qt.MouseButton.NoButton)):
        event = QMouseEvent(kind, pos, widget.mapToGlobal(pos), Qt.MouseButton.LeftButton, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, event)


def pixel_of(win: MainWindow, world_m: np.ndarray) -> tuple[float, float]:
    render_m = np.asarray(world_m) - win.scene.render_origin_m
    x, y = project_points_px(render_m[None], win.view.view_proj(), win.view.size_px())[0]
    return float(x), float(y)


def only_box(project: Project, frame_index: int = 0) -> Box:
    return project.annotations_in_frame(frame_index)[0].box


def test_click_selects_the_box_and_highlights_its_points(window: MainWindow, scene_project: Project) -> None:
    window.birds_eye_view()
    click(window.view, *pixel_of(window, car_center_m(0)))
    token = scene_project.annotations_in_frame(0)[0].token
    assert window.editor.selected == token
    assert window.scene.n_in_selected > 100
    assert f"· {window.scene.n_in_selected} in box" in window.status_label.text()
    assert window.properties.token == token
    assert window.track_list.table.selectedItems()[0].text() == "0"
    click(window.view, 5, 5)  # empty sky: deselect
    assert window.editor.selected is None and "in box" not in window.status_label.text()


def test_held_key_is_one_undo_step_and_each_press_another(qtbot, window: MainWindow, scene_project: Project) -> None:
    token = scene_project.annotations_in_frame(0)[0].token
    window.editor.select(token)
    start, steps = only_box(scene_project), len(scene_project.undo)
    for _ in range(3):  # a held key: presses (auto-repeat), one release
        qtbot.keyPress(window.view, Qt.Key.Key_I)
    qtbot.keyRelease(window.view, Qt.Key.Key_I)
    assert len(scene_project.undo) == steps + 1
    np.testing.assert_allclose(only_box(scene_project).center_m - start.center_m, [3 * MOVE_STEP_M[0], 0, 0], atol=1e-9)
    qtbot.keyClick(window.view, Qt.Key.Key_Q)  # rotate left, fine
    qtbot.keyClick(window.view, Qt.Key.Key_E, Qt.KeyboardModifier.ShiftModifier)  # rotate right, coarse
    assert len(scene_project.undo) == steps + 3
    assert math.isclose(only_box(scene_project).yaw_rad, ROTATE_STEP_RAD[0] - ROTATE_STEP_RAD[1], abs_tol=1e-9)
    for _ in range(3):
        window.actions_by_id["undo"].trigger()
    assert only_box(scene_project) == start


def test_every_box_verb_changes_the_model_and_undo_restores_it(qtbot, window: MainWindow,
                                                              scene_project: Project) -> None:
    ann = scene_project.annotations_in_frame(0)[0]
    window.editor.select(ann.token)
    start = ann.box
    checks = {
        Qt.Key.Key_H: lambda b: math.isclose(abs(b.yaw_rad), math.pi, abs_tol=1e-9),  # flip heading
        Qt.Key.Key_U: lambda b: b.center_m[2] > start.center_m[2],  # move up
    }
    for key, check in checks.items():
        qtbot.keyClick(window.view, key)
        assert check(only_box(scene_project)), key
        window.actions_by_id["undo"].trigger()
        assert only_box(scene_project) == start
    # resize taller (Ctrl+U): the bottom stays put
    qtbot.keyClick(window.view, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    taller = only_box(scene_project)
    assert taller.size_lwh_m[2] > start.size_lwh_m[2]
    assert math.isclose(taller.bottom_center_m[2], start.bottom_center_m[2], abs_tol=1e-9)
    window.actions_by_id["undo"].trigger()
    # snap to ground: lift the box, snap, the bottom returns to the local ground
    scene_project.execute(commands.set_box(
        scene_project, ann.token, start.translated([0, 0, 0.7])))
    qtbot.keyClick(window.view, Qt.Key.Key_G, Qt.KeyboardModifier.ShiftModifier)
    assert abs(only_box(scene_project).bottom_center_m[2] - start.bottom_center_m[2]) < 0.2
    # re-fit: a shifted box comes back onto its points
    scene_project.execute(commands.set_box(
        scene_project, ann.token, start.translated([0.3, -0.25, 0])))
    qtbot.keyClick(window.view, Qt.Key.Key_R, Qt.KeyboardModifier.ShiftModifier)
    assert np.linalg.norm(only_box(scene_project).center_m[:2] - start.center_m[:2]) < 0.15
    # delete, then undo brings it back
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert scene_project.annotations_in_frame(0) == [] and window.editor.selected is None
    window.actions_by_id["undo"].trigger()
    assert len(scene_project.annotations_in_frame(0)) == 1


def test_copy_paste_and_propagate(qtbot, window: MainWindow, scene_project: Project) -> None:
    ann = scene_project.annotations_in_frame(0)[0]
    window.editor.select(ann.token)
    qtbot.keyClick(window.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    window.go_to_frame(2, wait=True)
    assert window.frame_index == 2 and scene_project.annotations_in_frame(2) == []
    qtbot.keyClick(window.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    pasted = scene_project.annotations_in_frame(2)
    assert len(pasted) == 1 and pasted[0].track_token == ann.track_token and pasted[0].box == ann.box
    assert window.editor.selected == pasted[0].token
    window.actions_by_id["undo"].trigger()
    assert scene_project.annotations_in_frame(2) == []
    # propagate frame 1's box (track selected when the frame changes) to frame 2
    window.go_to_frame(1, wait=True)
    assert window.editor.selected == scene_project.annotation_at(ann.track_token, 1).token
    qtbot.keyClick(window.view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)  # copy to next frame (plain)
    propagated = scene_project.annotation_at(ann.track_token, 2)
    assert propagated is not None and propagated.source == Source.PROPAGATED
    assert propagated.box == scene_project.annotation_at(ann.track_token, 1).box
    window.actions_by_id["undo"].trigger()
    assert scene_project.annotation_at(ann.track_token, 2) is None


def test_properties_panel_edits_are_undoable_and_bad_values_refused(qtbot, window: MainWindow,
                                                                   scene_project: Project) -> None:
    ann = scene_project.annotations_in_frame(0)[0]
    window.editor.select(ann.token)
    panel = window.properties
    assert panel.spins["l"].value() == pytest.approx(CAR_SIZE_LWH_M[0])
    panel.spins["yaw"].setValue(30.0)
    assert math.isclose(only_box(scene_project).yaw_rad, math.radians(30.0), abs_tol=1e-9)
    panel.spins["l"].lineEdit().selectAll()
    qtbot.keyClicks(panel.spins["l"].lineEdit(), "5.25")
    qtbot.keyClick(panel.spins["l"].lineEdit(), Qt.Key.Key_Return)
    assert only_box(scene_project).size_lwh_m[0] == pytest.approx(5.25)
    panel.spins["w"].lineEdit().selectAll()
    qtbot.keyClicks(panel.spins["w"].lineEdit(), "-")
    assert "must be positive" in panel.message.text()
    panel.spins["h"].lineEdit().selectAll()
    qtbot.keyClicks(panel.spins["h"].lineEdit(), "abc")
    assert "not a number" in panel.message.text()
    assert only_box(scene_project).size_lwh_m[1:] == pytest.approx(CAR_SIZE_LWH_M[1:])
    # class and attribute combos
    panel.category.setCurrentIndex(scene_project.schema.category_names.index("vehicle.truck"))
    assert scene_project.track(ann.track_token).category == "vehicle.truck"
    motion = panel.attr_combos["motion"]
    motion.setCurrentIndex(motion.findData("vehicle.parked"))
    assert scene_project.annotation(ann.token).attributes["motion"] == "vehicle.parked"
    for _ in range(4):
        window.actions_by_id["undo"].trigger()
    assert scene_project.track(ann.track_token).category == "vehicle.car"
    assert scene_project.annotation(ann.token).box == ann.box


def test_track_list_filters_and_jumps(qtbot, window: MainWindow, scene_project: Project) -> None:
    scene_project.execute(commands.create_track(scene_project, "human.pedestrian.adult", 2,
                                                Box(car_center_m(2) + [0, 6, 0], [0.7, 0.7, 1.75])))
    qtbot.waitUntil(lambda: window.track_list.table.rowCount() == 2)
    panel = window.track_list
    assert panel.table.item(0, 2).text() == "1-2 (2)" and panel.table.item(1, 2).text() == "3-3 (1)"
    panel.filter.setCurrentIndex(panel.filter.findData("human.pedestrian.adult"))
    assert panel.table.rowCount() == 1
    panel.table.cellClicked.emit(0, 0)  # a click on the row
    assert window.frame_index == 2
    assert scene_project.annotation(window.editor.selected).track_token == panel.row_tokens[0]


def test_timeline_marks_and_playback(qtbot, window: MainWindow) -> None:
    assert window.timeline.strip.annotated == {0, 1}
    window.timeline.rate.setValue(30.0)
    qtbot.keyClick(window.view, Qt.Key.Key_Space)
    assert window.timeline.playing
    qtbot.waitUntil(lambda: window.frame_index == 2, timeout=10_000)
    qtbot.waitUntil(lambda: not window.timeline.playing, timeout=5_000)  # stops at the end


def test_tools_create_boxes(qtbot, window: MainWindow, scene_project: Project) -> None:
    """One-click on the car (after deleting its box), rectangle fit, place default."""
    gt = only_box(scene_project)
    scene_project.execute(commands.delete_track(scene_project, scene_project.annotations_in_frame(0)[0].track_token))
    window.birds_eye_view()
    qtbot.keyClick(window.view, Qt.Key.Key_2)
    assert window.editor.tool == "one_click" and "One-click box" in window.status_label.text()
    roof = car_center_m(0) + [0.0, 0.0, CAR_SIZE_LWH_M[2] / 2 - 0.05]
    click(window.view, *pixel_of(window, roof))
    created = scene_project.annotations_in_frame(0)
    assert len(created) == 1 and window.editor.selected == created[0].token
    assert np.linalg.norm(created[0].box.center_m[:2] - gt.center_m[:2]) < 0.3
    assert scene_project.track(created[0].track_token).category == scene_project.schema.default_category
    window.actions_by_id["undo"].trigger()

    qtbot.keyClick(window.view, Qt.Key.Key_3)  # rectangle: switches to bird's-eye
    assert window.view.rect_mode and window.scene.renderer.camera.elevation_rad == pytest.approx(math.pi / 2)
    corners = gt.corners()
    pixels = np.array([pixel_of(window, c) for c in corners])
    (x0, y0), (x1, y1) = pixels.min(0) - 6, pixels.max(0) + 6
    drag(window.view, (x0, y0), (x1, y1))
    fitted = scene_project.annotations_in_frame(0)
    assert len(fitted) == 1
    assert np.linalg.norm(fitted[0].box.center_m[:2] - gt.center_m[:2]) < 0.3
    window.actions_by_id["undo"].trigger()

    window.display_bar.category.setCurrentIndex(scene_project.schema.category_names.index("vehicle.truck"))
    qtbot.keyClick(window.view, Qt.Key.Key_4)
    ground = car_center_m(0) + [0.0, -8.0, -CAR_SIZE_LWH_M[2] / 2]
    click(window.view, *pixel_of(window, ground))
    placed = scene_project.annotations_in_frame(0)
    assert len(placed) == 1 and scene_project.track(placed[0].track_token).category == "vehicle.truck"
    assert placed[0].box.size_lwh_m == pytest.approx(scene_project.schema.category("vehicle.truck").default_size_lwh_m)
    assert abs(placed[0].box.bottom_center_m[2] - ground[2]) < 0.35


def test_display_options_and_shortcuts_dialog(qtbot, window: MainWindow) -> None:
    n_all = window.scene.n_points
    qtbot.keyClick(window.view, Qt.Key.Key_G)  # hide ground
    assert window.display_bar.hide_ground.isChecked() and window.scene.n_points < n_all / 2
    window.display_bar.range_limit.setValue(10.0)
    assert window.scene.options.range_limit_m == 10.0
    qtbot.keyClick(window.view, Qt.Key.Key_M)
    assert window.scene.options.color_mode.value == "intensity"
    qtbot.keyClick(window.view, Qt.Key.Key_BracketRight)
    assert window.scene.renderer.point_size_px == 2.5
    dialog = window.show_shortcuts()
    texts = {dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text() for r in range(dialog.table.rowCount())}
    assert texts["Undo"] == "Ctrl+Z" and texts["Move forward"] == "I" and texts["Flip heading"] == "H"
    assert dialog.table.rowCount() == len(window.actions_by_id)
    dialog.close()


def test_subview_edge_drag_is_one_step(qtbot, window: MainWindow, scene_project: Project) -> None:
    ann = scene_project.annotations_in_frame(0)[0]
    window.editor.select(ann.token)
    top = window.subviews.views["top"]
    top.resize(240, 240)
    assert top.box is not None and top.inside.sum() > 50
    half_l = ann.box.size_lwh_m[0] / 2
    (x,), (y,) = top.to_screen(np.array([0.0]), np.array([half_l]))  # the front edge
    assert top.hit(QPointF(x, y))[0] == "edge"
    steps = len(scene_project.undo)
    s = top.scale_px_per_m()
    drag(top, (x, y), (x, y - 0.5 * s))  # half a metre of cursor travel forward: fine steps (1 cm/px)
    box = only_box(scene_project)
    assert len(scene_project.undo) == steps + 1
    grown_m = 0.5 * s * top.edge_m_per_px(coarse=False)
    assert box.size_lwh_m[0] == pytest.approx(ann.box.size_lwh_m[0] + grown_m, abs=1e-6)
    assert box.corners()[:, 0].min() == pytest.approx(ann.box.corners()[:, 0].min(), abs=1e-6)  # back stays


def test_ctrl_drag_moves_the_selected_box_in_one_step(qtbot, window: MainWindow, scene_project: Project) -> None:
    ann = scene_project.annotations_in_frame(0)[0]
    window.editor.select(ann.token)
    window.birds_eye_view()
    start = pixel_of(window, ann.box.center_m)
    target_world = ann.box.center_m + [0.0, 1.0, 0.0]
    end = pixel_of(window, target_world)
    steps = len(scene_project.undo)
    a, b = QPointF(*start), QPointF(*end)
    ctrl = Qt.KeyboardModifier.ControlModifier
    for kind, pos, buttons in ((QEvent.Type.MouseButtonPress, a, Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseMove, (a + b) / 2, Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseMove, b, Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseButtonRelease, b, Qt.MouseButton.NoButton)):
        QApplication.sendEvent(window.view, QMouseEvent(kind, pos, window.view.mapToGlobal(pos),
                                                        Qt.MouseButton.LeftButton, buttons, ctrl))
    moved = only_box(scene_project)
    assert len(scene_project.undo) == steps + 1
    np.testing.assert_allclose(moved.center_m[:2], target_world[:2], atol=0.05)
    assert moved.center_m[2] == ann.box.center_m[2]


def test_subview_move_and_rotate_handle(qtbot, window: MainWindow, scene_project: Project) -> None:
    ann = scene_project.annotations_in_frame(0)[0]
    window.editor.select(ann.token)
    side, top = window.subviews.views["side"], window.subviews.views["top"]
    side.resize(240, 240)
    top.resize(240, 240)
    (cx,), (cy,) = side.to_screen(np.array([0.0]), np.array([0.0]))
    assert side.hit(QPointF(cx, cy))[0] == "move"
    drag(side, (cx, cy), (cx, cy - 0.3 * side.scale_px_per_m()))  # up by 0.3 m
    assert only_box(scene_project).center_m[2] == pytest.approx(ann.box.center_m[2] + 0.3, abs=1e-6)
    moved = only_box(scene_project)
    handle_v = moved.size_lwh_m[0] / 2 + 0.6
    (hx,), (hy,) = top.to_screen(np.array([0.0]), np.array([handle_v]))
    assert top.hit(QPointF(hx, hy))[0] == "rotate"
    # drag the handle a quarter turn to the box's left (screen left in the top view)
    (lx,), (ly,) = top.to_screen(np.array([handle_v]), np.array([0.0]))
    drag(top, (hx, hy), (lx, ly))
    assert only_box(scene_project).yaw_rad == pytest.approx(moved.yaw_rad + math.pi / 2, abs=1e-6)
    window.actions_by_id["undo"].trigger()
    window.actions_by_id["undo"].trigger()
    assert only_box(scene_project) == ann.box


def test_timeline_strip_click_goes_to_the_frame(qtbot, window: MainWindow) -> None:
    strip = window.timeline.strip
    click(strip, strip.width() * (2.5 / 3), strip.height() / 2)
    qtbot.waitUntil(lambda: window.frame_index == 2, timeout=10_000)
    assert window.timeline.label.text() == "3/3" and window.timeline.slider.value() == 2


def test_a_nudge_key_is_timed_until_its_image_is_on_screen(qtbot, window: MainWindow,
                                                            scene_project: Project) -> None:
    """The view stamps each key press; the first image rendered after it records the
    latency (what bench_editor reports against the 200 ms target)."""
    window.editor.select(scene_project.annotations_in_frame(0)[0].token)
    qtbot.waitUntil(lambda: not window.view.render_pending and not window.view.inputs_pending, timeout=60_000)
    before = len(window.view.input_latencies_s)
    count = window.view.render_count
    qtbot.keyClick(window.view, Qt.Key.Key_I)
    assert window.view.inputs_pending  # pressed, not shown yet
    qtbot.waitUntil(lambda: not window.view.inputs_pending, timeout=60_000)
    assert window.view.render_count > count
    new = list(window.view.input_latencies_s)[before:]
    assert new and all(0.0 < v < 60.0 for v in new)
