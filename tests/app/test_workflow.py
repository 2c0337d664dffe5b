"""The issue's user story end to end, with the project store: open a synthetic
sequence, click a car to create a box, nudge and rotate it with keys, change its class,
propagate it over 5 frames, undo twice, redo once, close, reopen: the store holds
exactly the expected boxes. Plus a screenshot of the whole editor, checked."""

from __future__ import annotations


import numpy as np
import pytest
from PySide6.QtCore import Qt

from sweeplabel.app import MainWindow
from sweeplabel.app.edit_ops import MOVE_STEP_M, ROTATE_STEP_RAD
from sweeplabel.io import open_project, read_sequence
from sweeplabel.io.synthetic import generate_sequence

from .test_editing import click, pixel_of

pytestmark = pytest.mark.gui


def best_observed_car(root, frame_index: int = 0):
    """(ground-truth world box, a world point on the car near its centre) of the car with most points."""
    loaded = read_sequence(root)
    seq = loaded.sequence
    frame = seq[frame_index]
    from sweeplabel.model.geometry import transform_points

    world = transform_points(frame.T_world_sensor, frame.load_points())
    cars = {t.token for t in loaded.tracks if t.category == "vehicle.car"}
    best = max((a for a in loaded.annotations if a.frame_index == frame_index and a.track_token in cars),
               key=lambda a: int(a.box.contains(world).sum()))
    inside = world[best.box.contains(world)]
    roof = inside[np.argmax(inside[:, 2] - 0.3 * np.hypot(*(inside[:, :2] - best.box.center_m[:2]).T))]
    return best.box, roof


def test_create_edit_propagate_undo_redo_reopen(qtbot, tmp_path) -> None:
    root = generate_sequence(tmp_path / "seq", frames=7, beams=32, seed=1)
    gt_box, roof = best_observed_car(root)
    opened = open_project(root, import_labels=False)
    project, store = opened.project, opened.store
    window = MainWindow(project, store)
    qtbot.addWidget(window)
    window.resize(1000, 700)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.view.setFocus()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    camera = window.scene.renderer.camera
    camera.birds_eye()
    camera.target = gt_box.center_m - window.scene.render_origin_m
    camera.distance_m = 20.0

    qtbot.keyClick(window.view, Qt.Key.Key_2)  # one-click tool
    click(window.view, *pixel_of(window, roof))
    assert len(project.annotations) == 1, window.statusBar().currentMessage()
    created = next(iter(project.annotations.values()))
    assert np.linalg.norm(created.box.center_m[:2] - gt_box.center_m[:2]) < 0.5
    qtbot.keyClick(window.view, Qt.Key.Key_I)  # forward, fine
    qtbot.keyClick(window.view, Qt.Key.Key_Q)  # rotate left, fine
    edited = project.annotation(created.token).box
    expected_box = created.box.moved_local([MOVE_STEP_M[0], 0, 0]).rotated(ROTATE_STEP_RAD[0])
    assert edited.isclose(expected_box, tol_m=1e-9)
    window.properties.category.setCurrentIndex(project.schema.category_names.index("vehicle.truck"))
    qtbot.keyClick(window.view, Qt.Key.Key_Right,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)  # propagate x5
    assert len(project.annotations) == 6
    assert "all changes saved" in window.windowTitle()
    assert len(store.read_annotations()) == 6

    window.actions_by_id["undo"].trigger()  # the propagation
    window.actions_by_id["undo"].trigger()  # the class change
    window.actions_by_id["redo"].trigger()  # the class change again
    assert "all changes saved" in window.windowTitle()
    window.close()
    opened.close()

    reopened = open_project(root)
    try:
        anns = list(reopened.project.annotations.values())
        assert len(anns) == 1 and anns[0].frame_index == 0
        assert anns[0].box.isclose(expected_box, tol_m=1e-9)
        assert reopened.project.track(anns[0].track_token).category == "vehicle.truck"
    finally:
        reopened.close()


def _share_of(image: np.ndarray, rgb: tuple[int, int, int], tol: int = 10) -> float:
    return float(np.all(np.abs(image.astype(int) - rgb) <= tol, axis=-1).mean())


def test_editor_screenshot_shows_points_boxes_and_panels(qtbot, tmp_path) -> None:
    from .conftest import car_center_m, make_scene_project

    project = make_scene_project()
    window = MainWindow(project)
    qtbot.addWidget(window)
    window.resize(1200, 800)
    with qtbot.waitSignal(window.view.frame_rendered, timeout=60_000):
        window.show()
    window.editor.select(project.annotations_in_frame(0)[0].token)
    window.focus_selected()
    with qtbot.waitSignal(window.view.frame_rendered, timeout=60_000):
        pass
    view_image = window.view.image
    assert len(np.unique(view_image.reshape(-1, 3), axis=0)) > 50, "the 3D view is not blank"
    assert _share_of(view_image, (255, 255, 255)) > 1e-4, "the selected box's white wireframe is drawn"
    assert _share_of(view_image, (255, 242, 64), tol=20) > 1e-3, "the points in the box are highlighted"
    # the box is where the camera looks: the highlighted points sit around the image centre
    ys, xs = np.nonzero(np.all(np.abs(view_image.astype(int) - (255, 242, 64)) <= 20, axis=-1))
    h, w = view_image.shape[:2]
    assert abs(xs.mean() - w / 2) < w / 4 and abs(ys.mean() - h / 2) < h / 4
    # PNGs of the whole editor, the sub-views and the panels; none of them blank
    for name, widget in (("editor", window), ("subviews", window.subviews), ("properties", window.properties),
                         ("tracks", window.track_list), ("timeline", window.timeline)):
        path = tmp_path / f"{name}.png"
        assert widget.grab().save(str(path)), name
        assert n_colours(path) > 20, f"{name}.png looks blank"
    assert window.subviews.views["top"].inside.sum() > 50
    top = window.subviews.views["top"].grab().toImage()
    assert _image_share(top, (255, 240, 80)) > 1e-3, "the box's points are drawn in the top view"
    assert car_center_m(0)[0] > 0  # the fixture's car is in front of the sensor


def _qimage_rgb(image) -> np.ndarray:  # noqa: ANN001
    from PySide6.QtGui import QImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    return arr[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3)


def _image_share(image, rgb: tuple[int, int, int]) -> float:  # noqa: ANN001
    return _share_of(_qimage_rgb(image), rgb)


def n_colours(path) -> int:  # noqa: ANN001
    from PySide6.QtGui import QImage

    return len(np.unique(_qimage_rgb(QImage(str(path))).reshape(-1, 3), axis=0))
