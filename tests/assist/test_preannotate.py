from collections import defaultdict

import numpy as np
import pytest

from sweeplabel.assist.metrics import LabeledBox, bev_iou, evaluate, iou_3d
from sweeplabel.assist.preannotate import (
    STATIC_RULES, MOVING_RULES, GroundGrid, PreannotateParams, PreannotationCancelled, classify_extent, preannotate,
    preannotate_sequence,
)
from sweeplabel.io import read_sequence
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Box, Project, Source


def synthetic(tmp_path_factory, frames=20, beams=32, seed=1):
    folder = tmp_path_factory.getbasetemp() / f"synthetic-{beams}b-{frames}f-seed{seed}"
    if not (folder / "sequence.json").is_file():
        generate_sequence(folder, frames=frames, beams=beams, seed=seed)
    return folder


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    return read_sequence(synthetic(tmp_path_factory))


def test_iou_of_rotated_boxes():
    a = Box([0, 0, 1], [4, 2, 2], 0.0)
    assert bev_iou(a, a) == pytest.approx(1.0)
    assert iou_3d(a, a.translated([2, 0, 0])) == pytest.approx(4 / 12)
    assert iou_3d(a, a.translated([0, 0, 1])) == pytest.approx(1 / 3)
    assert bev_iou(a, a.rotated(np.pi)) == pytest.approx(1.0)
    square = Box([0, 0, 0], [2, 2, 1], 0.0)
    inter = 8 * (np.sqrt(2) - 1)  # the octagon of a square and itself turned by 45 degrees
    assert bev_iou(square, square.rotated(np.pi / 4)) == pytest.approx(inter / (8 - inter))
    assert bev_iou(a, a.translated([10, 0, 0])) == 0.0


def test_size_rules_classify_the_schema_classes():
    assert classify_extent(np.array([4.5, 1.8, 1.5]), STATIC_RULES).category == "vehicle.car"
    assert classify_extent(np.array([0.6, 0.5, 1.7]), STATIC_RULES).category == "human.pedestrian.adult"
    assert classify_extent(np.array([1.8, 0.5, 1.7]), STATIC_RULES).category == "vehicle.cyclist"
    assert classify_extent(np.array([0.2, 0.2, 4.0]), STATIC_RULES) is None  # a pole
    assert classify_extent(np.array([20.0, 0.3, 3.5]), STATIC_RULES) is None  # a wall
    # moving: a car seen from behind is a wide face across its travel, a cyclist long along it
    assert classify_extent(np.array([0.1, 1.8, 1.4]), MOVING_RULES).category == "vehicle.car"
    assert classify_extent(np.array([1.8, 0.5, 1.7]), MOVING_RULES).category == "vehicle.cyclist"


def test_ground_grid_fills_holes_from_neighbours():
    xy = np.array([[x, y] for x in np.arange(0, 10, 0.5) for y in np.arange(0, 10, 0.5) if not (4 < x < 6)])
    z = 0.1 * xy[:, 0]
    grid = GroundGrid(np.column_stack([xy, z]), 2.0)
    assert grid.height_at(np.array([[5.0, 5.0]]))[0] == pytest.approx(0.5, abs=0.2)
    assert grid.height_at(np.array([[500.0, 5.0]]))[0] == pytest.approx(np.median(z))


def _by_frame(items):
    out = defaultdict(list)
    for frame, item in items:
        out[frame].append(item)
    return out


RULES = PreannotateParams(use_scorer=False)  # the size and shape rules (the scorer: test_scorer.py)


