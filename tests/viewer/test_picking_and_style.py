"""Screen <-> scene maths, point styles and frame data (pure NumPy; no rendering)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweeplabel.model import Box, Frame, Project, Sequence, commands
from sweeplabel.viewer import (
    ColorMode,
    DisplayOptions,
    FrameData,
    FrameScene,
    OrbitCamera,
    SceneRenderer,
    camera_ray,
    decimated,
    load_frame_data,
    pick_box,
    points_in_box_mask,
    project_points_px,
    ray_box_hit_m,
    ray_plane_z,
    styled_layer,
    view_proj_matrix,
)
from sweeplabel.viewer.geometry import point_layer
from sweeplabel.viewer.point_style import HIGHLIGHT_RGB

SIZE_PX = (640, 480)


@pytest.mark.parametrize("elevation_deg", [20.0, 90.0])
def test_ray_and_projection_agree(elevation_deg: float) -> None:
    cam = OrbitCamera(target=np.array([3.0, -2.0, 0.5]), distance_m=30.0, azimuth_rad=0.7,
                      elevation_rad=math.radians(elevation_deg))
    vp = view_proj_matrix(cam, SIZE_PX)
    centre = project_points_px(cam.target[None], vp, SIZE_PX)[0]
    np.testing.assert_allclose(centre, [320, 240], atol=1e-6)
    for x, y in [(10, 20), (600, 400), (320, 17)]:
        origin, direction = camera_ray(cam, x, y, SIZE_PX)
        point = origin + 12.0 * direction
        np.testing.assert_allclose(project_points_px(point[None], vp, SIZE_PX)[0], [x, y], atol=1e-6)
    behind = cam.eye() + cam.view_direction()
    assert np.isnan(project_points_px(behind[None], vp, SIZE_PX)).all()


def test_ray_box_hits_the_nearest_box() -> None:
    near, far = Box([10, 0, 0], [2, 2, 2], 0.3), Box([20, 0, 0], [4, 2, 2])
    origin, direction = np.zeros(3), np.array([1.0, 0.0, 0.0])
    assert ray_box_hit_m(origin, direction, near) == pytest.approx(9.0, abs=0.2)
    assert ray_box_hit_m(origin, -direction, near) is None
    assert ray_box_hit_m(np.array([10.0, 0, 0]), direction, near) == 0.0  # from inside
    assert pick_box(origin, direction, {"far": far, "near": near}) == "near"
    assert pick_box(origin, np.array([0.0, 1.0, 0.0]), {"far": far}) is None
    hit = ray_plane_z(np.array([0.0, 0, 10]), np.array([0.0, 0.6, -0.8]), 2.0)
    np.testing.assert_allclose(hit, [0, 6, 2])


def _data() -> FrameData:
    rng = np.random.default_rng(0)
    xyz = rng.uniform(-20, 20, (5000, 3)).astype(np.float32)
    ground = xyz[:, 2] < -10
    return FrameData(0, xyz, rng.uniform(0, 1, 5000).astype(np.float32), ground, np.zeros(3))


def test_styles_hide_ground_limit_range_and_highlight() -> None:
    data = _data()
    box = Box([0, 0, 0], [6, 4, 4], 0.4)
    inside = points_in_box_mask(data.xyz_m, box)
    np.testing.assert_array_equal(inside, box.contains(data.xyz_m))
    layer = styled_layer(data, DisplayOptions(), (-20, 20), highlight=inside)
    assert len(layer) == 5000 and np.all(layer.colors_rgb[inside] == HIGHLIGHT_RGB)
    hidden = styled_layer(data, DisplayOptions(hide_ground=True, range_limit_m=10.0), (-20, 20))
    expected = (~data.ground) & (np.hypot(data.xyz_m[:, 0], data.xyz_m[:, 1]) <= 10.0)
    assert len(hidden) == expected.sum()
    labels = np.where(inside, 0, -1).astype(np.int32)
    by_class = styled_layer(data, DisplayOptions(color_mode=ColorMode.CLASS), (-20, 20), box_labels=labels,
                            box_rgb=np.array([[1.0, 0.0, 0.0]]))
    assert np.all(by_class.colors_rgb[inside] == [1, 0, 0]) and not np.any(np.all(by_class.colors_rgb[~inside] == [1, 0, 0], axis=1))
    ground_mode = styled_layer(data, DisplayOptions(color_mode=ColorMode.GROUND), (-20, 20))
    assert len(np.unique(ground_mode.colors_rgb, axis=0)) == 2
    assert len(decimated(layer, 1000)) <= 1000 and decimated(layer, 10_000) is layer


def test_frame_data_and_scene_selection_without_rendering() -> None:
    rng = np.random.default_rng(1)
    ground = np.column_stack([rng.uniform(-15, 15, (4000, 2)), np.full(4000, -1.8)]).astype(np.float32)
    car = (rng.uniform(-1, 1, (600, 3)) * [2.2, 0.9, 0.7] + [8, 3, -1.0]).astype(np.float32)
    frame = Frame(0, 0.0, loader=lambda: np.vstack([ground, car]))
    project = Project(Sequence("s", [frame]))
    project.execute(commands.create_track(project, "vehicle.car", 0, Box([8, 3, -1.0], [4.6, 2.0, 1.6])))
    data = load_frame_data(project.sequence, 0, project.annotations_in_frame(0))
    assert data.ground[:4000].mean() > 0.9 and data.ground[4000:].mean() < 0.1
    assert (data.box_labels[4000:] == 0).all() and (data.box_labels[:4000] == -1).mean() > 0.95
    scene = FrameScene(project, SceneRenderer(64, 48))
    scene.show_data(data)
    token = project.annotations_in_frame(0)[0].token
    scene.select(token)
    assert scene.n_in_selected >= 600
    scene.set_options(DisplayOptions(hide_ground=True))
    assert scene.n_points < 1000
    assert [a[0] for a in scene.label_anchors()] == ["0"]


@pytest.mark.gui
def test_moving_camera_draws_the_decimated_cloud() -> None:
    rng = np.random.default_rng(2)
    xyz = rng.uniform(-10, 10, (20_000, 3)).astype(np.float32)
    renderer = SceneRenderer(96, 64)
    renderer.lod_budget = 2_000
    renderer.set_points(point_layer(xyz, (-10, 10)))
    assert "points:lod" in renderer.geometry_names
    renderer.fit_camera()
    try:
        full = renderer.render()
        renderer.interactive = True
        moving = renderer.render()
        assert moving.shape == full.shape
        background = full[0, 0]
        lit = lambda img: np.any(img != background, axis=-1).sum()  # noqa: E731
        assert 0 < lit(moving) < lit(full)  # fewer points drawn while moving
    finally:
        renderer.close()
