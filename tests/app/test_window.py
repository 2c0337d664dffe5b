"""The main window on a small in-memory project (Qt offscreen; few renders)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from sweeplabel.app import MainWindow, run_gui, status_text
from sweeplabel.model import Project, commands

RENDER_TIMEOUT_MS = 60_000
pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, scene_project: Project) -> MainWindow:
    win = MainWindow(scene_project)
    qtbot.addWidget(win)
    win.resize(480, 360)
    return win


def show_and_wait(qtbot, win: MainWindow) -> np.ndarray:
    with qtbot.waitSignal(win.view.frame_rendered, timeout=RENDER_TIMEOUT_MS):
        win.show()
    return win.view.image.copy()


def press_and_wait(qtbot, win: MainWindow, key: Qt.Key) -> np.ndarray:
    with qtbot.waitSignal(win.view.frame_rendered, timeout=RENDER_TIMEOUT_MS):
        qtbot.keyClick(win, key)
    return win.view.image.copy()


def test_status_text() -> None:
    assert status_text(0, 3, 1200, 1) == "frame 1/3 · 1200 points · 1 box"
    assert status_text(2, 3, 5, 0) == "frame 3/3 · 5 points · 0 boxes"
    assert status_text(None, 0, 0, 0) == "no frames"


def test_window_renders_and_steps_through_frames(qtbot, window: MainWindow) -> None:
    first = show_and_wait(qtbot, window)
    assert window.windowTitle() == "street-test — not saved (no project file) — sweeplabel"
    n_points = window.scene.n_points
    assert n_points > 3000
    assert window.status_label.text() == f"frame 1/3 · {n_points} points · 1 box · Select"
    ratio = window.view.devicePixelRatioF()
    assert first.shape == (round(window.view.height() * ratio), round(window.view.width() * ratio), 3)
    assert first.dtype == np.uint8 and len(np.unique(first.reshape(-1, 3), axis=0)) > 10

    window.loader.wait_idle()  # frames 2 and 3 were prefetched
    second = press_and_wait(qtbot, window, Qt.Key.Key_Right)
    assert window.status_label.text().startswith("frame 2/3 · ")
    assert not np.array_equal(first, second)

    back = press_and_wait(qtbot, window, Qt.Key.Key_A)
    assert window.status_label.text().startswith("frame 1/3 · ")
    assert np.mean(np.abs(back.astype(int) - first.astype(int))) < 1.0  # same frame, same camera

    qtbot.keyClick(window, Qt.Key.Key_End)  # cached: status updates at once; the render stays pending
    assert window.status_label.text().endswith("· 0 boxes · Select")
    assert window.status_label.text().startswith("frame 3/3 · ")
    qtbot.keyClick(window, Qt.Key.Key_Home)
    qtbot.keyClick(window, Qt.Key.Key_Left)  # clamped at the first frame
    assert window.frame_index == 0


def test_annotation_signals_rerender(qtbot, window: MainWindow, scene_project: Project) -> None:
    before = show_and_wait(qtbot, window)
    token = scene_project.annotations_in_frame(0)[0].token
    moved = scene_project.annotation(token).box.translated([0.0, -6.0, 0.0])
    with qtbot.waitSignal(window.view.frame_rendered, timeout=RENDER_TIMEOUT_MS):
        scene_project.execute(commands.set_box(scene_project, token, moved))
    assert not np.array_equal(before, window.view.image)

    scene_project.execute(commands.delete_annotations(scene_project, [token]))
    assert "· 0 boxes" in window.status_label.text()
    assert window.view.render_pending
    scene_project.undo.undo()
    assert "· 1 box" in window.status_label.text()


def _send_mouse(widget, kind: QEvent.Type, pos: QPoint, button: Qt.MouseButton) -> None:
    buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    event = QMouseEvent(kind, QPointF(pos), QPointF(widget.mapToGlobal(pos)), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, event)


def _drag(widget, start: QPoint, end: QPoint, button: Qt.MouseButton) -> None:
    _send_mouse(widget, QEvent.Type.MouseButtonPress, start, button)
    _send_mouse(widget, QEvent.Type.MouseMove, end, button)
    _send_mouse(widget, QEvent.Type.MouseButtonRelease, end, button)


def test_mouse_orbits_pans_and_zooms(window: MainWindow) -> None:
    """Camera changes only; no render is awaited (the window closes first)."""
    view, camera = window.view, window.scene.renderer.camera
    azimuth_rad, target, distance_m = camera.azimuth_rad, camera.target.copy(), camera.distance_m

    _drag(view, QPoint(100, 100), QPoint(150, 120), Qt.MouseButton.LeftButton)
    assert not math.isclose(camera.azimuth_rad, azimuth_rad)
    _drag(view, QPoint(100, 100), QPoint(130, 100), Qt.MouseButton.RightButton)
    assert not np.allclose(camera.target, target)
    assert abs(np.dot(camera.target - target, camera.view_direction())) < 1e-9  # in the screen plane

    wheel = QWheelEvent(QPointF(50, 50), QPointF(view.mapToGlobal(QPoint(50, 50))), QPoint(0, 0), QPoint(0, 120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view, wheel)
    assert camera.distance_m < distance_m
    assert view.render_pending


def test_run_gui_saves_a_screenshot(qtbot, scene_project: Project, tmp_path) -> None:
    path = tmp_path / "shot.png"
    assert run_gui(scene_project, screenshot=path) == 0
    image = QImage(str(path))
    assert not image.isNull() and image.width() > 200
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    pixels = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    pixels = pixels[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3)
    colors, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    assert len(colors) > 50  # points, box lines, toolbar, status text
    assert counts.max() < 0.98 * counts.sum()  # not one flat colour (the background is most of it)
    assert len(scene_project.events.annotation_added) == 0  # the window disconnected on close


def test_a_broken_frame_is_reported_not_raised(qtbot, scene_project: Project) -> None:
    def broken() -> np.ndarray:
        raise ValueError("truncated file")

    scene_project.sequence[1].loader = broken
    window = MainWindow(scene_project)
    qtbot.addWidget(window)
    window.step_frame(+1)  # loads on the worker thread
    qtbot.waitUntil(lambda: window.frame_index == 1, timeout=10_000)
    assert "could not load points: ValueError: truncated file" in window.statusBar().currentMessage()
    assert window.scene.n_points == 0 and window.scene.n_boxes == 1  # the frame's box, no stale points
    window.step_frame(+1)  # and the next frame still opens
    qtbot.waitUntil(lambda: window.frame_index == 2, timeout=10_000)
    assert window.status_label.text().startswith("frame 3/3 · ")
