"""The first step without poses crops the new frame once for the scene shift and both searches:
where ``_covers`` says the crop holds a search's region, the search sees exactly the points it
would have cut from the whole sweep."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from sweeplabel.assist.propagation import SCENE_RADIUS_M, PropagationParams, _covers, _sensor_crop
from sweeplabel.model import Box, Frame

_SWEEP = np.random.default_rng(0).uniform([-60, -60, -3, 0], [60, 60, 5, 1], (60_000, 4)).astype(np.float32)
_FRAME = Frame(0, 0.0, np.eye(4), lambda: _SWEEP, None, {})


@settings(max_examples=60, deadline=None)
@given(x=st.floats(-30, 30), y=st.floats(-30, 30), dx=st.floats(-8, 8), dy=st.floats(-8, 8),
       margin=st.floats(1.0, 8.0), length=st.floats(0.4, 12.0))
def test_a_covered_search_sees_the_points_of_the_whole_sweep(x, y, dx, dy, margin, length) -> None:
    box = Box([x, y, 0.8], [length, 0.6 + 0.2 * length, 1.6], 0.3)
    pred = box.translated(np.array([dx, dy, 0.0]))
    reach = SCENE_RADIUS_M + PropagationParams().max_scene_shift_m
    local = _sensor_crop(_FRAME, box, reach, None)
    if _covers(box, pred, margin + 4.0, reach):
        assert np.array_equal(_sensor_crop(_FRAME, pred, margin + 4.0, local),
                              _sensor_crop(_FRAME, pred, margin + 4.0, None))


def test_covers_a_typical_first_step_and_not_a_search_beyond_the_crop() -> None:
    car = Box([12.0, -4.0, 0.8], [4.5, 1.8, 1.6], 0.0)
    reach = SCENE_RADIUS_M + PropagationParams().max_scene_shift_m
    assert _covers(car, car.translated(np.array([-2.5, 0.4, 0.0])), 7.5 + 4.0, reach)  # SUSTech: ego 2.5 m, 7.5 m search
    assert not _covers(car, car.translated(np.array([-8.0, 0.0, 0.0])), 12.0 + 4.0, reach)
