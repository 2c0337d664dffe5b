"""The user guide's screenshots, taken from the running app (offscreen) as a user walks
from opening data to delivery. With SWEEPLABEL_DOC_SHOTS=1 they are written to
docs/images/ (the pictures docs/user-guide.md shows); otherwise to a temporary folder.
Each step also checks what the picture must show."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from sweeplabel.app import MainWindow
from sweeplabel.io import open_project
from sweeplabel.io.synthetic import generate_sequence

from .test_editing import click, pixel_of
from .test_file_menu import own_config  # noqa: F401 - fixture

pytestmark = pytest.mark.gui
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
SHOT_WIDTH_PX = 1100


def save(widget, folder: Path, name: str) -> QImage:
    image = widget.grab().toImage()
    if image.width() > SHOT_WIDTH_PX:
        image = image.scaledToWidth(SHOT_WIDTH_PX, Qt.TransformationMode.SmoothTransformation)
    folder.mkdir(parents=True, exist_ok=True)
    assert image.save(str(folder / name))
    return image


def not_blank(image: QImage) -> bool:
    ptr = image.convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(ptr.constBits(), np.uint8, ptr.sizeInBytes()).astype(np.float32)
    return float(arr.std()) > 10.0


def test_user_guide_walk(qtbot, tmp_path) -> None:
    folder = DOCS_IMAGES if os.environ.get("SWEEPLABEL_DOC_SHOTS") == "1" else tmp_path / "images"
    root = generate_sequence(tmp_path / "street", frames=6, beams=32, seed=1)
    opened = open_project(root, tmp_path / "street.sweeplabel", import_labels=False)
    window = MainWindow(opened.project, opened.store, owned=opened)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.loader.wait_idle()
    with qtbot.waitSignal(window.view.frame_rendered, timeout=60_000):
        window.birds_eye_view()
    assert window.empty_hint.isVisible()
    assert not_blank(save(window, folder, "01-open.png"))

    # a car: one-click tool (key 2) on the car with the most points of frame 1
    from .test_workflow import best_observed_car

    gt_box, roof = best_observed_car(root)
    camera = window.scene.renderer.camera
    camera.target = gt_box.center_m - window.scene.render_origin_m
    camera.distance_m = 25.0
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_2)
    click(window.view, *pixel_of(window, roof))
    assert len(window.project.annotations) == 1, window.statusBar().currentMessage()
    assert not window.empty_hint.isVisible()
    with qtbot.waitSignal(window.view.frame_rendered, timeout=60_000):
        window.view.request_render()
    assert not_blank(save(window, folder, "02-box.png"))

    palette = window.class_keys.open_palette()
    qtbot.keyClicks(palette.filter, "ped")
    assert not_blank(save(palette, folder, "03-class-palette.png"))
    palette.reject()

    window.actions_by_id["export"].trigger()
    dialog = window.export_dialog
    dialog.format.setCurrentIndex(dialog.format.findData("kitti"))
    dialog.destination.setText(str(tmp_path / "delivery"))
    dialog.export_button.click()
    qtbot.waitUntil(lambda: dialog.state in ("blocked", "done"), timeout=60_000)
    if dialog.state == "blocked":
        dialog.anyway_button.click()
    qtbot.waitUntil(lambda: dialog.state == "done", timeout=60_000)
    assert "Boxes per class" in dialog.message.text()
    assert not_blank(save(dialog, folder, "04-export.png"))
    dialog.close()

    help_dialog = window.show_shortcuts()
    qtbot.waitExposed(help_dialog)
    table = help_dialog.table
    assert table.columnWidth(2) >= 300  # the description column is readable at the default size
    assert help_dialog.mouse_table.rowCount() >= 10
    assert not_blank(save(help_dialog, folder, "05-help.png"))
    help_dialog.close()
    window.close()
