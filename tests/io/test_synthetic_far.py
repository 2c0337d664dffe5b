"""The generator's far range and roadside (``io/synthetic/roadside.py``): far clutter with the
depth and size of real far clutter, plants by parked cars, cars with depth steps; off unless asked."""

import json
from dataclasses import replace

import numpy as np

from sweeplabel.assist.classify import PreannotateParams
from sweeplabel.assist.preannotate import detect_frame
from sweeplabel.io import read_sequence
from sweeplabel.io.synthetic import LidarConfig, SceneConfig, Surface, generate_sequence
from sweeplabel.io.synthetic.clutter import realistic_lidar, realistic_scene
from sweeplabel.io.synthetic.roadside import far_realistic_lidar, far_realistic_scene
from sweeplabel.io.synthetic.scene import build_scene
from sweeplabel.kernels import GroundSegmenter


def test_the_roadside_is_off_unless_asked_and_adds_to_the_realistic_street():
    real, far = build_scene(realistic_scene(), 2.0, seed=7), build_scene(far_realistic_scene(), 2.0, seed=7)
    assert np.array_equal(far.clutter[: len(real.clutter)], real.clutter)  # the same street, more on it
    added = far.clutter_surface[len(real.clutter):]
    assert len(added) > 100 and {int(Surface.VEGETATION), int(Surface.BUILDING), int(Surface.FURNITURE)} <= set(
        added.tolist())
    assert len(build_scene(SceneConfig(), 2.0, seed=7).clutter) == 0
    cars = [a for a in far.actors if a.category == "vehicle.car"]
    assert cars and all(len(a.parts) == 3 for a in cars)  # bumper-high body, set-back upper body, cabin
    glass = build_scene(replace(far_realistic_scene(), glass_cabin_share=1.0), 2.0, seed=7)
    assert all(len(a.parts) == 8 for a in glass.actors if a.category == "vehicle.car")  # roof, 4 pillars, seats
    assert all(len(a.parts) == 2 for a in real.actors if a.category == "vehicle.car")


def test_plants_stand_behind_or_over_some_parked_cars():
    scene = build_scene(replace(far_realistic_scene(), roadside_per_100m=0.0, clutter_per_100m=0.0,
                                hedge_parking=1.0), 2.0, seed=3)
    leaves = scene.clutter[scene.clutter_surface == Surface.VEGETATION]
    parked = [a for a in scene.actors if a.category == "vehicle.car" and a.speed_mps == 0.0
              and abs(a.y0_m) < scene.config.road_half_width_m]
    near = [a for a in parked if (np.hypot(leaves[:, 0] - a.x0_m, leaves[:, 1] - a.y0_m) < 4.0).any()]
    assert len(parked) > 10 and len(near) >= 0.9 * len(parked)


def test_far_clutter_is_as_deep_and_long_as_a_real_streets(tmp_path):
    """Background candidates of 5-40 points at 40-150 m: on real streets (AV2, KITTI tracking 0000,
    nuScenes) they are 0.66-1.06 m long and 0.21-0.29 m deep (medians); the realistic street's were
    columns (0.03 m long, 0.00 m deep)."""
    params = PreannotateParams(far_max_range_m=160.0)
    seg = GroundSegmenter(method=params.ground_method)

    def far_background(lidar, scene):
        folder = generate_sequence(tmp_path / str(len(list(tmp_path.iterdir()))), frames=1, seed=200,
                                   lidar=lidar(LidarConfig(beams=64)), scene=scene)
        loaded = read_sequence(folder)
        frame = loaded.sequence[0]
        boxes = [a.box for a in loaded.annotations]
        sizes = []
        for d in detect_frame(frame, seg, params):
            c = d.payload.points_m[:, :3].mean(axis=0)
            centre = c + d.payload.origin_m
            if not (5 <= d.num_points <= 40 and 40 <= np.hypot(c[0], c[1]) <= 150):
                continue
            if any(b.with_size(b.size_lwh_m + np.array([0.6, 0.6, 10.0])).contains(centre[None])[0] for b in boxes):
                continue
            sizes.append(sorted(d.box.size_lwh_m[:2])[::-1])
        return np.median(np.array(sizes), axis=0)

    before = far_background(realistic_lidar, realistic_scene())
    after = far_background(far_realistic_lidar, far_realistic_scene())
    assert before[0] < 0.2 and before[1] < 0.02
    assert after[0] > 0.4 and after[1] > 0.03


def test_a_sequence_without_the_new_settings_records_none_of_them(tmp_path):
    folder = generate_sequence(tmp_path / "plain", frames=1, beams=32, seed=1)
    meta = json.loads((folder / "sequence.json").read_text())
    assert "stepped_cars" not in meta["generator"]["scene"] and "range_noise_per_100m" not in meta["lidar"]
    far = generate_sequence(tmp_path / "far", frames=1, seed=1, lidar=far_realistic_lidar(LidarConfig(beams=32)),
                            scene=far_realistic_scene())
    meta = json.loads((far / "sequence.json").read_text())
    assert meta["generator"]["scene"]["stepped_cars"] is True and meta["lidar"]["range_noise_per_100m"] > 0