def test_preannotation_finds_the_cars_of_a_synthetic_sequence(loaded):
    calls = []
    tracks = preannotate_sequence(loaded.sequence, RULES, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1][0] == calls[-1][1] and len(calls) == len(loaded.sequence) + 1
    category = {t.token: t.category for t in loaded.tracks}
    cars = [(a.frame_index, a) for a in loaded.annotations if category[a.track_token] == "vehicle.car"]
    truth = _by_frame((f, LabeledBox(a.track_token, a.box, "car")) for f, a in cars if a.attributes["num_points"] >= 20)
    ignore = _by_frame((f, LabeledBox(a.track_token, a.box, "car")) for f, a in cars if a.attributes["num_points"] < 20)
    pred = _by_frame((f, LabeledBox(str(k), b, "car")) for k, t in enumerate(tracks) if t.category == "vehicle.car"
                     for f, b in t.boxes.items())
    result = evaluate(pred, truth, 0.1, ignore)
    assert result.recall >= 0.9, result.as_dict()
    assert result.precision >= 0.85, result.as_dict()
    assert result.mean_iou_3d >= 0.7, result.as_dict()
    # cyclists: the ends of parked cars are no longer taken for bicycles
    cyclists = [(a.frame_index, a) for a in loaded.annotations if category[a.track_token] == "vehicle.cyclist"]
    truth = _by_frame((f, LabeledBox(a.track_token, a.box, "c")) for f, a in cyclists if a.attributes["num_points"] >= 20)
    ignore = _by_frame((f, LabeledBox(a.track_token, a.box, "c")) for f, a in cyclists if a.attributes["num_points"] < 20)
    pred = _by_frame((f, LabeledBox(str(k), b, "c")) for k, t in enumerate(tracks) if t.category == "vehicle.cyclist"
                     for f, b in t.boxes.items())
    result = evaluate(pred, truth, 0.1, ignore)
    assert result.precision >= 0.8 and result.recall >= 0.6, result.as_dict()


def test_preannotate_is_one_undo_step_cancellable_and_replaces_its_earlier_result(loaded):
    project = Project(loaded.sequence)
    with pytest.raises(PreannotationCancelled):
        preannotate(project, cancel=lambda: True)
    assert not project.annotations and len(project.undo) == 0
    first = preannotate(project)
    anns = project.annotations
    assert first and anns and {a.source for a in anns.values()} == {Source.AUTO}
    assert len(project.undo) == 1
    assert len(project.tracks) == len(first)
    preannotate(project)  # again: the earlier auto tracks are replaced, not doubled
    assert len(project.tracks) == len(first)
    project.undo.undo()
    project.undo.undo()
    assert not project.annotations and not project.tracks


# -- track-level rules: shape, splitting at an inconsistent gap, stitching -------------------
from sweeplabel.assist.preannotate import (  # noqa: E402
    AutoTrack, ClusterPayload, PreannotateParams, finalize_track, split_inconsistent_tracks, stitch_tracks,
)
from sweeplabel.assist.tracker import Detection, TrackState  # noqa: E402
from sweeplabel.kernels import fit_box  # noqa: E402


def _grid(x, y, z):
    return np.array([[a, b, c] for a in x for b in y for c in z], dtype=np.float32)


def _det(points):
    box = Box.from_array(fit_box(np.ascontiguousarray(points), ground_z_m=0.0))
    return Detection(box, None, len(points), ClusterPayload(points, np.zeros(3), 0.0))


def _static_track(points, frames=12):
    obs = {f: _det(points) for f in range(frames)}
    times = {f: 0.1 * f for f in range(frames)}
    return TrackState(0, obs[0].box, times[frames - 1], observations=obs, confirmed=True), times


def test_the_end_of_a_parked_car_is_a_car_not_a_cyclist():
    # seen end-on 40 m ahead: the rear face (1.8 m wide, body to 0.9 m, cabin 1.6 m wide above)
    # and a little of the side: by size alone between a cyclist and a car
    body = _grid(np.linspace(40.0, 40.7, 5), np.linspace(-0.9, 0.9, 13), np.linspace(0.3, 0.9, 5))
    cabin = _grid([40.3], np.linspace(-0.8, 0.8, 11), np.linspace(1.0, 1.45, 4))
    state, times = _static_track(np.vstack([body, cabin]))
    auto = finalize_track(state, times)
    assert auto is not None and auto.category == "vehicle.car"
    assert abs(np.cos(next(iter(auto.boxes.values())).yaw_rad)) > 0.9  # heading along the line of sight


def test_a_rider_on_a_bicycle_stays_a_cyclist():
    bicycle = _grid(np.linspace(20.0, 21.8, 13), [0.0, 0.05], np.linspace(0.3, 1.0, 6))
    rider = _grid(np.linspace(20.6, 21.2, 5), np.linspace(-0.25, 0.25, 4), np.linspace(1.05, 1.75, 6))
    state, times = _static_track(np.vstack([bicycle, rider]))
    auto = finalize_track(state, times)
    assert auto is not None and auto.category == "vehicle.cyclist"


