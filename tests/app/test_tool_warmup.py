"""While the point kernels load, the window shows "preparing tools…" and one-click says
so instead of freezing; when they are ready the label goes and the tools work."""

from __future__ import annotations

import pytest

from sweeplabel.app import MainWindow
from sweeplabel.app.tool_warmup import NOT_READY_MESSAGE, ToolWarmup
from sweeplabel.model import Project

from .conftest import car_center_m

pytestmark = pytest.mark.gui


def test_preparing_tools_is_visible_and_one_click_waits_for_it(qtbot, scene_project: Project, monkeypatch) -> None:
    import threading

    import sweeplabel.assist.warmup as assist_warmup

    monkeypatch.setattr(ToolWarmup, "_done", type(ToolWarmup._done)())  # as on a fresh start
    monkeypatch.setattr(ToolWarmup, "_started", False)
    release = threading.Event()  # the preparation lasts until the test has looked (a compile takes seconds)
    real_prepare = assist_warmup.prepare_assists
    monkeypatch.setattr(assist_warmup, "prepare_assists", lambda: release.wait(120) and real_prepare())
    window = MainWindow(scene_project)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    label = window.tool_warmup.label
    messages: list[str] = []
    window.editor.message.connect(messages.append)
    assert not window.tool_warmup.ready
    assert label.isVisible() and label.text() == "preparing tools…"
    window.set_tool("one_click")
    assert window.editor.create_at_point(car_center_m(0) - window.scene.render_origin_m) is None
    assert messages[-1] == NOT_READY_MESSAGE and len(scene_project.annotations) == 2
    window.editor.select(scene_project.annotations_in_frame(0)[0].token)
    assert window.assist.propagate(1) is None  # propagation waits for the kernels too
    assert messages[-1] == NOT_READY_MESSAGE and len(scene_project.annotations) == 2
    release.set()
    qtbot.waitUntil(lambda: window.tool_warmup.ready and not label.isVisible(), timeout=120_000)
    window.set_tool("one_click")
    top = car_center_m(0) + [0.0, 0.0, 0.8]
    assert window.editor.create_at_point(top - window.scene.render_origin_m) is not None or messages[-1] != \
        NOT_READY_MESSAGE
