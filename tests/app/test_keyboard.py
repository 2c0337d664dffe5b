"""Keyboard first: fields give the keys back (Enter/Escape return to the 3D view, the N
field passes Ctrl+Shift+Right, Right and End on), class keys Alt+1..9 and the palette."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from sweeplabel.app import MainWindow
from sweeplabel.app.class_palette import ranked_classes
from sweeplabel.model import Project

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, scene_project: Project) -> MainWindow:
    win = MainWindow(scene_project)
    qtbot.addWidget(win)
    win.resize(1400, 800)  # the default width: every toolbar field is on screen
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5_000)
    win.loader.wait_idle()
    return win


def focus(qtbot, widget) -> None:
    assert widget.isVisible(), widget.objectName()
    widget.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() in (widget, getattr(widget, "lineEdit", lambda: None)()))


def type_number(qtbot, spin, text: str) -> None:
    focus(qtbot, spin)
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), text)


def test_n_field_gives_the_editor_keys_back(qtbot, window: MainWindow) -> None:
    spin = window.assist.frames_spin
    fired: list[int] = []
    window.actions_by_id["propagate_5"].triggered.connect(lambda: fired.append(spin.value()))
    type_number(qtbot, spin, "2")
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Right,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert fired == [2]  # propagate N frames ran with the typed N
    assert window.view.hasFocus()
    type_number(qtbot, spin, "3")
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_Right)  # next frame, not the cursor
    assert window.target_frame == 1 and spin.value() == 3
    type_number(qtbot, spin, "4")
    qtbot.keyClick(spin.lineEdit(), Qt.Key.Key_End)  # last frame
    assert window.target_frame == 2 and spin.value() == 4


@pytest.mark.parametrize("key", [Qt.Key.Key_Return, Qt.Key.Key_Escape])
def test_enter_or_escape_in_a_field_returns_focus_to_the_view(qtbot, window: MainWindow, key,
                                                              scene_project: Project) -> None:
    window.editor.select(scene_project.annotations_in_frame(0)[0].token)  # the box fields are enabled
    for widget in (window.assist.frames_spin, window.display_bar.point_size, window.properties.spins["x"]):
        focus(qtbot, widget)
        qtbot.keyClick(widget.lineEdit(), key)
        qtbot.waitUntil(window.view.hasFocus, timeout=2_000)


def test_class_keys_set_the_class_in_one_undo_step(qtbot, window: MainWindow, scene_project: Project) -> None:
    order = ranked_classes(scene_project)
    assert order[0] == "vehicle.car"  # the one track is a car: the most used class gets Alt+1
    ann = scene_project.annotations_in_frame(0)[0]
    window.editor.select(ann.token)
    window.view.setFocus()
    steps = len(scene_project.undo)
    qtbot.keyClick(window.view, Qt.Key.Key_3, Qt.KeyboardModifier.AltModifier)
    track = scene_project.track(ann.track_token)
    assert track.category == order[2]
    assert len(scene_project.undo) == steps + 1
    assert window.display_bar.category.currentData() == order[2]  # new boxes get it too
    assert window.actions_by_id["class_3"].text().endswith(scene_project.schema.category(order[2]).label)
    window.actions_by_id["undo"].trigger()
    assert scene_project.track(ann.track_token).category == "vehicle.car"


def test_class_palette_filters_as_you_type(qtbot, window: MainWindow, scene_project: Project) -> None:
    ann = scene_project.annotations_in_frame(0)[0]
    window.editor.select(ann.token)
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_C)
    palette = window.class_keys.palette
    assert palette is not None and palette.isVisible()
    qtbot.keyClicks(palette.filter, "truck")
    assert palette.visible_names() and all("truck" in n for n in palette.visible_names())
    qtbot.keyClick(palette.filter, Qt.Key.Key_Return)
    assert scene_project.track(ann.track_token).category == palette.visible_names()[0]
    assert not palette.isVisible()
    qtbot.waitUntil(window.view.hasFocus, timeout=2_000)
