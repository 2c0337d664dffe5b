"""Issue 11 (prop4): with poses, an object too sparse to fit in its keyframe (< min_points in its
box) whose unmoved box holds at least as many points in the next sweep is kept there without a
flag (no news: a flag asks a person to look at a frame that says nothing new); one whose points
left the box keeps its flag. Real Argoverse 2 sweeps (../shared/data)."""

from __future__ import annotations

import pytest

from sweeplabel.assist.iou import iou_3d
from sweeplabel.assist.propagation import STOP_ATTRIBUTE, points_held, propagate_track
from sweeplabel.io import read_sequence
from sweeplabel.model import Project, commands


_LOADED: dict = {}


@pytest.fixture
def av2(shared_data):
    root = shared_data / "av2_sensor_sample"
    if not root.is_dir():
        pytest.skip(f"no Argoverse 2 sample at {root}")
    if root not in _LOADED:  # read once for the module's tests
        _LOADED[root] = read_sequence(root)
    return _LOADED[root]


def _run(loaded, number: int):
    track = next(t for t in loaded.tracks if t.number == number)
    truth = {a.frame_index: a.box for a in loaded.annotations if a.track_token == track.token}
    project = Project(loaded.sequence)
    project.execute(commands.create_track(project, track.category, 0, truth[0]))
    token = next(iter(project.tracks))
    report = propagate_track(project, token, 0, 1)
    return project, token, report, truth


@pytest.mark.parametrize("number", [28, 42, 61])  # a standing person (5 points), two parked cars (4 points)
def test_a_sparse_parked_object_is_kept_without_a_flag(av2, number) -> None:
    project, token, report, truth = _run(av2, number)
    assert 0 < points_held(av2.sequence.frames[0], truth[0]) < 8
    ann = project.annotation_at(token, 1)
    assert ann is not None and STOP_ATTRIBUTE not in ann.attributes, report.summary()
    assert not report.flagged
    assert iou_3d(ann.box, truth[1]) >= 0.7


def test_a_sparse_moving_car_whose_points_left_its_box_keeps_its_flag(av2) -> None:
    project, token, report, truth = _run(av2, 66)  # 3 points in its keyframe box, none in the next sweep there
    ann = project.annotation_at(token, 1)
    assert report.flagged and ann is not None and STOP_ATTRIBUTE in ann.attributes
