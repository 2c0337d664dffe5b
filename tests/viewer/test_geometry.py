"""Model -> render arrays (pure functions; nothing is rendered here)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweeplabel.model import BOX_EDGES, Box, Frame, Project, Sequence, commands
from sweeplabel.viewer import (
    WIREFRAME_EDGES,
    annotation_wireframes,
    box_geometry_name,
    box_wireframe,
    height_colors,
    height_range_m,
    point_layer,
    to_render_frame,
)

UTM_ORIGIN_M = np.array([500_000.0, 5_400_000.0, 100.0])


def pose(translation_m: np.ndarray, yaw_rad: float = 0.0) -> np.ndarray:
    c, s = math.cos(yaw_rad), math.sin(yaw_rad)
    T = np.eye(4)
    T[:2, :2] = [[c, -s], [s, c]]
    T[:3, 3] = translation_m
    return T


def test_render_frame_keeps_centimetres_at_utm_coordinates() -> None:
    rng = np.random.default_rng(0)
    points_sensor_m = rng.uniform(-80.0, 80.0, size=(5000, 4)).astype(np.float32)
    T = pose(UTM_ORIGIN_M + [12.345, -6.789, 0.5], yaw_rad=0.3)
    xyz = to_render_frame(points_sensor_m, T, UTM_ORIGIN_M)

    exact_m = points_sensor_m[:, :3].astype(np.float64) @ T[:3, :3].T + T[:3, 3] - UTM_ORIGIN_M
    assert xyz.dtype == np.float32 and xyz.shape == (5000, 3)
    assert np.max(np.abs(xyz - exact_m)) < 1e-4  # far below a centimetre
    naive_m = (exact_m + UTM_ORIGIN_M).astype(np.float32).astype(np.float64) - UTM_ORIGIN_M
    assert np.max(np.abs(naive_m - exact_m)) > 0.1  # what casting world coordinates would lose


def test_render_frame_applies_the_pose() -> None:
    T = pose([10.0, 0.0, 0.0], yaw_rad=math.pi / 2)
    xyz = to_render_frame(np.array([[1.0, 0.0, 2.0]], np.float32), T, np.array([10.0, 0.0, 0.0]))
    np.testing.assert_allclose(xyz, [[0.0, 1.0, 2.0]], atol=1e-6)


def test_box_wireframe_has_twelve_edges_and_a_heading_line() -> None:
    box = Box(UTM_ORIGIN_M + [5.0, 2.0, -0.9], [4.0, 2.0, 1.5], 0.4)
    wire = box_wireframe(box, UTM_ORIGIN_M, (1.0, 0.5, 0.0))

    assert wire.edges.shape == (13, 2) and wire.colors_rgb.shape == (13, 3)
    assert [tuple(e) for e in wire.edges[:12]] == list(BOX_EDGES)
    assert wire.vertices_m.dtype == np.float32
    np.testing.assert_allclose(wire.vertices_m[:8], box.corners() - UTM_ORIGIN_M, atol=1e-4)
    start, end = wire.vertices_m[wire.edges[12]]
    np.testing.assert_allclose(start, box.center_m - UTM_ORIGIN_M, atol=1e-4)
    front_face_center = wire.vertices_m[[0, 1, 4, 5]].mean(axis=0)
    np.testing.assert_allclose(end, front_face_center, atol=1e-4)
    np.testing.assert_allclose(end - start, box.heading_vector() * 2.0, atol=1e-4)
    np.testing.assert_allclose(wire.colors_rgb, np.tile([1.0, 0.5, 0.0], (13, 1)))
    np.testing.assert_array_equal(WIREFRAME_EDGES, wire.edges)


def test_annotation_wireframes_are_named_and_coloured_by_class() -> None:
    project = Project(Sequence("s", [Frame(i, 0.1 * i, pose(UTM_ORIGIN_M)) for i in range(2)]))
    car = Box(UTM_ORIGIN_M + [5.0, 0.0, -1.0], [4.5, 1.9, 1.6], 0.0)
    walker = Box(UTM_ORIGIN_M + [3.0, 4.0, -1.0], [0.7, 0.7, 1.8], 1.0)
    project.execute(commands.create_track(project, "vehicle.car", 0, car))
    project.execute(commands.create_track(project, "human.pedestrian.adult", 0, walker))

    wires = annotation_wireframes(project, 0)
    assert annotation_wireframes(project, 1) == {}
    assert len(wires) == 2
    for ann in project.annotations_in_frame(0):
        category = project.schema.category(project.track(ann.track_token).category)
        wire = wires[box_geometry_name(ann.token)]
        np.testing.assert_allclose(wire.colors_rgb[0], category.color_rgb, atol=1e-6)
        np.testing.assert_allclose(wire.vertices_m[:8], ann.box.corners() - UTM_ORIGIN_M, atol=1e-4)
    colours = {tuple(np.round(w.colors_rgb[0], 4)) for w in wires.values()}
    assert len(colours) == 2


def test_height_colours_follow_the_range() -> None:
    z_m = np.array([-5.0, -2.0, 0.0, 2.0, 9.0])
    colors = height_colors(z_m, (-2.0, 2.0))
    assert colors.shape == (5, 3) and colors.dtype == np.float32
    assert np.all((colors >= 0.0) & (colors <= 1.0))
    np.testing.assert_array_equal(colors[0], colors[1])  # clipped below
    np.testing.assert_array_equal(colors[3], colors[4])  # clipped above
    assert len({tuple(c) for c in colors[1:4]}) == 3

    lo, hi = height_range_m(np.full(100, 1.0))
    assert hi - lo >= 0.5  # a flat cloud still gets a usable range

    layer = point_layer(np.array([[0.0, 0.0, -2.0], [1.0, 0.0, 2.0]]), (-2.0, 2.0))
    assert layer.xyz_m.dtype == np.float32 and len(layer) == 2
    assert not np.array_equal(layer.colors_rgb[0], layer.colors_rgb[1])


@pytest.mark.parametrize("n_points", [0, 3])
def test_points_of_an_empty_or_tiny_frame(n_points: int) -> None:
    xyz = to_render_frame(np.zeros((n_points, 3), np.float32), np.eye(4), np.zeros(3))
    assert xyz.shape == (n_points, 3)
