"""The learned candidate scorer: the shipped model file, per-frame boxes for one frame,
scores and the min-score filter, real KITTI objects against real poles, attributes from
evidence, learning from a project and re-scoring in one undo step."""

import pickle
from dataclasses import replace

import numpy as np
import pytest

from sweeplabel.assist.metrics import bev_iou
from sweeplabel.assist.preannotate import PreannotateParams, detect_frame, preannotate_sequence, preannotation_command
from sweeplabel.assist.project_scorer import (
    CANDIDATES_META_KEY, candidate_log, read_candidate_log, rescore_command, rescore_project, training_rows,
)
from sweeplabel.assist.scored import attributes_from_evidence, detection_features, vehicle_class
from sweeplabel.assist.scorer import DEFAULT_MIN_SCORE, FEATURES, Scorer, default_model_path, load_scorer, with_track
from sweeplabel.assist.scorer_train import fit_scorer
from sweeplabel.io import read_sequence
from sweeplabel.io.errors import FormatError
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.kernels import GroundSegmenter
from sweeplabel.model import Project, Sequence, Source, commands as cmd


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scorer") / "street"
    generate_sequence(folder, frames=4, beams=32, seed=3)
    return read_sequence(folder)


def test_the_shipped_model_is_text_and_loads_without_unpickling(monkeypatch):
    path = default_model_path()
    text = path.read_bytes().decode("utf-8")  # text, not a binary blob
    assert text.startswith("tree\n") and "\0" not in text

    def refuse(*_a, **_k):
        raise AssertionError("the model must not be unpickled")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    scorer = Scorer.load(path)
    assert tuple(scorer.booster.feature_name()) == FEATURES
    probs = scorer.probabilities(with_track(np.zeros((2, len(FEATURES) - 8))))
    assert probs.shape == (2, 4) and np.allclose(probs.sum(axis=1), 1.0)


def test_a_file_that_is_no_model_is_one_clear_error(tmp_path):
    bad = tmp_path / "model.txt"
    bad.write_text("import os\n")
    with pytest.raises(FormatError, match="model.txt.*not a LightGBM text model"):
        Scorer.load(bad)


def test_one_frame_gets_scored_boxes_without_motion_attributes(synthetic):
    one = Sequence("one", [synthetic.sequence[1]], format="synthetic")
    tracks = preannotate_sequence(one)
    assert tracks, "a one-frame input gets boxes"
    assert all(0.0 <= t.score <= 1.0 and t.score >= DEFAULT_MIN_SCORE for t in tracks)
    assert all(not t.attributes for t in tracks)  # one frame is no evidence of motion
    cat = {t.token: t.category for t in synthetic.tracks}
    cars = [a.box for a in synthetic.annotations if a.frame_index == 1 and cat[a.track_token] == "vehicle.car"
            and a.attributes["num_points"] >= 50]
    found = [b for t in tracks if t.category.startswith("vehicle.") for b in t.boxes.values()]
    hits = sum(1 for c in cars if any(bev_iou(c, b) >= 0.5 for b in found))
    assert hits >= 0.6 * len(cars), (hits, len(cars))


def test_min_score_keeps_only_confident_tracks_and_scores_reach_the_project(synthetic):
    low = preannotate_sequence(synthetic.sequence, PreannotateParams(min_score=0.2))
    high = preannotate_sequence(synthetic.sequence, PreannotateParams(min_score=0.9))
    assert len(high) < len(low)
    assert all(t.score >= 0.9 for t in high) and min(t.score for t in low) < 0.9
    project = Project(synthetic.sequence)
    project.execute(preannotation_command(project, high))
    assert {t.score for t in project.tracks.values()} == {t.score for t in high}
    assert all(a.score is not None and a.score >= 0.9 for a in project.annotations.values())


def test_preannotate_cli_rejects_a_score_outside_0_1(capsys):
    from sweeplabel.cli import main

    with pytest.raises(SystemExit):
        main(["preannotate", ".", "--out", "x", "--min-score", "1.5"])
    assert "must be in [0, 1]" in capsys.readouterr().err


def test_vehicle_classes_by_size_and_attributes_need_evidence():
    assert vehicle_class(np.array([4.3, 1.8, 1.5])) == "vehicle.car"
    assert vehicle_class(np.array([2.1, 1.1, 1.45])) == "vehicle.car"  # a partial view of a car
    assert vehicle_class(np.array([4.4, 1.8, 2.0])) == "vehicle.van"  # KITTI's van (2.0 m high)
    assert vehicle_class(np.array([7.5, 2.4, 3.1])) == "vehicle.truck"
    assert vehicle_class(np.array([11.8, 2.5, 3.1])) == "vehicle.bus.rigid"
    assert attributes_from_evidence("vehicle.car", False, evidence=False) == {}
    assert attributes_from_evidence("vehicle.car", False, evidence=True) == {"motion": "vehicle.parked"}
    assert attributes_from_evidence("human.pedestrian.adult", True, True) == {"activity": "pedestrian.moving"}


def _kitti_candidates(shared_data):
    loaded = read_sequence(shared_data / "kitti_tracking_0000")
    frame = loaded.sequence[0]
    dets = detect_frame(frame, GroundSegmenter())
    truth = [a.box for a in loaded.annotations if a.frame_index == 0]
    return loaded, dets, truth


