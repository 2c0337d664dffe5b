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
    monkeypatch.setattr(ToolWarmup, "_done", type(ToolWarmup._done)())  # as on a fresh start
    monkeypatch.setattr(ToolWarmup, "_started", False)
    # the warm-up starts when a tool first asks (not after the first image), so a warm
    # cache cannot finish it between the check below and the click
    monkeypatch.setattr(ToolWarmup, "start_after_first_render", lambda self: None)
    window = MainWindow(scene_project)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    label = window.tool_warmup.label
    messages: list[str] = []
    window.editor.message.connect(messages.append)
    if not window.tool_warmup.ready:  # (a warm cache may finish before we look)
        assert label.isVisible() and label.text() == "preparing tools…"
        window.set_tool("one_click")
        assert window.editor.create_at_point(car_center_m(0) - window.scene.render_origin_m) is None
        assert messages[-1] == NOT_READY_MESSAGE and len(scene_project.annotations) == 2
    qtbot.waitUntil(lambda: window.tool_warmup.ready and not label.isVisible(), timeout=120_000)
    window.set_tool("one_click")
    top = car_center_m(0) + [0.0, 0.0, 0.8]
    assert window.editor.create_at_point(top - window.scene.render_origin_m) is not None or messages[-1] != \
        NOT_READY_MESSAGE
