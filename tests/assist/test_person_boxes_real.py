"""People on real sweeps: a box that holds the person's points, and people tracked on a sequence
without poses whose ego drives further between sweeps than a person walks."""

from __future__ import annotations

import dataclasses

from sweeplabel.assist.eval_input import prepare
from sweeplabel.assist.evaluate import evaluate_frames
from sweeplabel.assist.preannotate import PreannotateParams, preannotate_sequence, preannotation_command
from sweeplabel.io import read_sequence
from sweeplabel.model import Project


def _people(loaded, params):
    auto = preannotate_sequence(loaded.sequence, params)
    project = Project(loaded.sequence)
    project.execute(preannotation_command(project, auto))
    data = prepare(loaded.sequence.frames, project.annotations.values(), project.tracks, loaded.annotations,
                   {t.token: t for t in loaded.tracks})
    return evaluate_frames(data.predicted, data.truth, project.schema).result("pedestrians", "bev")


def test_sustech_people_get_boxes_although_the_ego_drives_2_5_m_per_scan(shared_data):
    """SUSTechPOINTS has no poses: a person moves 2.75 m between scans in the sensor frame, past
    the tracker's gate, and no person track was confirmed. Tracked in the frame that follows the
    ego's motion, with boxes holding their points, people are boxed at BEV IoU 0.5."""
    loaded = read_sequence(shared_data / "sustech_points_example")
    now = _people(loaded, PreannotateParams())
    before = _people(loaded, dataclasses.replace(PreannotateParams(), person_ego_tracking=False,
                                                 person_box_from_points=False))
    assert before.true_positives == 0
    assert now.true_positives >= 3  # of 21 person box-frames (7 people x 3 scans)


def test_kitti_the_walking_pedestrian_is_boxed_tighter_and_still_in_every_frame(shared_data):
    loaded = read_sequence(shared_data / "kitti_tracking_0000")
    now = _people(loaded, PreannotateParams())
    before = _people(loaded, dataclasses.replace(PreannotateParams(), person_box_from_points=False))
    assert now.recall == 1.0 and now.precision == 1.0
    assert now.mean_bev_iou >= 0.7 > before.mean_bev_iou  # was 0.61: the class size on the seen face