def test_the_scorer_ranks_a_real_kitti_van_above_a_real_pole(shared_data):
    loaded, dets, truth = _kitti_candidates(shared_data)
    cat = {t.token: t.category for t in loaded.tracks}
    van_box = next(a.box for a in loaded.annotations if a.frame_index == 0 and cat[a.track_token] == "vehicle.van")
    van = max((d for d in dets if bev_iou(d.box, van_box) > 0), key=lambda d: bev_iou(d.box, van_box))

    def pole_like(d):  # thin, tall, upright, on no labelled object
        pts = d.payload.points_m
        extent = np.ptp(pts[:, :2], axis=0)
        return (np.hypot(*extent) < 0.5 and np.ptp(pts[:, 2]) > 2.0 and len(pts) >= 15
                and all(bev_iou(d.box.with_size(d.box.size_lwh_m + 1.0), t) == 0 for t in truth))

    poles = [d for d in dets if pole_like(d)]
    assert poles, "frame 0 of KITTI tracking 0000 shows poles"
    scorer = load_scorer()
    score = lambda d: 1.0 - scorer.probabilities(with_track(detection_features(d)[None, :]))[0, 0]  # noqa: E731
    pole_scores = [score(p) for p in poles]
    assert score(van) > max(pole_scores), (score(van), pole_scores)
    assert np.median(pole_scores) < DEFAULT_MIN_SCORE


def test_learning_from_the_project_and_rescoring_is_one_undo_step(synthetic, tmp_path):
    project = Project(synthetic.sequence)
    tracks = preannotate_sequence(synthetic.sequence, PreannotateParams(min_score=0.2))
    command = preannotation_command(project, tracks)
    project.execute(command)
    meta = {CANDIDATES_META_KEY: candidate_log(command, tracks)}
    log = read_candidate_log(meta)
    assert len(log) == len(project.annotations)
    cat = {t.token: t.category for t in synthetic.tracks}
    truth = [(a.frame_index, a.box) for a in synthetic.annotations if a.attributes["num_points"] >= 20]
    good, bad = [], []
    for token in project.tracks:
        anns = project.annotations_of_track(token)
        hit = sum(1 for a in anns if any(f == a.frame_index and bev_iou(a.box, b) >= 0.3 for f, b in truth))
        (good if hit >= len(anns) / 2 else bad).append(token)
    assert good and bad
    for token in good[: len(good) // 2]:  # the annotator accepts some true tracks...
        project.execute(cmd.set_track_review_state(project, [token], "accepted"))
        project.execute(cmd.set_review_state(project, [a.token for a in project.annotations_of_track(token)],
                                             "accepted"))
    for token in bad[: max(1, len(bad) // 2)]:  # ...and deletes some false ones
        project.execute(cmd.delete_track(project, token))
    rows = training_rows([(project, meta)])
    counts = rows.counts()
    assert counts["background"] >= 1 and sum(counts.values()) > counts["background"]
    model = tmp_path / "team.txt"
    scorer = fit_scorer(rows, model, rounds=30)
    assert model.read_text().startswith("tree\n")
    steps = len(project.undo)
    before = {t: tr.score for t, tr in project.tracks.items()}
    n = rescore_project(project, scorer, log)
    assert n > 0 and len(project.undo) == steps + 1
    after = {t: tr.score for t, tr in project.tracks.items()}
    assert after != before
    assert all(a.score == project.track(a.track_token).score for a in project.annotations.values()
               if a.source == Source.AUTO and a.review_state.value == "unreviewed")
    project.undo.undo()
    assert {t: tr.score for t, tr in project.tracks.items()} == before


def test_independent_kitti_object_frames_get_their_pedestrian(shared_data):
    loaded = read_sequence(shared_data / "kitti_object")
    one = Sequence("000000", [loaded.sequence[0]], format=loaded.sequence.format)
    tracks = preannotate_sequence(one)
    person = next(a.box for a in loaded.annotations if a.frame_index == 0)  # 000000: one pedestrian
    best = max(((bev_iou(b, person), t) for t in tracks for b in t.boxes.values()), key=lambda x: x[0])
    assert best[0] >= 0.5 and best[1].category == "human.pedestrian.adult" and not best[1].attributes


def test_train_scorer_cli_learns_from_a_project_file_and_rescores_it(synthetic, tmp_path, capsys):
    from sweeplabel.assist.project_scorer import SCORER_MODEL_META_KEY, project_params
    from sweeplabel.cli import main
    from sweeplabel.io import open_project

    path = tmp_path / "work.sweeplabel"
    opened = open_project(synthetic.sequence.root, path, import_labels=False)
    project = opened.project
    tracks = preannotate_sequence(project.sequence, PreannotateParams(min_score=0.2))
    command = preannotation_command(project, tracks)
    project.execute(command)
    opened.store.set_meta(CANDIDATES_META_KEY, candidate_log(command, tracks))
    tokens = sorted(project.tracks, key=lambda t: project.track(t).score)
    project.execute(cmd.delete_track(project, tokens[0]))  # the least confident: deleted
    best = tokens[-1]
    project.execute(cmd.set_review_state(project, [a.token for a in project.annotations_of_track(best)], "accepted"))
    before = {t: tr.score for t, tr in project.tracks.items()}
    opened.close()
    model = tmp_path / "team.txt"
    assert main(["train-scorer", str(path), "--out", str(model), "--rescore", "--rounds", "20"]) == 0
    assert "re-scored" in capsys.readouterr().out
    again = open_project(path)
    try:
        assert {t: tr.score for t, tr in again.project.tracks.items()} != before
        meta = again.store.meta()
        assert meta[SCORER_MODEL_META_KEY] == str(model.resolve())
        assert project_params(meta).scorer_path == str(model.resolve())  # later runs use the team's model
    finally:
        again.close()
    assert main(["train-scorer", str(tmp_path / "missing.sweeplabel"), "--out", str(model)]) == 2
