"""The road extrapolated from the ground near the sensor, and vehicles off any road."""

from __future__ import annotations

import numpy as np

from sweeplabel.assist.road_plane import clearance_m, fit_road_plane, road_height


def _road(rng, grade=0.03, n=4000, reach_m=30.0):
    xy = rng.uniform(-reach_m, reach_m, size=(n, 2))
    z = -1.7 + grade * xy[:, 0] + rng.normal(0, 0.02, n)
    return np.column_stack([xy, z])


def test_a_climbing_road_extrapolates_and_a_raised_sidewalk_does_not_tilt_it():
    rng = np.random.default_rng(0)
    road = _road(rng)
    kerb = np.column_stack([rng.uniform(5, 15, 300), rng.uniform(8, 12, 300), np.full(300, -1.2)])  # +0.5 m
    coef = fit_road_plane(np.vstack([road, kerb]))
    assert abs(road_height(coef, np.array([[66.0, 0.0]]))[0] - (-1.7 + 0.03 * 66)) < 0.15  # 66 m out


def test_clearance_of_a_car_on_the_road_and_a_line_on_a_wall_top():
    coef = fit_road_plane(_road(np.random.default_rng(1), grade=0.0))
    car = np.array([[60.0, 5.0, -1.4], [61.0, 5.5, -0.3], [62.0, 5.0, -0.5]])  # lowest point 0.3 m up
    line = np.array([[64.0, 20.0, 1.8], [64.5, 21.0, 1.9], [65.0, 22.0, 2.1]])  # 3.5 m up
    assert clearance_m(car, coef) < 0.5
    assert clearance_m(line, coef) > 3.0
    assert np.isnan(clearance_m(car, None))


def test_no_plane_without_ground():
    assert fit_road_plane(np.zeros((0, 3))) is None
