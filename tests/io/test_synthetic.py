"""The synthetic LiDAR generator: determinism, sensor model, ground truth that matches
the geometry, actor motion."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sweeplabel.io.sequence_folder import read, read_ground_labels
from sweeplabel.io.synthetic import GenerationCancelled, LidarConfig, SceneConfig, generate_sequence
from sweeplabel.io.synthetic.raycast import cast_rays_numba, cast_rays_numpy
from sweeplabel.io.synthetic.scene import Surface, build_scene
from sweeplabel.model import default_schema, transform_points

FRAMES, BEAMS, SEED = 4, 32, 1
DT_S = 0.1


@pytest.fixture(scope="module")
def small_sequence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_sequence(tmp_path_factory.mktemp("synthetic") / "seq", frames=FRAMES, beams=BEAMS, seed=SEED)


@pytest.fixture(scope="module")
def loaded(small_sequence: Path):
    return read(small_sequence)


@pytest.fixture(scope="module")
def scene():
    """The scene the generator built for ``small_sequence`` (same config, duration, seed)."""
    return build_scene(SceneConfig(), FRAMES * DT_S, SEED)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _boxes_by_track(loaded) -> dict[str, list]:
    out: dict[str, list] = {}
    for a in sorted(loaded.annotations, key=lambda a: a.frame_index):
        out.setdefault(a.track_token, []).append(a)
    return out


def test_same_seed_gives_identical_bytes(tmp_path: Path, small_sequence: Path) -> None:
    again = generate_sequence(tmp_path / "again", frames=FRAMES, beams=BEAMS, seed=SEED)
    first, second = _files(small_sequence), _files(again)
    assert sorted(first) == sorted(second)
    assert "sequence.json" in first and "labels/tracks.json" in first and "points/000003.bin" in first
    for name in first:
        assert first[name] == second[name], name


def test_other_seed_gives_other_scene(tmp_path: Path, small_sequence: Path) -> None:
    other = generate_sequence(tmp_path / "other", frames=FRAMES, beams=BEAMS, seed=SEED + 1)
    assert (other / "points/000000.bin").read_bytes() != (small_sequence / "points/000000.bin").read_bytes()
    assert (other / "labels/tracks.json").read_bytes() != (small_sequence / "labels/tracks.json").read_bytes()


@pytest.mark.parametrize("beams, low, high", [(32, 25_000, 60_000), (64, 60_000, 120_000)])
def test_ring_index_and_point_count(tmp_path: Path, beams: int, low: int, high: int) -> None:
    root = generate_sequence(tmp_path / "s", frames=1, beams=beams, seed=3)
    points = read(root).sequence[0].load_points()
    assert points.dtype == np.float32 and points.shape[1] == 5
    assert low <= len(points) <= high
    rings = points[:, 4]
    assert np.array_equal(rings, np.round(rings))
    assert set(np.unique(rings).astype(int)) == set(range(beams))


def test_custom_fov_bounds_the_elevation_of_points(tmp_path: Path) -> None:
    root = generate_sequence(tmp_path / "s", frames=1, beams=32, seed=0, vertical_fov_deg=(-20.0, 0.0),
                             noise_m=0.0)
    pts = read(root).sequence[0].load_points().astype(np.float64)
    elevation_deg = np.degrees(np.arctan2(pts[:, 2], np.hypot(pts[:, 0], pts[:, 1])))
    assert elevation_deg.min() == pytest.approx(-20.0, abs=0.01)
    assert elevation_deg.max() == pytest.approx(0.0, abs=0.01)


def test_points_stay_within_range(loaded) -> None:
    for frame in loaded.sequence:
        distance_m = np.linalg.norm(frame.load_points()[:, :3], axis=1)
        assert distance_m.min() >= 0.9 and distance_m.max() <= 120.1


def test_ground_points_lie_on_the_ground_surface(small_sequence: Path, loaded, scene) -> None:
    for frame in loaded.sequence:
        world = transform_points(frame.T_world_sensor, frame.load_points())
        ground = read_ground_labels(small_sequence, frame.index)
        assert 0.2 < ground.mean() < 0.8
        error_m = world[ground, 2] - scene.ground_height_m(world[ground, 0], world[ground, 1])
        # Noise may carry a point across the kerb line (a 0.15 m step): allow a few.
        assert np.mean(np.abs(error_m) < 0.05) > 0.995
        # The slope is seen: some ground well above the flat part.
        assert world[ground, 2].max() > 1.0


def test_object_points_fall_inside_their_boxes(small_sequence: Path, loaded) -> None:
    by_frame: dict[int, list] = {}
    for a in loaded.annotations:
        by_frame.setdefault(a.frame_index, []).append(a)
    seen_points = 0
    for frame in loaded.sequence:
        world = transform_points(frame.T_world_sensor, frame.load_points())
        other = world[~read_ground_labels(small_sequence, frame.index)]
        for a in by_frame[frame.index]:
            expected = a.attributes["num_points"]
            inside = int(a.box.contains(other, margin_m=0.05).sum())  # 5 sigma of the range noise
            assert abs(inside - expected) <= max(2, 0.02 * expected), (frame.index, a.track_token)
            seen_points += expected
    assert seen_points > 1000


def test_categories_come_from_the_default_schema(loaded) -> None:
    schema = default_schema()
    categories = {t.category for t in loaded.tracks}
    assert {"vehicle.car", "vehicle.cyclist", "human.pedestrian.adult"} <= categories
    assert all(schema.has_category(c) for c in categories)


def test_parked_cars_keep_their_world_box_while_the_ego_moves(loaded) -> None:
    positions = [f.sensor_position_m for f in loaded.sequence]
    assert np.linalg.norm(positions[-1] - positions[0]) == pytest.approx(8.0 * (FRAMES - 1) * DT_S)
    parked = [boxes for boxes in _boxes_by_track(loaded).values()
              if boxes[0].attributes.get("motion") == "vehicle.parked" and len(boxes) == FRAMES]
    assert len(parked) >= 5
    for boxes in parked:
        assert all(b.box == boxes[0].box for b in boxes)
    # ... and they are seen from different sensor positions (sensor-frame centres differ).
    boxes = parked[0]
    centres = [np.linalg.inv(f.T_world_sensor)[:3, :3] @ b.box.center_m + np.linalg.inv(f.T_world_sensor)[:3, 3]
               for f, b in zip(loaded.sequence, boxes)]
    assert np.linalg.norm(centres[-1] - centres[0]) > 1.0


def test_moving_actors_move_with_their_configured_speed(tmp_path: Path) -> None:
    config = SceneConfig(cyclist_speed_mps=5.0, lead_car_speed_mps=11.0, oncoming_car_speed_mps=7.5)
    root = generate_sequence(tmp_path / "s", frames=3, beams=32, seed=2, scene=config)
    loaded = read(root)
    categories = {t.token: t.category for t in loaded.tracks}
    speeds: dict[str, set[float]] = {}
    for token, boxes in _boxes_by_track(loaded).items():
        if len(boxes) < 2 or boxes[0].attributes.get("motion") == "vehicle.parked":
            continue
        step_m = np.linalg.norm(boxes[1].box.center_m[:2] - boxes[0].box.center_m[:2])
        turning = abs(boxes[1].box.yaw_rad - boxes[0].box.yaw_rad) > 1e-9
        if not turning:
            speeds.setdefault(categories[token], set()).add(round(step_m / DT_S, 6))
    assert {5.0} == speeds["vehicle.cyclist"]
    assert {11.0, 7.5} <= speeds["vehicle.car"]  # the trailing cars drive 7 m/s
    assert all(1.1 <= s <= 1.6 for s in speeds["human.pedestrian.adult"])


def test_turning_actors_change_yaw_at_a_constant_rate(loaded) -> None:
    turning = []
    for boxes in _boxes_by_track(loaded).values():
        steps = [b.box.yaw_rad - a.box.yaw_rad for a, b in zip(boxes, boxes[1:])]
        steps = [math.remainder(s, 2 * math.pi) for s in steps]
        if steps and abs(steps[0]) > 1e-6:
            assert steps == pytest.approx([steps[0]] * len(steps), abs=1e-9)
            turning.append(steps[0])
    assert len(turning) >= 2  # the plaza walker and cyclist, the car-park car (when in range)


def test_poses_follow_the_road_slope(tmp_path: Path) -> None:
    config = SceneConfig(ego_start_x_m=60.0)  # inside the sloped stretch
    root = generate_sequence(tmp_path / "s", frames=2, beams=32, seed=0, scene=config)
    T = read(root).sequence[0].T_world_sensor
    slope = math.tan(math.radians(config.slope_deg))
    assert T[2, 3] == pytest.approx((60.0 - config.slope_start_x_m) * slope + 1.8)
    assert math.atan2(T[2, 0], T[0, 0]) == pytest.approx(math.atan(slope))  # nose up


def test_intensity_differs_by_surface(small_sequence: Path, loaded) -> None:
    pts = loaded.sequence[0].load_points()
    ground = read_ground_labels(small_sequence, 0)
    in_cars = np.zeros(len(pts), dtype=bool)
    world = transform_points(loaded.sequence[0].T_world_sensor, pts)
    for a in loaded.annotations:
        if a.frame_index == 0 and a.attributes.get("motion") == "vehicle.parked":
            in_cars |= a.box.contains(world, margin_m=0.02)
    intensity = pts[:, 3]
    assert 0.0 <= intensity.min() and intensity.max() <= 1.0
    assert np.median(intensity[in_cars & ~ground]) > np.median(intensity[ground]) + 0.3


def test_progress_and_cancel(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    generate_sequence(tmp_path / "a", frames=2, beams=32, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 2), (2, 2)]
    asked: list[int] = []

    def cancel_at_second_frame() -> bool:
        asked.append(1)
        return len(asked) == 2

    with pytest.raises(GenerationCancelled):
        generate_sequence(tmp_path / "a", frames=3, beams=32, cancel=cancel_at_second_frame)
    assert len(asked) == 2
    assert not (tmp_path / "a" / "sequence.json").exists()  # the earlier, complete run is gone too


def test_lidar_config_validates() -> None:
    assert LidarConfig(beams=128).vertical_fov_deg == (-25.0, 15.0)
    with pytest.raises(ValueError, match="vertical_fov_deg"):
        LidarConfig(beams=48)
    assert LidarConfig(beams=48, vertical_fov_deg=(-20, 5)).elevations_rad().shape == (48,)
    with pytest.raises(ValueError):
        LidarConfig(horizontal_resolution_deg=0.0)
    dirs, ring = LidarConfig(beams=32, horizontal_resolution_deg=1.0).ray_directions()
    assert dirs.shape == (360 * 32, 3) and np.allclose(np.linalg.norm(dirs, axis=1), 1.0)
    assert ring.max() == 31


def test_numba_ray_caster_matches_numpy_reference() -> None:
    scene = build_scene(SceneConfig(), 1.0, 4)
    T = scene.T_world_sensor(0.3, 1.8)
    dirs, _ = LidarConfig(beams=32, horizontal_resolution_deg=2.0).ray_directions()
    solids, owners = scene.actor_solids(0.3)
    boxes = np.concatenate([scene.buildings, solids])
    owner = np.concatenate([np.full(len(scene.buildings), -1, np.int32), owners])
    surface = np.array([Surface.BUILDING] * len(scene.buildings) + [scene.actors[i].surface for i in owners],
                       dtype=np.int8)
    args = (T[:3, 3].copy(), np.ascontiguousarray(dirs @ T[:3, :3].T), scene.ground_planes, scene.ground_surface,
            scene.kerbs, int(Surface.KERB), boxes, surface, owner, scene.poles, int(Surface.POLE), 120.0)
    fast, slow = cast_rays_numba(*args), cast_rays_numpy(*args)
    assert np.array_equal(fast[1], slow[1]) and np.array_equal(fast[2], slow[2])
    np.testing.assert_allclose(fast[0], slow[0], rtol=0, atol=1e-9)
    assert len(set(fast[1].tolist()) - {0}) >= 6  # road, sidewalk, kerb, walls, poles, actors all seen
