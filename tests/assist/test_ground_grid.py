"""The local ground under the pre-annotation's clusters: a patch of 'ground' on a wall top
or a roof is no road."""

from __future__ import annotations

import numpy as np

from sweeplabel.assist.classify import PreannotateParams
from sweeplabel.assist.preannotate import GroundGrid


def test_a_raised_patch_of_ground_is_refilled_from_the_road_but_a_ramp_is_kept():
    rng = np.random.default_rng(0)
    # the road measured up to 24 m (beyond: occluded), a few 'ground' points 3 m up at 30-33 m
    road = np.column_stack([rng.uniform(0, 24, 4000), rng.uniform(-10, 10, 4000), np.full(4000, -1.7)])
    roof = np.column_stack([rng.uniform(30, 33, 30), rng.uniform(-1, 1, 30), np.full(30, 1.3)])
    p = PreannotateParams()
    grid = GroundGrid(np.vstack([road, roof]), p.ground_cell_m, p.ground_max_step_m, p.ground_max_grade)
    assert abs(grid.height_at(np.array([[31.5, 0.0]]))[0] + 1.7) < 0.3  # the road's height there
    unchecked = GroundGrid(np.vstack([road, roof]), p.ground_cell_m, p.ground_max_step_m, None)
    assert unchecked.height_at(np.array([[31.5, 0.0]]))[0] > 0.0  # (without the grade check: the roof)
    x = rng.uniform(0, 40, 4000)
    ramp = np.column_stack([x, rng.uniform(-10, 10, 4000), -1.7 + 0.08 * x])  # an 8 % street
    hill = GroundGrid(ramp, p.ground_cell_m, p.ground_max_step_m, p.ground_max_grade)
    assert abs(hill.height_at(np.array([[35.0, 0.0]]))[0] - (-1.7 + 0.08 * 35.0)) < 0.3
