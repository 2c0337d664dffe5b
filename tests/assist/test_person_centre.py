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
