"""Precise sub-views: an edge drag moves 1 cm per pixel at the default zoom, Shift takes
coarse steps, the wheel zooms a view, a double click shows one view alone."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from sweeplabel.app import MainWindow
from sweeplabel.model import Project

pytestmark = pytest.mark.gui


def drag(widget, start: tuple[float, float], end: tuple[float, float], modifiers=Qt.KeyboardModifier.NoModifier):
    a, b = QPointF(*start), QPointF(*end)
    for kind, pos, buttons in ((QEvent.Type.MouseButtonPress, a, Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseMove, b, Qt.MouseButton.LeftButton),
                               (QEvent.Type.MouseButtonRelease, b, Qt.MouseButton.NoButton)):
        QApplication.sendEvent(widget, QMouseEvent(kind, pos, widget.mapToGlobal(pos), Qt.MouseButton.LeftButton,
                                                   buttons, modifiers))


def front_edge(top, ann) -> tuple[float, float]:
    (x,), (y,) = top.to_screen(np.array([0.0]), np.array([ann.box.size_lwh_m[0] / 2]))
    return float(x), float(y)


def test_edge_drags_are_1_cm_per_pixel_and_shift_is_coarse(qtbot, scene_project: Project) -> None:
    window = MainWindow(scene_project)
    qtbot.addWidget(window)
    window.resize(1400, 800)
    ann = scene_project.annotations_in_frame(0)[0]
    window.editor.select(ann.token)
    top = window.subviews.views["top"]
    top.resize(240, 240)
    assert 1.0 / top.scale_px_per_m() > 0.01  # at the default zoom a pixel is more than 1 cm
    length = ann.box.size_lwh_m[0]
    x, y = front_edge(top, ann)
    drag(top, (x, y), (x, y - 20))  # 20 px forward
    assert scene_project.annotation(ann.token).box.size_lwh_m[0] == pytest.approx(length + 0.20, abs=1e-6)
    window.actions_by_id["undo"].trigger()
    drag(top, (x, y), (x, y - 20), Qt.KeyboardModifier.ShiftModifier)
    coarse = scene_project.annotation(ann.token).box.size_lwh_m[0] - length
    assert coarse == pytest.approx(20 * max(0.05, 1.0 / top.scale_px_per_m()), abs=1e-6)
    window.actions_by_id["undo"].trigger()

    # the wheel zooms in; zoomed far enough, a fine drag follows the cursor
    before = top.scale_px_per_m()
    for _ in range(8):
        QApplication.sendEvent(top, QWheelEvent(QPointF(120, 120), top.mapToGlobal(QPointF(120, 120)), QPoint(0, 0),
                                                QPoint(0, 120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                                                Qt.ScrollPhase.NoScrollPhase, False))
    assert top.scale_px_per_m() > 5 * before
    assert top.edge_m_per_px(coarse=False) == pytest.approx(1.0 / top.scale_px_per_m())

    # a double click shows the top view alone, another all three
    window.show()
    qtbot.waitExposed(window)
    qtbot.mouseDClick(top, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert top.isVisible() and not window.subviews.views["side"].isVisible()
    qtbot.mouseDClick(top, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert all(v.isVisible() for v in window.subviews.views.values())
    window.close()
