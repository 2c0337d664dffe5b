"""SceneRenderer and FrameScene. Two renders in all (software rendering is slow)."""

from __future__ import annotations

import numpy as np
import pytest

from sweeplabel.model import Box, Frame, Project, Sequence, commands
from sweeplabel.viewer import (
    POINTS_NAME,
    FrameLoadError,
    FrameScene,
    SceneRenderer,
    box_wireframe,
    point_layer,
    to_line_set,
    to_point_cloud,
)


def grid_points_m() -> np.ndarray:
    x, y = np.meshgrid(np.linspace(-10, 10, 60), np.linspace(-10, 10, 60))
    return np.column_stack([x.ravel(), y.ravel(), 0.3 * np.sin(x.ravel())]).astype(np.float32)


def test_open3d_geometries_keep_counts_and_precision() -> None:
    layer = point_layer(grid_points_m(), (-0.3, 0.3))
    cloud = to_point_cloud(layer)
    np.testing.assert_array_equal(np.asarray(cloud.points), layer.xyz_m.astype(np.float64))
    np.testing.assert_array_equal(np.asarray(cloud.colors), np.asarray(layer.colors_rgb, np.float64))
    lines = to_line_set(box_wireframe(Box([0, 0, 0], [4, 2, 1.5], 0.2), np.zeros(3), (1.0, 0.0, 0.0)))
    assert len(lines.lines) == 13 and len(lines.points) == 10 and len(lines.colors) == 13


@pytest.mark.gui
def test_render_returns_an_rgb_image_and_follows_resize() -> None:
    renderer = SceneRenderer(160, 120)
    renderer.set_points(point_layer(grid_points_m(), (-0.3, 0.3)))
    renderer.set_wireframes({"box:a": box_wireframe(Box([0, 0, 0.75], [4, 2, 1.5], 0.2), np.zeros(3), (1, 0, 0))})
    renderer.fit_camera()
    assert renderer.geometry_names == ["box:a", POINTS_NAME]
    try:
        image = renderer.render()
        assert image.shape == (120, 160, 3) and image.dtype == np.uint8
        assert len(np.unique(image.reshape(-1, 3), axis=0)) > 10
        assert np.any((image[:, :, 0] > 200) & (image[:, :, 1] < 60))  # the red box lines
        renderer.set_wireframes({})
        renderer.resize(96, 64)
        small = renderer.render()
        assert small.shape == (64, 96, 3)
        assert not np.any((small[:, :, 0] > 200) & (small[:, :, 1] < 60))  # box removed
    finally:
        renderer.close()


def test_frame_scene_tracks_the_frame_without_rendering() -> None:
    frames = [Frame(i, 0.1 * i, loader=lambda i=i: grid_points_m()[: 100 * (i + 1)]) for i in range(2)]
    project = Project(Sequence("s", frames))
    project.execute(commands.create_track(project, "vehicle.car", 1, Box([0, 0, 0], [4, 2, 1.5])))
    scene = FrameScene(project, SceneRenderer(64, 48))
    scene.show_frame(0)
    assert (scene.frame_index, scene.n_points, scene.n_boxes) == (0, 100, 0)
    scene.show_frame(1)
    assert (scene.n_points, scene.n_boxes) == (200, 1)
    assert len(scene.renderer.geometry_names) == 2
    with pytest.raises(IndexError):
        scene.show_frame(2)


def test_a_frame_that_fails_to_load_is_shown_empty() -> None:
    def broken() -> np.ndarray:
        raise OSError("disk on fire")

    project = Project(Sequence("s", [Frame(0, 0.0, loader=grid_points_m), Frame(1, 0.1, loader=broken)]))
    scene = FrameScene(project, SceneRenderer(64, 48))
    scene.show_frame(0)
    with pytest.raises(FrameLoadError, match="frame 2: could not load points: disk on fire"):
        scene.show_frame(1)
    assert (scene.frame_index, scene.n_points) == (1, 0)
