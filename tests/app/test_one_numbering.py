"""One frame numbering and one point count: a finding in the 3rd frame is "frame 3" in
``sweeplabel check``, its JSON (``frame_number``; ``frame_index`` stays 0-based), the QA
panel, the export dialog and the status bar after jumping to it; a box shows the same
number of points in the status bar, the sub-views, the object view and the check."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from sweeplabel.app import MainWindow
from sweeplabel.app.export_job import finding_text
from sweeplabel.assist.checks import CheckSettings, run_checks
from sweeplabel.cli import main
from sweeplabel.io import open_project
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Box, Project, commands

pytestmark = pytest.mark.gui


def test_a_finding_has_the_same_frame_number_in_check_and_in_the_app(qtbot, tmp_path, capsys) -> None:
    root = generate_sequence(tmp_path / "seq", frames=4, beams=32, seed=7)
    path = tmp_path / "job.sweeplabel"
    opened = open_project(root, path, import_labels=False)
    p = opened.project
    frame = p.sequence[2]
    sky = Box(frame.T_world_sensor[:3, 3] + [12.0, 0.0, 40.0], np.array([4.5, 1.9, 1.6]), 0.0)  # no points
    p.execute(commands.create_track(p, "vehicle.car", 2, sky))
    opened.close()

    assert main(["check", str(path)]) == 1
    text = capsys.readouterr().out
    [line] = [l for l in text.splitlines() if "empty_box" in l]
    assert re.match(r"frame\s+3\s", line), line
    main(["check", str(path), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    [finding] = [f for f in out["findings"] if f["check"] == "empty_box"]
    assert finding["frame_index"] == 2 and finding["frame_number"] == 3 and out["frame_index_base"] == 0

    opened = open_project(path)
    window = MainWindow(opened.project, opened.store, owned=opened)
    qtbot.addWidget(window)
    window.resize(1400, 800)
    window.review.set_active(True)
    tree = window.review.panel.findings_tree
    items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    assert any(it.text(0).startswith("Frame 3 ") for it in items), [it.text(0) for it in items]
    [empty] = [f for f in window.review.controller.open_findings() if f.check == "empty_box"]
    assert finding_text(empty).startswith("frame 3 ·")  # as the export dialog lists it
    window.review.step(+1)
    qtbot.waitUntil(lambda: window.scene.frame_index == 2, timeout=10_000)
    assert window.status_label.text().startswith("frame 3/4")
    window.close()


def test_a_box_shows_the_same_point_count_in_every_panel_and_in_check(qtbot, scene_project: Project) -> None:
    window = MainWindow(scene_project)
    qtbot.addWidget(window)
    window.resize(1400, 800)
    window.show()
    qtbot.waitExposed(window)
    window.loader.wait_idle()
    ann = scene_project.annotations_in_frame(0)[0]
    window.editor.select(ann.token)
    n = window.scene.n_in_selected
    assert n > 100
    assert f"· {n} in box" in window.status_label.text()
    assert window.subviews.caption.text().startswith(f"{n} points in the box")
    window.actions_by_id["toggle_object_view"].trigger()
    panel = window.assist.object_view
    panel.wait_idle()
    qtbot.waitUntil(lambda: "in this frame's box" in panel.caption.text(), timeout=10_000)
    assert f"· {n} in this frame's box" in panel.caption.text()
    # the check counts the same points (its few-points message names the count the app shows)
    strict = CheckSettings(min_points_warning=10**6)
    [few] = [f for f in run_checks(scene_project, strict) if f.check == "few_points" and f.frame_index == 0]
    assert re.search(rf"only {n} points in the box", few.message), few.message
    window.close()
