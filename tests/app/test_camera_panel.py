"""The camera panel on the real SUSTechPOINTS scene: boxes projected into three cameras,
click a box in the front image -> selected in the 3D view and the properties panel."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from sweeplabel.app import MainWindow
from sweeplabel.io import read_sequence
from sweeplabel.model import Box, Project

pytestmark = pytest.mark.gui
WAIT_MS = 60_000


@pytest.fixture
def window(qtbot, shared_data) -> MainWindow:
    root = shared_data / "sustech_points_example"
    if not (root / "camera").is_dir():
        pytest.skip(f"{root}/camera not found (README section 8)")
    loaded = read_sequence(root)
    project = Project(loaded.sequence)
    project.load(loaded.tracks, loaded.annotations)
    win = MainWindow(project)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    panel = win.cameras.panel
    qtbot.waitUntil(lambda: panel.large.view is not None and panel.large.view.image is not None, timeout=WAIT_MS)
    return win


def _clickable_box(view):
    """(style, centroid) of a box whose outline is the top hit at its own centroid."""
    for style, poly in sorted(view.outlines, key=lambda o: -o[1].boundingRect().width()):
        pts = np.array([[p.x(), p.y()] for p in poly])
        c = pts.mean(axis=0)
        hits = view.boxes_at(*c)
        if hits and hits[0].token == style.token and poly.boundingRect().width() > 20:
            return style, c
    raise AssertionError("no clickable box")


def test_click_box_in_front_image_selects_it(qtbot, window, tmp_path):
    panel = window.cameras.panel
    assert [t.view.name for t in [panel.large, *panel.small] if t.isVisible() and t.view] == ["front", "left", "right"]
    front = panel.large.view
    assert front.name == "front" and len(front.outlines) >= 5
    style, (x, y) = _clickable_box(front)
    pos = panel.large.to_widget_px(x, y)
    qtbot.mouseClick(panel.large, Qt.MouseButton.LeftButton, pos=QPoint(round(pos.x()), round(pos.y())))
    assert window.editor.selected == style.token
    assert window.scene.selected == style.token  # the 3D view highlights it
    assert window.properties.token == style.token
    track = window.project.track(window.project.annotation(style.token).track_token)
    assert window.properties.title.text().startswith(f"Track {track.number} ")
    # the panel redraws with the box highlighted
    qtbot.waitUntil(lambda: any(s.selected and s.token == style.token for s, _ in panel.large.view.outlines),
                    timeout=5000)
    # hover shows track number and class
    qtbot.mouseMove(panel.large, QPoint(1, 1))
    pos = panel.large.to_widget_px(x, y)  # the dock may have resized with the properties panel
    qtbot.mouseMove(panel.large, QPoint(round(pos.x()), round(pos.y())))
    qtbot.waitUntil(lambda: panel.large.toolTip() == f"track {track.number} · {track.category}", timeout=5000)
    # an edit in the 3D view redraws the image at once (next event-loop turn)
    before = [p for s, p in panel.large.view.outlines if s.token == style.token][0].boundingRect()
    ann = window.project.annotation(style.token)
    window.editor.set_box(Box(ann.box.center_m, ann.box.size_lwh_m * 1.5, ann.box.yaw_rad))
    qtbot.waitUntil(lambda: [p for s, p in panel.large.view.outlines if s.token == style.token][0]
                    .boundingRect().width() > before.width() * 1.2, timeout=5000)
    # a screenshot of the panel, not blank
    shot = window.cameras.dock.grab()
    out = Path(os.environ.get("SWEEPLABEL_SCREENSHOT_DIR", tmp_path)) / "camera_panel.png"
    assert shot.save(str(out))
    img = shot.toImage()
    colors = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert img.width() > 200 and img.height() > 200 and len(colors) > 500


def test_small_tile_click_enlarges_it(qtbot, window):
    panel = window.cameras.panel
    left = panel.tile_of("left")
    assert left is not panel.large
    qtbot.mouseClick(left, Qt.MouseButton.LeftButton, pos=QPoint(left.width() // 2, left.height() // 2))
    assert panel.large.view.name == "left"
    with_points = panel.large.view.image
    panel.points_box.setChecked(False)  # the depth toggle redraws without points
    qtbot.waitUntil(lambda: panel.large.view.image is not with_points, timeout=5000)
    assert panel.large.view.image != with_points


def test_broken_image_shows_why_and_3d_keeps_working(qtbot, shared_data, tmp_path):
    import shutil

    src = shared_data / "sustech_points_example"
    if not (src / "camera").is_dir():
        pytest.skip(f"{src}/camera not found")
    root = tmp_path / "scene"
    for sub in ("lidar", "label", "calib"):
        shutil.copytree(src / sub, root / sub)
    shutil.copytree(src / "camera", root / "camera")
    # the front image of 000965 replaced by the (smaller) left image scaled: another size than stated
    from PySide6.QtGui import QImage

    QImage(str(src / "camera" / "left" / "000965.jpg")).scaled(640, 480).save(str(root / "camera" / "front" / "000965.jpg"))
    loaded = read_sequence(root)
    assert "640x480" in "\n".join(loaded.warnings)  # the reader reads the header: one clear message
    project = Project(loaded.sequence)
    project.load(loaded.tracks, loaded.annotations)
    win = MainWindow(project)
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    panel = win.cameras.panel
    qtbot.waitUntil(lambda: len(panel.views) == 3, timeout=WAIT_MS)
    front = next(v for v in panel.views if v.name == "front")
    assert front.image is None and "000965.jpg" in front.problem and "640x480" in front.problem
    assert "front" in panel.message.text()
    assert win.scene.n_points > 10_000 and win.scene.n_boxes > 5  # the 3D view is unaffected
