"""The ground past the measured road: a far car stands on the road plane extrapolated, not on the
ground height near the sensor."""

from __future__ import annotations

import numpy as np

from sweeplabel.assist.classify import PreannotateParams
from sweeplabel.assist.object_view import points_about
from sweeplabel.assist.preannotate import GroundGrid, local_ground
from sweeplabel.io import read_sequence
from sweeplabel.kernels import GroundSegmenter


def _climbing_road(grade: float = 0.03, reach_m: float = 30.0) -> np.ndarray:
    rng = np.random.default_rng(0)
    xy = rng.uniform(-reach_m, reach_m, size=(6000, 2))
    return np.column_stack([xy, -1.7 + grade * xy[:, 0] + rng.normal(0, 0.02, len(xy))])


def test_far_beyond_the_measured_road_the_ground_follows_the_road_plane():
    """A street climbing 3 %, its ground measured within 30 m: 90 m out it lies 2.7 m higher; the
    median of the near ground said it was level."""
    road = _climbing_road()
    far = np.array([[90.0, 0.0]])
    truth = -1.7 + 0.03 * 90.0
    assert abs(GroundGrid(road, 2.0, 0.5, 0.15, far_from_plane=True).height_at(far)[0] - truth) < 0.2
    assert abs(GroundGrid(road, 2.0, 0.5, 0.15).height_at(far)[0] - truth) > 2.0
    near = np.array([[10.0, 5.0]])  # the measured ground is left as it was
    assert abs(GroundGrid(road, 2.0, 0.5, 0.15, far_from_plane=True).height_at(near)[0] - (-1.7 + 0.3)) < 0.1


def _av2_frame(shared_data, index: int):
    loaded = read_sequence(shared_data / "av2_sensor_sample")
    cats = {t.token: t.category for t in loaded.tracks}
    cars = [a.box for a in loaded.annotations if a.frame_index == index and cats[a.track_token] == "vehicle.car"]
    return loaded.sequence[index], cars


def test_av2_cars_90_to_110_m_away_stand_on_the_ground_the_grid_gives_them(shared_data):
    """Argoverse 2 sweep 0: the cars at 85-110 m (5-12 points each, on a street climbing away from
    the sensor) stood 2.5-3 m above the ground the grid gave them; now within 0.7 m."""
    frame, cars = _av2_frame(shared_data, 0)
    origin = frame.T_world_sensor[:3, 3]
    sensor = frame.load_points()
    ground = GroundSegmenter(method="patchwork").segment(np.ascontiguousarray(sensor, dtype=np.float32))
    pts = points_about(frame, origin, sensor)
    now = local_ground(pts, ground, PreannotateParams())
    before = local_ground(pts, ground, PreannotateParams(ground_far_from_plane=False))
    far = [b.translated(-origin) for b in cars if 85.0 < np.hypot(*(b.center_m - origin)[:2]) < 110.0]
    assert len(far) >= 3
    bottoms = np.array([b.center_m[2] - 0.5 * b.size_lwh_m[2] for b in far])
    xy = np.array([b.center_m[:2] for b in far])
    assert np.all(np.abs(bottoms - now.height_at(xy)) < 0.7)
    assert np.all(np.abs(bottoms - before.height_at(xy)) > 2.0)
