"""File menu as an annotator uses it: Open folder… / Open file… through Qt's own dialogs,
the recent list, drag and drop, a clear dialog for an unreadable choice; File > Export…
with the check first, a summary, remembered choices; Ctrl+S says it saved."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from sweeplabel.app import MainWindow
from sweeplabel.app.file_menu import read_recent
from sweeplabel.io import open_project
from sweeplabel.io.kitti import default_calib
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Box, commands

from .test_editing import click, pixel_of

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def own_config(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@pytest.fixture(scope="module")
def synth_root(tmp_path_factory) -> Path:
    return generate_sequence(tmp_path_factory.mktemp("synth") / "street", frames=3, beams=32, seed=2)


def empty_window(qtbot, root: Path, tmp_path: Path) -> MainWindow:
    opened = open_project(root, tmp_path / "start.sweeplabel", import_labels=False)
    window = MainWindow(opened.project, opened.store, owned=opened)
    qtbot.addWidget(window)
    window.resize(900, 640)
    return window


def choose_in_dialog(window: MainWindow, action_id: str, path: Path) -> None:
    """Trigger an Open action and pick ``path`` in its (non-native) file dialog."""
    window.actions_by_id[action_id].trigger()
    dialog = window.file_menu.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setDirectory(str(path.parent))
    dialog.selectFile(str(path))
    dialog.accept()


def opened_windows(window: MainWindow) -> list[MainWindow]:
    return list(getattr(window, "other_windows", []))


def close_all(qtbot, windows: list[MainWindow]) -> None:
    for w in windows:
        qtbot.addWidget(w)
        w.close()


def test_open_folder_from_the_menu_opens_a_window_and_remembers_it(qtbot, synth_root, tmp_path) -> None:
    window = empty_window(qtbot, synth_root, tmp_path)
    other = tmp_path / "other"
    generate_sequence(other, frames=2, beams=32, seed=3)
    choose_in_dialog(window, "open_folder", other)
    [new] = opened_windows(window)
    assert len(new.project.sequence) == 2 and new.store is not None
    assert read_recent()[0] == other.resolve()
    # the recent list opens it again
    window.file_menu.refresh_recent()
    recent_actions = window.file_menu.recent_menu.actions()
    assert recent_actions[0].data() == str(other.resolve())
    recent_actions[0].trigger()  # already open: its window comes to the front, no second writer
    assert opened_windows(window) == [new]
    assert window.file_menu.open(other) is new
    close_all(qtbot, opened_windows(window))


def test_unreadable_choice_gets_the_readers_message_and_nothing_changes(qtbot, synth_root, tmp_path) -> None:
    window = empty_window(qtbot, synth_root, tmp_path)
    bad = tmp_path / "broken.pcd"
    bad.write_bytes(b"VERSION .7\nFIELDS x y z\nSIZE 4 4\nDATA binary\n")
    title, n_frames = window.windowTitle(), len(window.project.sequence)
    choose_in_dialog(window, "open", bad)
    assert opened_windows(window) == []
    assert window.error_box is not None and window.error_box.isVisible()
    assert "broken.pcd" in window.error_box.text()
    assert window.windowTitle() == title and len(window.project.sequence) == n_frames
    assert read_recent() == []


def test_dropping_a_folder_on_the_window_opens_it(qtbot, synth_root, tmp_path) -> None:
    window = empty_window(qtbot, synth_root, tmp_path)
    other = tmp_path / "dropped"
    generate_sequence(other, frames=2, beams=32, seed=4)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    enter = QDragEnterEvent(QPoint(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    assert QApplication.sendEvent(window, enter) and enter.isAccepted()  # the window takes it
    drop = QDropEvent(QPointF(100, 100), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, drop)
    [new] = opened_windows(window)
    assert len(new.project.sequence) == 2
    close_all(qtbot, [new])


def export_kitti_via_menu(qtbot, window: MainWindow, out: Path):  # -> ExportDialog
    """File > Export…, KITTI, ``out``; export anyway when the check lists errors."""
    window.actions_by_id["export"].trigger()
    dialog = window.export_dialog
    dialog.format.setCurrentIndex(dialog.format.findData("kitti"))
    dialog.destination.setText(str(out))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.state in ("blocked", "done"), timeout=60_000)
    if dialog.state == "blocked":  # a lone box may trip a check: the list says why, export anyway
        assert dialog.findings.count() > 0
        dialog.anyway_button.click()
    qtbot.waitUntil(lambda: dialog.state == "done", timeout=60_000)
    return dialog


def assert_kitti_line(text: str, box_sensor: Box, calib) -> None:  # noqa: ANN001 - KittiCalib
    """One ``Car`` line whose size, location and rotation_y are those of ``box_sensor``."""
    [line] = [l for l in text.splitlines() if l.strip()]
    fields = line.split()
    assert fields[0] == "Car" and len(fields) == 15, line
    hwl, cam, ry = expected_kitti_fields(box_sensor, calib)
    np.testing.assert_allclose([float(v) for v in fields[8:11]], hwl, atol=0.005)
    np.testing.assert_allclose([float(v) for v in fields[11:14]], cam, atol=0.006)
    assert abs(float(fields[14]) - ry) < 0.006


def expected_kitti_fields(box_sensor: Box, calib) -> tuple[tuple[float, float, float], np.ndarray, float]:  # noqa: ANN001
    """(h w l), bottom centre in the rectified camera frame, rotation_y: KITTI's convention
    (X_rect = R0_rect · Tr_velo_to_cam · X_velo; the box stands upright in the camera frame,
    its bottom h/2 down camera y; rotation_y = -yaw - pi/2), computed here."""
    l, w, h = box_sensor.size_lwh_m
    centre = np.append(box_sensor.center_m, 1.0)
    cam = calib.matrices["R0_rect"] @ (calib.matrices["Tr_velo_to_cam"] @ centre) + [0.0, h / 2, 0.0]
    ry = -box_sensor.yaw_rad - math.pi / 2
    ry = (ry + math.pi) % (2 * math.pi) - math.pi
    return (h, w, l), cam, ry


def test_create_a_box_and_export_kitti_from_the_file_menu(qtbot, synth_root, tmp_path) -> None:
    window = empty_window(qtbot, synth_root, tmp_path)
    window.show()
    qtbot.waitExposed(window)
    window.loader.wait_idle()
    window.birds_eye_view()
    # the place tool: a click on the ground puts a default car there
    frame = window.project.sequence[0]
    ground_world = frame.T_world_sensor[:3, :3] @ [9.0, 2.0, -1.7] + frame.T_world_sensor[:3, 3]
    window.actions_by_id["tool_place"].trigger()
    click(window.view, *pixel_of(window, ground_world))
    assert len(window.project.annotations) == 1, window.statusBar().currentMessage()
    ann = next(iter(window.project.annotations.values()))
    T_sensor_world = np.linalg.inv(frame.T_world_sensor)
    box_sensor = ann.box.transformed(T_sensor_world)

    out = tmp_path / "delivery"
    dialog = export_kitti_via_menu(qtbot, window, out)
    label = out / "label_2" / "000000.txt"
    assert label in dialog.result.files_written
    assert "files written" in dialog.message.text() and "Car 1" in dialog.message.text()
    assert_kitti_line(label.read_text(), box_sensor, default_calib())
    dialog.close()
    # the project remembers the choice
    choices = json.loads(window.store.meta()["export_choices"])
    assert choices["format"] == "kitti" and choices["destinations"]["kitti"] == str(out)
    window.actions_by_id["export"].trigger()
    again = window.export_dialog
    assert again.format_name == "kitti" and again.destination.text() == str(out)
    again.close()


def test_export_lists_check_errors_and_can_be_cancelled(qtbot, synth_root, tmp_path) -> None:
    window = empty_window(qtbot, synth_root, tmp_path)
    project = window.project
    frame = project.sequence[0]
    floating = Box(frame.T_world_sensor[:3, 3] + [10.0, 0.0, 30.0], np.array([4.5, 1.9, 1.6]), 0.0)  # in the sky
    project.execute(commands.create_track(project, "vehicle.car", 0, floating))
    window.actions_by_id["export"].trigger()
    dialog = window.export_dialog
    dialog.destination.setText(str(tmp_path / "out"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.state in ("blocked", "done"), timeout=60_000)
    assert dialog.state == "blocked"
    texts = [dialog.findings.item(i).text() for i in range(dialog.findings.count())]
    assert texts and all(t.startswith(("frame 1 ·", "whole sequence")) for t in texts)
    assert dialog.anyway_button.isVisible()
    dialog.cancel_button.click()  # not exported
    assert not (tmp_path / "out").exists()


def test_ctrl_s_saves_and_says_so(qtbot, synth_root, tmp_path) -> None:
    window = empty_window(qtbot, synth_root, tmp_path)
    assert window.actions_by_id["save_now"].shortcut().toString() == "Ctrl+S"
    window.actions_by_id["save_now"].trigger()
    assert "Saved" in window.statusBar().currentMessage()
    assert str(window.store.path) in window.statusBar().currentMessage()
