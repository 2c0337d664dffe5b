"""One-click wherever a user clicks on a real sweep: a box or nothing, never an exception
(a click just beside a cluster, on the road, in the air between objects)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sweeplabel.assist.class_prior import prior_for
from sweeplabel.assist.one_click import propose_box
from sweeplabel.io import read_sequence
from sweeplabel.model import Project
from support import editor_points

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="module")
def av2_frame():
    root = SHARED_DATA / "av2_sensor_sample"
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    loaded = read_sequence(root)
    frame = loaded.sequence[0]
    origin = loaded.sequence.render_origin_m
    pts, ground, sensor = editor_points(frame, origin)
    return pts, ground, sensor, Project(loaded.sequence).schema


@pytest.mark.parametrize("category", ["vehicle.car", "vehicle.truck", "human.pedestrian.adult"])
def test_clicks_beside_every_cluster_give_a_box_or_none(av2_frame, category) -> None:
    pts, ground, sensor, schema = av2_frame
    prior = prior_for(schema, category)
    default = np.asarray(schema.category(category).default_size_lwh_m)
    rng = np.random.default_rng(7)
    objects = np.flatnonzero(~ground & (np.hypot(*(pts[:, :2] - sensor[:2]).T) < 60.0))
    seeds = pts[rng.choice(objects, 60, replace=False), :3].astype(np.float64)
    # beside the points (up to a class's size away) and on them
    seeds = np.vstack([seeds, seeds + np.c_[rng.uniform(-3.0, 3.0, (60, 2)), np.zeros(60)]])
    for seed in seeds:
        box = propose_box(pts, seed, default, ground_mask=ground, sensor_xy_m=sensor[:2], prior=prior,
                          sensor_z_m=float(sensor[2]))
        assert box is None or np.all(np.isfinite(box.to_array()))


def test_rectangles_anywhere_give_a_box_or_none(av2_frame) -> None:
    from sweeplabel.assist.one_click import fit_region

    pts, ground, sensor, schema = av2_frame
    prior = prior_for(schema, "vehicle.car")
    rng = np.random.default_rng(11)
    for _ in range(60):
        lo = sensor[:2] + rng.uniform(-40.0, 40.0, 2)
        hi = lo + rng.uniform(0.05, 6.0, 2)  # from a sliver holding nothing to a car's size
        inside = np.all((pts[:, :2] >= lo) & (pts[:, :2] <= hi), axis=1)
        box = fit_region(pts, inside, ground_mask=ground, prior=prior, sensor_xy_m=sensor[:2],
                         sensor_z_m=float(sensor[2]))
        assert box is None or np.all(np.isfinite(box.to_array()))
