"""Pre-annotation on a real Argoverse 2 sweep pair: what a person would notice on the street."""

from __future__ import annotations

from sweeplabel.assist.eval_input import prepare
from sweeplabel.assist.evaluate import evaluate_frames
from sweeplabel.assist.preannotate import PreannotateParams, preannotate_sequence, preannotation_command
from sweeplabel.io import read_sequence
from sweeplabel.model import Project


def _vehicles(loaded, params):
    auto = preannotate_sequence(loaded.sequence, params)
    project = Project(loaded.sequence)
    project.execute(preannotation_command(project, auto))
    data = prepare(loaded.sequence.frames, project.annotations.values(), project.tracks, loaded.annotations,
                   {t.token: t for t in loaded.tracks})
    return evaluate_frames(data.predicted, data.truth, project.schema).result("vehicles", "bev")


def test_cars_whose_lower_body_patchwork_calls_ground_get_boxes_and_fragments_none(shared_data):
    loaded = read_sequence(shared_data / "av2_sensor_sample")
    now = _vehicles(loaded, PreannotateParams())
    before = _vehicles(loaded, PreannotateParams(ground_readmit_m=None, vehicle_min_seen_width_share=None))
    assert now.true_positives > before.true_positives  # more parked cars boxed at BEV IoU 0.5
    assert now.false_positives < before.false_positives  # and fewer boxes on fragments
    assert now.precision >= 0.7


def test_kitti_a_far_line_on_a_wall_top_is_no_vehicle_and_the_cars_stay(shared_data):
    """KITTI tracking 0000: a line of points 68 m out, on a few 'ground' points 3 m above the
    road the sensor stands on and no road measured around it, was a car track in 5 frames."""
    loaded = read_sequence(shared_data / "kitti_tracking_0000")
    now = _vehicles(loaded, PreannotateParams())
    before = _vehicles(loaded, PreannotateParams(vehicle_max_road_clearance_m=None))
    assert now.true_positives == before.true_positives  # every car and van still boxed
    assert now.false_positives < before.false_positives
    assert now.precision >= 0.7 and now.recall >= 0.85  # the target on this sequence
