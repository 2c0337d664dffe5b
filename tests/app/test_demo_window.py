"""The demo as a user starts it: `sweeplabel demo` in a real window (under Xvfb when
the suite runs there), and the window bound to a project store."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from PySide6.QtGui import QImage

from sweeplabel.app import MainWindow
from sweeplabel.io import ProjectStore
from sweeplabel.model import Box, commands



def image_stats(path) -> tuple[int, float]:
    """(number of distinct colours, share of the most common colour) of a PNG."""
    img = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    assert not img.isNull(), f"{path} is not an image"
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(img.height(), img.bytesPerLine())
    rgb = arr[:, : img.width() * 3].reshape(img.height(), img.width(), 3)
    packed = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
    _, counts = np.unique(packed, return_counts=True)
    return len(counts), float(counts.max() / counts.sum())


def test_demo_window_screenshot_shows_a_rendered_sweep(tmp_path):
    shot = tmp_path / "demo.png"
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_DATA_HOME": str(tmp_path / "data")}
    # a real X window when the suite runs under Xvfb, else Qt's offscreen platform
    env["QT_QPA_PLATFORM"] = "xcb" if os.environ.get("DISPLAY") else "offscreen"
    result = subprocess.run([sys.executable, "-m", "sweeplabel.cli", "demo", "--screenshot", str(shot)],
                            capture_output=True, text=True, timeout=420, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    n_colours, top_share = image_stats(shot)
    assert n_colours > 200, "a rendered sweep has many colours (height map, boxes, widgets)"
    assert top_share < 0.9, "the window is not one flat colour"
    # the project file was created beside the cached demo sequence and saved the import
    assert list((tmp_path / "cache").rglob("*.sweeplabel"))


def test_window_title_tracks_saving_and_undo(qtbot, scene_project, tmp_path):
    store = ProjectStore.create(tmp_path / "scene.sweeplabel", {"sequence_path": "mem"})
    store.write_all(scene_project)
    store.attach(scene_project)
    window = MainWindow(scene_project, store)
    qtbot.addWidget(window)
    assert window.windowTitle() == "scene.sweeplabel — all changes saved — sweeplabel"
    n = len(scene_project.annotations)
    scene_project.execute(commands.create_track(scene_project, "vehicle.car", 0,
                                                Box(scene_project.sequence.render_origin_m, [4, 2, 1.5])))
    assert "all changes saved" in window.windowTitle()
    assert window.actions_by_id["undo"].isEnabled()
    assert window.actions_by_id["undo"].text() == "Undo Create Car"
    window.actions_by_id["undo"].trigger()
    assert len(scene_project.annotations) == n
    assert len(store.read_annotations()) == n, "the undo was saved too"
    window.actions_by_id["redo"].trigger()
    assert len(store.read_annotations()) == n + 1
    window.close()
    store.close()
