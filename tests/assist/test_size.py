import numpy as np
import pytest

from sweeplabel.assist.object_view import accumulate_track_points, to_world
from sweeplabel.assist.size import estimate_track_size, median_size, unify_track_size
from sweeplabel.io import read_sequence
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Box, Project, Source, commands as cmd


def synthetic(tmp_path_factory, frames=20, beams=32, seed=1):
    folder = tmp_path_factory.getbasetemp() / f"synthetic-{beams}b-{frames}f-seed{seed}"
    if not (folder / "sequence.json").is_file():
        generate_sequence(folder, frames=frames, beams=beams, seed=seed)
    return folder


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    return read_sequence(synthetic(tmp_path_factory))


def parked_car(loaded):
    cands = [a for a in loaded.annotations if a.frame_index == 0 and a.attributes.get("motion") == "vehicle.parked"]
    return max(cands, key=lambda a: a.attributes["num_points"]).track_token


def project_with_gt_track(loaded, track_token, boxes=None):
    """A project holding one ground-truth track (``boxes(frame, box)`` may distort the boxes)."""
    gt = sorted((a for a in loaded.annotations if a.track_token == track_token), key=lambda a: a.frame_index)
    project = Project(loaded.sequence)
    first = boxes(0, gt[0].box) if boxes else gt[0].box
    project.execute(cmd.create_track(project, "vehicle.car", gt[0].frame_index, first))
    token = next(iter(project.tracks))
    items = [(token, a.frame_index, boxes(a.frame_index, a.box) if boxes else a.box) for a in gt[1:]]
    project.execute(cmd.put_annotations(project, items, Source.MANUAL))
    return project, token, gt


def test_median_size_and_one_undo_step(project):
    sizes = [[4.0, 2.0, 1.5], [4.2, 2.0, 1.5], [2.0, 1.0, 1.0], [4.1, 2.1, 1.6], [4.0, 1.9, 1.5]]
    project.execute(cmd.create_track(project, "vehicle.car", 0, Box([0, 0, 0.75], sizes[0], 0.3)))
    token = next(iter(project.tracks))
    project.execute(cmd.put_annotations(
        project, [(token, i, Box([i, 0, s[2] / 2], s, 0.3)) for i, s in enumerate(sizes) if i], Source.MANUAL))
    assert np.allclose(median_size([Box([0, 0, 0], s) for s in sizes]), [4.0, 2.0, 1.5])
    steps = len(project.undo)
    project.execute(unify_track_size(project, token))
    anns = project.annotations_of_track(token)
    assert all(np.allclose(a.box.size_lwh_m, [4.0, 2.0, 1.5]) for a in anns)
    assert all(a.box.center_m[2] - 0.75 == pytest.approx(0.0) for a in anns)  # bottoms stay on the ground
    assert [a.box.center_m[0] for a in anns] == pytest.approx([0, 1, 2, 3, 4])
    assert len(project.undo) == steps + 1
    project.undo.undo()
    assert np.allclose(project.annotations_of_track(token)[2].box.size_lwh_m, [2.0, 1.0, 1.0])


def test_non_rigid_tracks_are_left_alone_unless_forced(project):
    project.execute(cmd.create_track(project, "human.pedestrian.adult", 0, Box([0, 0, 0.9], [0.6, 0.6, 1.8])))
    token = next(iter(project.tracks))
    project.execute(cmd.put_annotations(project, [(token, 1, Box([1, 0, 0.8], [0.8, 0.6, 1.6]))], Source.MANUAL))
    assert not unify_track_size(project, token).changes
    assert len(unify_track_size(project, token, force=True).changes) == 2


def test_object_centric_view_stacks_the_whole_car(loaded):
    track = parked_car(loaded)
    project, token, gt = project_with_gt_track(loaded, track)
    stacked = accumulate_track_points(project, token)
    size = gt[0].box.size_lwh_m
    assert set(np.unique(stacked.frame_index)) == {a.frame_index for a in gt}
    assert len(stacked) >= 0.95 * sum(a.attributes["num_points"] for a in gt)
    inner = stacked.points_box_m[stacked.points_box_m[:, 2] > -size[2] / 2 + 0.2]
    extent = inner.max(axis=0) - inner.min(axis=0)
    assert extent[0] >= 0.9 * size[0] and extent[1] >= 0.9 * size[1]  # the whole car, not one side
    one = accumulate_track_points(project, token, frames=[0], max_points=50)
    assert len(one) == 50 and set(one.frame_index) == {0}
    back = to_world(one.points_box_m, gt[0].box)
    assert gt[0].box.contains(back, margin_m=0.2).all()


def test_points_method_recovers_the_size_of_shrunk_boxes(loaded):
    track = parked_car(loaded)
    truth = next(a.box for a in loaded.annotations if a.track_token == track)
    def shrunk(frame, box):  # drawn 0.25 m short at the rear and 0.1 m narrow on the right
        return box.resized_anchored([-0.25, -0.1, 0.0], [1, 1, 0])
    project, token, gt = project_with_gt_track(loaded, track, shrunk)
    est = estimate_track_size(project, token, "points")
    assert est.method == "points"
    assert np.allclose(est.size_lwh_m[:2], truth.size_lwh_m[:2], atol=0.1)
    project.execute(unify_track_size(project, token, method="points"))
    for ann in project.annotations_of_track(token):
        truth_box = next(a.box for a in gt if a.frame_index == ann.frame_index)
        assert np.linalg.norm(ann.box.center_m[:2] - truth_box.center_m[:2]) < 0.08
