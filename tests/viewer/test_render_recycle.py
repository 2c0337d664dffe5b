"""A render process past its memory bound is replaced by a fresh one while the view is
idle; the images keep coming, and recycling is not counted as a crash."""

from __future__ import annotations

import time

import numpy as np

from sweeplabel.viewer import ProcessRenderer, point_layer
from sweeplabel.viewer.render_process import RECYCLE_CHECK_EVERY, process_rss_mb


def wait_result(renderer: ProcessRenderer, timeout_s: float = 120.0):  # noqa: ANN201
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        result = renderer.receive()
        if result is not None:
            return result
        time.sleep(0.005)
    raise TimeoutError("no image from the render process")


def test_a_big_render_process_is_recycled_and_keeps_rendering(monkeypatch) -> None:
    monkeypatch.setenv("SWEEPLABEL_RENDER_MAX_MB", "1")  # every child is "too big"
    renderer = ProcessRenderer(64, 48)
    try:
        xyz = np.random.default_rng(0).uniform(-5.0, 5.0, (2_000, 3)).astype(np.float32)
        renderer.set_points(point_layer(xyz, (-5.0, 5.0)))
        renderer.fit_camera()
        first_pid = None
        for i in range(RECYCLE_CHECK_EVERY):
            renderer.submit()
            if first_pid is None:
                first_pid = renderer.pid
            image = wait_result(renderer).image
        assert renderer.recycles == 1 and renderer.pid not in (None, first_pid)
        assert process_rss_mb(renderer.pid) is not None  # the fresh child is alive
        renderer.submit()  # the fresh child gets the whole state again
        again = wait_result(renderer).image
        assert again.shape == image.shape and np.array_equal(again, image)
    finally:
        renderer.close()
