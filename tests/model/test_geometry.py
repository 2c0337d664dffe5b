import math

import numpy as np
import pytest

from sweeplabel.model import Box, angle_diff, invert_transform, transform_points, wrap_angle
from sweeplabel.model.geometry import make_transform, rotation_z


def test_corners_follow_yaw_and_size():
    box = Box([10.0, -2.0, 1.0], [4.0, 2.0, 1.5], math.pi / 2)
    c = box.corners()
    assert c.shape == (8, 3)
    # length runs along +y when yaw = 90 degrees
    assert np.allclose(np.ptp(c[:, 0]), 2.0)
    assert np.allclose(np.ptp(c[:, 1]), 4.0)
    assert np.allclose(np.ptp(c[:, 2]), 1.5)
    # the front corners (0, 1) are ahead of the centre along the heading
    assert np.all(c[[0, 1, 4, 5], 1] > box.center_m[1])


def test_contains_is_inclusive_and_rotated():
    box = Box([0, 0, 0], [4, 2, 2], math.pi / 4)
    on_face = box.center_m + box.heading_vector() * 2.0
    outside = box.center_m + box.heading_vector() * 2.01
    sideways = np.array([np.cos(3 * math.pi / 4), np.sin(3 * math.pi / 4), 0]) * 1.5
    mask = box.contains(np.array([on_face, outside, sideways, [0, 0, 0]]))
    assert mask.tolist() == [True, False, False, True]


def test_yaw_is_wrapped_and_diff_is_shortest():
    assert Box([0, 0, 0], [1, 1, 1], 3 * math.pi).yaw_rad == pytest.approx(-math.pi)
    assert angle_diff(math.pi - 0.1, -math.pi + 0.1) == pytest.approx(-0.2)
    assert wrap_angle(2 * math.pi + 0.5) == pytest.approx(0.5)


def test_transformed_round_trip_world_sensor():
    T = make_transform(rotation_z(0.7), np.array([100.0, -50.0, 2.0]))
    box = Box([5.0, 1.0, -0.8], [4.5, 1.9, 1.6], -2.9)
    world = box.transformed(T)
    back = world.transformed(invert_transform(T))
    assert back.isclose(box, 1e-9, 1e-12)
    # points inside stay inside through the same transform
    pts = box.center_m + np.array([[1.0, 0.2, 0.1], [0.0, 0.0, 0.0]])
    assert box.contains(pts).all()
    assert world.contains(transform_points(T, pts)).all()


def test_array_round_trip_and_invalid_input():
    box = Box([1, 2, 3], [4, 5, 6], 0.5)
    assert Box.from_array(box.to_array()) == box
    with pytest.raises(ValueError, match="size_lwh_m"):
        Box([0, 0, 0], [1, -1, 1])
    with pytest.raises(ValueError, match="center_m"):
        Box([0, float("nan"), 0], [1, 1, 1])
    with pytest.raises(ValueError, match="7 values"):
        Box.from_array([1, 2, 3])


def test_resize_anchored_keeps_the_back_face():
    box = Box([0, 0, 0], [4, 2, 2], math.pi / 2)
    grown = box.resized_anchored([1.0, 0, 0], [-1, 0, 0])
    back_before = box.center_m - box.heading_vector() * 2.0
    back_after = grown.center_m - grown.heading_vector() * 2.5
    assert np.allclose(back_before, back_after)
    assert grown.size_lwh_m[0] == 5.0


def test_box_is_immutable():
    box = Box([0, 0, 0], [1, 1, 1])
    with pytest.raises(ValueError):
        box.center_m[0] = 5.0