def test_a_track_that_jumps_to_a_passing_car_after_a_gap_is_split():
    # a parked car (frames 0..9) whose coasting track caught a car driving by at 7 m/s (13..17)
    obs = {f: car_det(20.0, 4.8) for f in range(10)}
    obs.update({f: car_det(30.0 - 7.0 * 0.1 * f, 1.8) for f in range(13, 18)})
    times = {f: 0.1 * f for f in range(18)}
    state = TrackState(3, obs[17].box, times[17], observations=obs, confirmed=True)
    parts = split_inconsistent_tracks([state], times)
    assert sorted(sorted(p.observations) for p in parts) == [list(range(10)), list(range(13, 18))]
    assert len({p.track_id for p in parts}) == 2
    # a car occluded while it keeps driving is not split
    obs = {f: car_det(7.0 * 0.1 * f, 1.8) for f in (*range(10), *range(13, 18))}
    assert len(split_inconsistent_tracks([TrackState(0, obs[17].box, 1.7, observations=obs)], times)) == 1


def car_det(x, y, yaw=0.0):
    return Detection(Box([x, y, 0.8], [4.4, 1.8, 1.5], yaw), None, 100)


def _auto(frames, box_of, moving):
    return AutoTrack("vehicle.car", {f: box_of(f) for f in frames}, list(frames), moving)


def test_tracks_broken_by_a_long_occlusion_are_stitched():
    times = {f: 0.1 * f for f in range(40)}
    parked = Box([20.0, 4.8, 0.8], [4.4, 1.8, 1.5], 0.0)
    a = _auto(range(0, 10), lambda f: parked, False)
    b = _auto(range(17, 30), lambda f: parked.translated([0.2, 0, 0]), False)
    drive = lambda f: Box([8.0 * 0.1 * f, -1.8, 0.8], [4.4, 1.8, 1.5], 0.0)
    c, d = _auto(range(0, 12), drive, True), _auto(range(18, 30), drive, True)
    other = _auto(range(18, 30), lambda f: Box([30.0 - 8.0 * 0.1 * f, 1.8, 0.8], [4.4, 1.8, 1.5], np.pi), True)
    out = stitch_tracks([a, b, c, d, other], times)
    assert len(out) == 3
    static = next(t for t in out if not t.moving)
    assert sorted(static.boxes) == list(range(30)) and static.observed_frames == [*range(10), *range(17, 30)]
    assert len({tuple(b.center_m) for b in static.boxes.values()}) == 1  # one box for a parked car
    moving = next(t for t in out if t.moving and 0 in t.boxes)
    assert sorted(moving.boxes) == list(range(30))
    assert moving.boxes[15].center_m[0] == pytest.approx(12.0)  # the gap interpolated
    # too long a gap: not joined
    assert len(stitch_tracks([a, _auto(range(25, 30), lambda f: parked, False)], times,
                             PreannotateParams(stitch_max_gap_frames=10))) == 2


def test_two_touching_cars_are_split_when_oversized_clusters_are_reclustered():
    from sweeplabel.assist.preannotate import _groups, _split_oversized
    from sweeplabel.kernels import cluster_euclidean

    a = _grid(np.arange(10.0, 14.41, 0.1), np.arange(-0.9, 0.91, 0.1), np.arange(0.3, 1.41, 0.1))
    b = a + np.array([4.75, 0.0, 0.0], dtype=np.float32)  # nose to tail, 0.35 m apart
    pts = np.vstack([a, b])
    ground = GroundGrid(_grid(np.arange(0.0, 30.0, 0.5), np.arange(-5.0, 5.0, 0.5), [0.0]).astype(np.float64), 2.0)
    squashed = pts * np.array([1.0, 1.0, 0.3], dtype=np.float32)
    (idx,) = _groups(cluster_euclidean(squashed, 0.5, 1))  # one cluster at the usual radius
    assert len(_split_oversized(idx, pts, squashed, ground, PreannotateParams())) == 1  # off by default
    parts = _split_oversized(idx, pts, squashed, ground, PreannotateParams(split_min_lw_m=(5.6, 2.3)))
    assert sorted(len(p) for p in parts) == [len(a), len(b)]
    # one car alone is not split, whatever its sparse beams
    (one,) = _groups(cluster_euclidean(np.ascontiguousarray(squashed[: len(a)]), 0.5, 1))
    assert len(_split_oversized(one, pts, squashed, ground, PreannotateParams(split_min_lw_m=(5.6, 2.3)))) == 1
