"""ProcessRenderer: SceneRenderer's API with the render in a child process."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from sweeplabel.viewer import (
    POINTS_NAME,
    ProcessRenderer,
    RenderCrashed,
    SceneRenderer,
    create_renderer,
    point_layer,
)

TIMEOUT_S = 120.0


def cloud(seed: int = 0, n: int = 20_000):  # noqa: ANN201
    xyz = np.random.default_rng(seed).uniform(-10.0, 10.0, (n, 3)).astype(np.float32)
    return point_layer(xyz, (-10.0, 10.0))


def wait_result(renderer: ProcessRenderer):  # noqa: ANN201
    end = time.monotonic() + TIMEOUT_S
    while time.monotonic() < end:
        result = renderer.receive()
        if result is not None:
            return result
        time.sleep(0.005)
    raise TimeoutError("no image from the render process")


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def renderer():  # noqa: ANN201
    r = ProcessRenderer(96, 64)
    yield r
    r.close()


def test_create_renderer_follows_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("SWEEPLABEL_RENDER", "inprocess")
    assert isinstance(create_renderer(), SceneRenderer)
    monkeypatch.setenv("SWEEPLABEL_RENDER", "process")
    r = create_renderer()
    assert isinstance(r, ProcessRenderer) and r.pid is None  # the child starts on the first render
    monkeypatch.setenv("SWEEPLABEL_RENDER", "gpu")
    with pytest.raises(ValueError):
        create_renderer()


def test_same_image_as_in_process_then_async_drops_stale_requests(renderer: ProcessRenderer) -> None:
    layer = cloud()
    renderer.set_points(layer)
    renderer.fit_camera()
    assert renderer.geometry_names == [POINTS_NAME] and renderer.size_px == (96, 64)
    image = renderer.render()  # synchronous, like SceneRenderer.render()

    local = SceneRenderer(96, 64)
    local.set_points(layer)
    local.fit_camera()
    try:
        expected = local.render()
    finally:
        local.close()
    assert image.shape == (64, 96, 3) and image.dtype == np.uint8
    assert np.mean(np.abs(image.astype(int) - expected.astype(int))) < 1.0

    # three requests while one is in flight: the first and only the newest are rendered
    t0 = time.perf_counter()
    renderer.camera.orbit(0.5, 0.0)
    renderer.submit()
    renderer.camera.orbit(0.5, 0.0)
    renderer.submit()
    renderer.resize(80, 60)
    renderer.set_points(cloud(seed=1))
    renderer.submit()
    assert time.perf_counter() - t0 < 0.5, "submit never waits for a render"
    assert renderer.busy
    first = wait_result(renderer)
    assert first.image.shape == (64, 96, 3) and renderer.busy  # the newest state went out at once
    last = wait_result(renderer)
    assert last.image.shape == (60, 80, 3) and last.request_id == first.request_id + 1
    assert not renderer.busy and renderer.receive() is None
    assert last.camera.azimuth_rad == pytest.approx(renderer.camera.azimuth_rad)

    pid = renderer.pid
    renderer.close()
    assert renderer.pid is None and gone(pid)


def test_a_dead_child_is_reported_and_restarted(renderer: ProcessRenderer) -> None:
    renderer.set_points(cloud())
    renderer.fit_camera()
    renderer.render()
    pid = renderer.pid
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(RenderCrashed, match="render process died"):
        renderer.submit()  # may go out before the death is noticed, or fail at once
        end = time.monotonic() + TIMEOUT_S
        while time.monotonic() < end:
            renderer.receive()
            time.sleep(0.01)
    assert not renderer.busy and renderer.pid is None
    image = renderer.render()  # a fresh child gets the whole state again
    assert renderer.pid not in (None, pid)
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 5


def test_a_grown_child_is_swapped_for_a_warm_one_without_a_gap(renderer) -> None:
    """Past its memory bound the child is replaced between two requests: every request
    still gets its image, the new child shows the same scene, nothing counts as a crash."""
    renderer.recycle_growth_bytes = 1  # any growth at all triggers the swap
    renderer.set_points(cloud(1))
    renderer.fit_camera()
    renderer.submit()
    images = [wait_result(renderer).image]
    first_pid = renderer.pid
    for _ in range(40):
        renderer.submit()
        images.append(wait_result(renderer).image)
        if renderer.recycles:
            break
        time.sleep(0.05)  # gives the standby time to warm up
    assert renderer.recycles == 1 and renderer.pid != first_pid
    assert renderer._starts == 1  # a recycle is not a restart after a crash
    renderer.submit()
    after = wait_result(renderer)
    assert after.child_rss_bytes > 0
    np.testing.assert_array_equal(after.image, images[0])  # same scene, same picture
    end = time.monotonic() + 10
    while not gone(first_pid) and time.monotonic() < end:
        time.sleep(0.05)
    assert gone(first_pid)


def test_a_recolour_sends_only_the_changed_colours_and_shows_them(renderer: ProcessRenderer) -> None:
    """Selecting or moving a box recolours the points it covers: the child gets those
    colours alone (not the sweep again), and the image shows them as a full send would."""
    from sweeplabel.viewer import PointLayer
    from sweeplabel.viewer.render_process import color_delta

    layer = cloud(n=5_000)
    renderer.set_points(layer)
    renderer.fit_camera()
    renderer.render()
    sent = renderer.points_sent
    colors = layer.colors_rgb.copy()
    colors[:500] = (1.0, 0.0, 1.0)  # the points of one box turn magenta
    recoloured = PointLayer(layer.xyz_m.copy(), colors)  # equal positions, another array
    idx, rgb = color_delta(layer, recoloured)
    assert len(idx) == 500 and np.allclose(rgb, (1.0, 0.0, 1.0))
    renderer.set_points(recoloured)
    image = renderer.render()
    assert renderer.points_sent == sent and renderer.colors_sent == 1
    renderer.set_points(PointLayer(recoloured.xyz_m, colors.copy()))  # the same colours again
    renderer.render()
    assert renderer.points_sent == sent and renderer.colors_sent == 1  # nothing to send

    local = SceneRenderer(96, 64)
    local.set_points(recoloured)
    local.camera = renderer.camera
    try:
        expected = local.render()
    finally:
        local.close()
    assert np.array_equal(image, expected)
    moved = PointLayer(layer.xyz_m + np.float32(0.5), colors)
    assert color_delta(recoloured, moved) is None  # new positions: the whole layer goes
