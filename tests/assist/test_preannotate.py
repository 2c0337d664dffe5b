from collections import defaultdict

import numpy as np
import pytest

from sweeplabel.assist.metrics import LabeledBox, bev_iou, evaluate, iou_3d
from sweeplabel.assist.preannotate import (
    STATIC_RULES, MOVING_RULES, GroundGrid, PreannotationCancelled, classify_extent, preannotate,
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


def test_preannotation_finds_the_cars_of_a_synthetic_sequence(loaded):
    calls = []
    tracks = preannotate_sequence(loaded.sequence, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1][0] == calls[-1][1] and len(calls) == len(loaded.sequence) + 1
    category = {t.token: t.category for t in loaded.tracks}
    cars = [(a.frame_index, a) for a in loaded.annotations if category[a.track_token] == "vehicle.car"]
    truth = _by_frame((f, LabeledBox(a.track_token, a.box, "car")) for f, a in cars if a.attributes["num_points"] >= 20)
    ignore = _by_frame((f, LabeledBox(a.track_token, a.box, "car")) for f, a in cars if a.attributes["num_points"] < 20)
    pred = _by_frame((f, LabeledBox(str(k), b, "car")) for k, t in enumerate(tracks) if t.category == "vehicle.car"
                     for f, b in t.boxes.items())
    result = evaluate(pred, truth, 0.1, ignore)
    assert result.recall >= 0.8, result.as_dict()
    assert result.precision >= 0.75, result.as_dict()
    assert result.mean_iou_3d >= 0.7, result.as_dict()


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
