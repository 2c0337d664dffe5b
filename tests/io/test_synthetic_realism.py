"""The generator's realism options: street furniture and vegetation without ground truth,
vans, trucks and standing people with it, far returns thinning out, leaf scatter."""

from dataclasses import replace

import numpy as np

from sweeplabel.io import read_sequence
from sweeplabel.io.synthetic import LidarConfig, SceneConfig, Surface, generate_sequence
from sweeplabel.io.synthetic.clutter import realistic_lidar, realistic_scene
from sweeplabel.io.synthetic.lidar import simulate_sweep
from sweeplabel.io.synthetic.scene import build_scene


def test_a_realistic_street_holds_clutter_vans_trucks_and_standing_people():
    scene = build_scene(realistic_scene(), 2.0, seed=4)
    surfaces = set(scene.clutter_surface.tolist())
    assert {int(Surface.VEGETATION), int(Surface.FURNITURE)} <= surfaces
    cats = {a.category for a in scene.actors}
    assert {"vehicle.van", "vehicle.truck", "vehicle.car", "human.pedestrian.adult"} <= cats
    standing = [a for a in scene.actors if a.attributes.get("activity") == "pedestrian.standing"]
    assert standing and all(a.speed_mps == 0.0 for a in standing)
    plain = build_scene(SceneConfig(), 2.0, seed=4)
    assert len(plain.clutter) == 0 and {a.category for a in plain.actors} == {
        "vehicle.car", "vehicle.cyclist", "human.pedestrian.adult"}


def test_far_returns_thin_out_and_clutter_has_no_ground_truth(tmp_path):
    scene = build_scene(realistic_scene(), 1.0, seed=5)
    base = LidarConfig(beams=32)
    T = scene.T_world_sensor(0.0, base.mounting_height_m)
    plain = simulate_sweep(scene, base, 0.0, T, np.random.default_rng(1))
    real = simulate_sweep(scene, realistic_lidar(base), 0.0, T, np.random.default_rng(1))
    far = lambda s: int((np.linalg.norm(s.points[:, :2], axis=1) > 40).sum())  # noqa: E731
    near = lambda s: int((np.linalg.norm(s.points[:, :2], axis=1) < 10).sum())  # noqa: E731
    assert far(real) < 0.9 * far(plain) and near(real) > 0.9 * near(plain)
    folder = generate_sequence(tmp_path / "real", frames=1, seed=5, lidar=realistic_lidar(base),
                               scene=realistic_scene())
    loaded = read_sequence(folder)
    assert {t.category for t in loaded.tracks} >= {"vehicle.car", "vehicle.van"}
    assert {t.category for t in loaded.tracks} <= {a.category for a in scene.actors}  # clutter is no track


def test_parked_bicycles_stand_on_the_sidewalk_without_riders():
    config = replace(realistic_scene(), parked_bicycles=3)
    scene = build_scene(config, 2.0, seed=4)
    bikes = [a for a in scene.actors if a.category == "vehicle.bicycle"]
    assert bikes and all(a.speed_mps == 0.0 and a.attributes == {"rider": "cycle.without_rider"} for a in bikes)
    assert all(abs(a.y0_m) > config.road_half_width_m and a.size_lwh_m[2] < 1.3 for a in bikes)  # low: no rider
    assert not [a for a in build_scene(realistic_scene(), 2.0, seed=4).actors if a.category == "vehicle.bicycle"]
