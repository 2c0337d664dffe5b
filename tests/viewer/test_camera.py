"""OrbitCamera: pure geometry of the eye, presets and interaction."""

from __future__ import annotations

import math

import numpy as np

from sweeplabel.viewer import OrbitCamera


def test_eye_up_and_right_form_a_frame() -> None:
    cam = OrbitCamera(target=[1.0, 2.0, 3.0], distance_m=10.0, azimuth_rad=0.7, elevation_rad=0.4)
    np.testing.assert_allclose(np.linalg.norm(cam.eye() - cam.target), 10.0)
    for a, b in [(cam.up(), cam.view_direction()), (cam.right(), cam.up()), (cam.right(), cam.view_direction())]:
        assert abs(np.dot(a, b)) < 1e-12
    assert cam.up()[2] > 0


def test_default_looks_along_plus_x_and_birds_eye_keeps_x_up_on_screen() -> None:
    cam = OrbitCamera()
    assert cam.eye()[0] < 0 and cam.eye()[2] > 0  # behind and above the target
    np.testing.assert_allclose(cam.right(), [0.0, -1.0, 0.0], atol=1e-12)  # +y (left) is screen-left
    cam.birds_eye()
    np.testing.assert_allclose(cam.view_direction(), [0.0, 0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(cam.up(), [1.0, 0.0, 0.0], atol=1e-12)


def test_orbit_clamps_elevation_and_zoom_clamps_distance() -> None:
    cam = OrbitCamera()
    cam.orbit(0.5, 10.0)
    assert math.isclose(cam.elevation_rad, math.pi / 2)
    cam.orbit(0.0, -10.0)
    assert cam.elevation_rad > -math.pi / 2
    cam.zoom(1e-9)
    assert cam.distance_m > 0
    cam.zoom(0.5)
    before = cam.distance_m
    cam.zoom(2.0)
    assert cam.distance_m > before


def test_pan_moves_the_target_across_the_screen() -> None:
    cam = OrbitCamera(distance_m=20.0)
    cam.pan(100.0, 0.0, viewport_height_px=500)
    moved = cam.target
    assert abs(np.dot(moved, cam.view_direction())) < 1e-12
    np.testing.assert_allclose(np.linalg.norm(moved), 100.0 * cam.metres_per_pixel(500))
    assert np.dot(moved, cam.right()) < 0  # the scene follows the cursor to the right


def test_fit_centres_on_the_points_and_sees_them() -> None:
    rng = np.random.default_rng(1)
    xyz = rng.uniform([-10, -5, -2], [30, 15, 2], size=(2000, 3))
    cam = OrbitCamera()
    cam.fit(xyz)
    np.testing.assert_allclose(cam.target, [10.0, 5.0, 0.0], atol=1.0)
    assert 15.0 < cam.distance_m < 100.0
    cam.fit(np.zeros((0, 3)))
    np.testing.assert_array_equal(cam.target, np.zeros(3))
