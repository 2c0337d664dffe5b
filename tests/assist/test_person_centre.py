"""A person's box stands where the person stands, not a box's half-width behind the seen face."""

from __future__ import annotations

import math

import numpy as np

from sweeplabel.assist.scored import PERSON_RADIUS_M, ScoredPayload, person_centre
from sweeplabel.assist.tracker import Detection
from sweeplabel.model import Box


def _seen_body(axis_xy, radius_m=PERSON_RADIUS_M, n=60):
    """The returns of a round body seen from the origin: its front half, evenly spread across."""
    axis = np.asarray(axis_xy, dtype=np.float64)
    ray = axis / np.linalg.norm(axis)
    side = np.array([-ray[1], ray[0]])
    u = np.linspace(-0.95, 0.95, n)  # across the body, as the beams fall
    xy = axis[None] + u[:, None] * radius_m * side - np.sqrt(1 - u ** 2)[:, None] * radius_m * ray
    z = np.linspace(-1.6, 0.0, n)
    return np.column_stack([xy, z]).astype(np.float32)


def test_the_centre_of_a_person_seen_from_one_side_is_on_the_body_axis():
    origin = np.array([100.0, 50.0, 1.7])
    for axis in ([25.0, 0.0], [18.0, -21.0]):
        pts = _seen_body(axis)
        box = Box([origin[0] + axis[0] + 0.4, origin[1] + axis[1], 0.9], [0.8, 0.66, 1.75], 0.0)
        det = Detection(box, None, len(pts), ScoredPayload(pts, origin, -1.7))
        centre = person_centre(det, box)
        assert math.hypot(*(centre[:2] - origin[:2] - np.asarray(axis))) < 0.05
        assert centre[2] == box.center_m[2]


def _person_det(pts, origin):
    box = Box([0.0, 0.0, 0.9], [0.8, 0.66, 1.75], 0.0).translated(origin)
    return Detection(box, None, len(pts), ScoredPayload(pts, origin, -1.7)), box


def test_a_person_box_holds_the_points_within_a_body_and_a_walker_holds_a_stride():
    from sweeplabel.assist.scored import PERSON_MARGIN_M, PERSON_STRIDE_M, person_box

    origin = np.array([10.0, -4.0, 1.7])
    rng = np.random.default_rng(0)
    core = rng.uniform([-0.2, -0.15, -1.5], [0.2, 0.15, 0.0], size=(40, 3))  # 0.4 x 0.3 m seen
    pts = (core + [20.0, 3.0, 0.0]).astype(np.float32)
    det, box = _person_det(pts, origin)
    standing = person_box(det, None, box)
    held = pts[:, :2] + origin[:2]
    assert np.allclose(standing.center_m[:2], 0.5 * (held.min(0) + held.max(0)), atol=0.03)
    assert max(standing.size_lwh_m[:2]) <= 0.4 + PERSON_MARGIN_M + 0.05  # not a class-sized box
    assert standing.size_lwh_m[2] == box.size_lwh_m[2]
    walking = person_box(det, 0.0, box, walking=True)
    assert walking.size_lwh_m[0] >= PERSON_STRIDE_M  # both feet, a step apart, along its travel
    far = person_box(_person_det(pts[:4], origin)[0], None, box)  # four returns: a body's bounds
    assert min(far.size_lwh_m[:2]) >= 0.4 - 1e-9
