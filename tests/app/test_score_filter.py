"""The auto-score slider: live filtering of auto boxes in the view, the threshold kept in
the project file, the track list ordered by score."""

from __future__ import annotations

import pytest

from sweeplabel.app import MainWindow
from sweeplabel.app.panels.score_filter import SCORE_THRESHOLD_META_KEY, by_score
from sweeplabel.io import ProjectStore, open_project
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Annotation, Box, Change, Command, Source, Track, new_token

pytestmark = pytest.mark.gui


def _auto_track(project, number: int, score: float, x_m: float) -> Command:
    origin = project.sequence[0].T_world_sensor[:3, 3]
    track = Track(new_token(), "vehicle.car", number, score=score)
    box = Box(origin + [x_m, 4.0, -1.0], [4.4, 1.8, 1.5], 0.0)
    ann = Annotation(new_token(), track.token, 0, box, {}, Source.AUTO, score=score)
    return Command("auto", [Change(None, track), Change(None, ann)])


def test_the_slider_hides_low_scoring_auto_boxes_and_is_kept_per_project(qtbot, tmp_path):
    root = generate_sequence(tmp_path / "seq", frames=1, beams=32, seed=2)
    path = tmp_path / "work.sweeplabel"
    opened = open_project(root, path, import_labels=False)
    project = opened.project
    project.execute(_auto_track(project, 1, 0.9, 10.0))
    project.execute(_auto_track(project, 2, 0.3, 20.0))
    win = MainWindow(project, opened.store, owned=opened)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.loader.wait_idle()
    assert win.scene.n_boxes == 2
    win.score_filter.set_threshold(0.5)
    assert win.scene.n_boxes == 1  # applied live
    assert [a.score for a in win.scene.frame_annotations()] == [0.9]
    assert [project.track(t).number for t in win.track_list.row_tokens] == [1, 2]  # by score
    assert opened.store.meta()[SCORE_THRESHOLD_META_KEY] == "0.50"
    win.close()
    with ProjectStore.open(path) as store:  # kept in the project file
        assert store.meta()[SCORE_THRESHOLD_META_KEY] == "0.50"


def test_tracks_people_made_come_first_then_auto_by_score():
    tracks = [Track("a", "vehicle.car", 3, score=0.4), Track("b", "vehicle.car", 1),
              Track("c", "vehicle.car", 2, score=0.8)]
    assert [t.token for t in by_score(tracks)] == ["b", "c", "a"]


def test_rescore_from_this_project_is_one_undo_step(qtbot, tmp_path):
    from sweeplabel.assist.preannotate import PreannotateParams, preannotate_sequence, preannotation_command
    from sweeplabel.assist.project_scorer import CANDIDATES_META_KEY, SCORER_MODEL_META_KEY, candidate_log
    from sweeplabel.model import commands as cmd

    root = generate_sequence(tmp_path / "seq", frames=3, beams=32, seed=3)
    opened = open_project(root, tmp_path / "work.sweeplabel", import_labels=False)
    project = opened.project
    tracks = preannotate_sequence(project.sequence, PreannotateParams(min_score=0.2))
    command = preannotation_command(project, tracks)
    project.execute(command)
    opened.store.set_meta(CANDIDATES_META_KEY, candidate_log(command, tracks))
    tokens = sorted(project.tracks, key=lambda t: project.track(t).score)
    project.execute(cmd.delete_track(project, tokens[0]))
    project.execute(cmd.set_review_state(project, [a.token for a in project.annotations_of_track(tokens[-1])],
                                         "accepted"))
    win = MainWindow(project, opened.store, owned=opened)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.loader.wait_idle()
    assert win.rescore.action in win.rescore._assist_menu().actions()
    steps = len(project.undo)
    before = {t: tr.score for t, tr in project.tracks.items()}
    with qtbot.waitSignal(win.rescore.done, timeout=60_000) as blocker:
        win.rescore.action.trigger()
    assert blocker.args == ["applied"]
    assert len(project.undo) == steps + 1
    assert {t: tr.score for t, tr in project.tracks.items()} != before
    assert opened.store.meta()[SCORER_MODEL_META_KEY].endswith("work.scorer.txt")
    project.undo.undo()
    assert {t: tr.score for t, tr in project.tracks.items()} == before
    win.close()
