"""Frames load on a worker thread, arrive by signal, and the next ones are prefetched."""

from __future__ import annotations

import threading

import numpy as np

from sweeplabel.app.frame_loader import FrameLoader
from sweeplabel.model import Project


def test_loads_off_the_ui_thread_and_prefetches(qtbot, scene_project: Project) -> None:
    seq = scene_project.sequence
    threads: list[str] = []
    original = seq[1].loader

    def spy() -> np.ndarray:
        threads.append(threading.current_thread().name)
        return original()

    seq[1].loader = spy
    loader = FrameLoader(seq, cache_frames=2, prefetch=2)
    with qtbot.waitSignal(loader.loaded, timeout=10_000) as blocker:
        assert loader.request(1) is None  # not cached: starts a load
    assert blocker.args[0] == 1 and len(blocker.args[1]) > 3000
    assert threads and threads[0] != threading.main_thread().name
    assert loader.request(1) is not None  # cached now
    loader.prefetch(0)
    loader.wait_idle()
    qtbot.waitUntil(lambda: loader.cached(2) is not None, timeout=10_000)
    assert loader.cached(0) is None  # only the next frames; the cache keeps two
    loader.shutdown()


def test_a_failing_frame_is_reported(qtbot, scene_project: Project) -> None:
    def broken() -> np.ndarray:
        raise OSError("gone")

    scene_project.sequence[2].loader = broken
    loader = FrameLoader(scene_project.sequence)
    with qtbot.waitSignal(loader.failed, timeout=10_000) as blocker:
        loader.request(2)
    assert blocker.args == [2, "OSError: gone"]
    loader.shutdown()


def test_a_big_cloud_opens_in_the_background_with_progress(qtbot, tmp_path, monkeypatch) -> None:
    import sys

    from sweeplabel.app import MainWindow
    from sweeplabel.io import read_sequence
    from sweeplabel.model import Project as ModelProject

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parents[1] / "viewer"))
    from test_big_cloud import write_las  # noqa: E402

    monkeypatch.setattr("sweeplabel.viewer.frame_data.DISPLAY_POINT_BUDGET", 20_000)
    path = tmp_path / "map.las"
    write_las(path, 120_000)
    project = ModelProject(read_sequence(path).sequence)
    seen: list[tuple[int, int, int]] = []
    window = MainWindow(project)  # returns at once: the cloud loads on the worker thread
    qtbot.addWidget(window)
    window.loader.progress.connect(lambda *a: seen.append(a))  # queued signals: none missed yet
    assert window.frame_index is None and window.status_label.text().startswith("loading frame 1/1")
    qtbot.waitUntil(lambda: window.frame_index == 0, timeout=20_000)
    assert 5_000 < window.scene.n_points < 40_000
    assert not window.progress_bar.isVisible()
    assert seen and seen[-1] == (0, 120_000, 120_000)
