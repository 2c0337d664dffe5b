"""Playback never skips a frame: it waits for each frame to be on screen, and says
the rate it reaches when that is below the chosen one."""

from __future__ import annotations

import time

from sweeplabel.app.panels.timeline import TimelinePanel


def test_playback_waits_for_each_frame_and_shows_the_lower_rate(qtbot) -> None:
    panel = TimelinePanel(200)
    qtbot.addWidget(panel)
    requested: list[int] = []
    shown_at: dict[int, float] = {0: 0.0}

    def go(i: int) -> None:  # a slow machine: each frame is on screen 0.25 s after it is asked for
        requested.append(i)
        panel.set_current(i)
        shown_at[i] = time.monotonic() + 0.25

    panel.frame_requested.connect(go)
    panel.frame_shown = lambda i: time.monotonic() >= shown_at.get(i, float("inf"))
    panel.rate.setValue(20.0)
    panel.set_playing(True)
    qtbot.wait(1600)
    note = panel.rate_note.text()
    panel.set_playing(False)
    assert requested == list(range(1, len(requested) + 1)), "no frame skipped"
    assert 3 <= len(requested) <= 8  # about 4 a second, not 20
    assert note.startswith("showing ") and note.endswith(" fps")
    assert float(note.split()[1]) < 6.0


def test_playback_at_a_rate_the_machine_keeps_says_nothing(qtbot) -> None:
    panel = TimelinePanel(200)
    qtbot.addWidget(panel)
    panel.frame_requested.connect(panel.set_current)
    panel.frame_shown = lambda i: True
    panel.rate.setValue(5.0)
    panel.set_playing(True)
    qtbot.wait(1300)
    frames, note = panel.slider.value(), panel.rate_note.text()
    panel.set_playing(False)
    assert 4 <= frames <= 8 and note == ""
