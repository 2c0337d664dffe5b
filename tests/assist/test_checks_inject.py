"""Proof: on a synthetic sequence each check finds exactly the injected errors and
nothing on the clean labels; the incremental runner agrees with a full run."""

from __future__ import annotations

import numpy as np
import pytest

from sweeplabel.assist.checks import CheckRunner, CheckSettings, run_checks
from sweeplabel.io import open_project
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Box, Project, commands as cmd

MIN_GT_POINTS = 15  # an annotator labels what is visible: the GT also boxes hidden objects


def clean_labels(project: Project) -> None:
    """Drop the GT tracks an annotator could not label (a box with < MIN_GT_POINTS points)."""
    with project.undo.macro("keep visible tracks"):
        for token in list(project.tracks):
            anns = project.annotations_of_track(token)
            if min(a.attributes.get("num_points", 0) for a in anns) < MIN_GT_POINTS:
                project.execute(cmd.delete_track(project, token))


@pytest.fixture(scope="module", params=[3, 7], ids=lambda s: f"seed{s}")
def synthetic(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("qa")
    folder = generate_sequence(root / "seq", frames=12, beams=32, seed=request.param)
    opened = open_project(folder, project_path=root / "seq.sweeplabel")
    clean_labels(opened.project)
    yield opened.project
    opened.close()


def keyset(findings) -> set[tuple[str, str, int]]:
    return {(f.check, f.track_token, f.frame_index) for f in findings}


def moving_cars(p: Project) -> list[str]:
    return [t.token for t in sorted(p.tracks.values(), key=lambda t: t.number)
            if t.category == "vehicle.car" and t.attributes.get("motion", "") != "vehicle.parked"
            and p.annotations_of_track(t.token)[0].attributes.get("motion") == "vehicle.moving"
            and len(p.annotations_of_track(t.token)) == 12]


def empty_spot(p: Project, frame: int) -> Box:
    """A pedestrian-sized box on the road's centre line ahead with no points in it."""
    f = p.sequence[frame]
    pts = f.load_points()[:, :3].astype(np.float64) @ f.T_world_sensor[:3, :3].T + f.T_world_sensor[:3, 3]
    x0 = f.T_world_sensor[0, 3]
    for dx in np.arange(8.0, 30.0, 0.5):
        box = Box([x0 + dx, 0.0, 0.85], [0.6, 0.6, 1.7], 0.0)
        if not box.contains(pts, margin_m=0.3)[pts[:, 2] > 0.15].any():
            return box
    raise AssertionError("no empty spot found")


def test_clean_sequence_has_no_findings(synthetic):
    assert len(synthetic.tracks) >= 15
    findings = run_checks(synthetic)
    assert findings == [], [f.message for f in findings]


def test_each_check_finds_exactly_the_injected_errors(synthetic):
    p = synthetic
    runner = CheckRunner(p)
    runner.run_all()
    runner.attach()
    cars = moving_cars(p)
    sensor_xy = p.sequence[4].T_world_sensor[:2, 3]

    def visible(t: str) -> float:  # many points, and far enough for the low beams to see its base
        a = p.annotation_at(t, 4)
        far = np.hypot(*(a.box.center_m[:2] - sensor_xy)) > 10.0
        return a.attributes["num_points"] if far else 0

    by_points = sorted(p.tracks, key=lambda t: -visible(t))
    flip_t, size_t = cars[0], cars[1]
    float_t = next(t for t in by_points if t not in (flip_t, size_t))
    gap_t = next(t for t in by_points if t not in (flip_t, size_t, float_t))
    dup_of = next(t for t in by_points if t not in (flip_t, size_t, float_t, gap_t))
    expected = set()
    steps = len(p.undo)

    a = p.annotation_at(flip_t, 5)
    p.execute(cmd.set_box(p, a.token, a.box.flipped()))
    expected.add(("heading_flip", flip_t, 5))
    a = p.annotation_at(size_t, 6)
    p.execute(cmd.set_box(p, a.token, a.box.with_size(a.box.size_lwh_m * [1.4, 1.0, 1.0])))
    expected.add(("size_change", size_t, 6))
    p.execute(cmd.delete_annotations(p, [p.annotation_at(gap_t, 6).token]))
    expected.add(("track_gap", gap_t, 6))
    a = p.annotation_at(float_t, 4)
    p.execute(cmd.set_box(p, a.token, a.box.translated([0, 0, 1.0])))
    expected.add(("floating", float_t, 4))
    p.execute(cmd.create_track(p, "human.pedestrian.adult", 3, empty_spot(p, 3),
                               {"activity": "pedestrian.standing"}))
    empty_t = max(p.tracks.values(), key=lambda t: t.number).token
    expected.add(("empty_box", empty_t, 3))
    src = p.annotation_at(dup_of, 8)
    p.execute(cmd.create_track(p, p.track(dup_of).category, 8, src.box.translated([0.2, 0.1, 0]),
                               dict(src.attributes)))
    dup_t = max(p.tracks.values(), key=lambda t: t.number).token
    expected.add(("duplicate", dup_t, 8))

    full = run_checks(p)
    assert keyset(full) == expected, [f.message for f in full]
    # the incremental runner saw every edit and agrees with the full run
    assert keyset(runner.findings) == expected
    # every check finds only its own injection
    for check, track, frame in expected:
        mine = [f for f in full if f.check == check]
        assert [(f.track_token, f.frame_index) for f in mine] == [(track, frame)]
    # undoing the injections brings the clean state back, incrementally too
    while len(p.undo) > steps:
        p.undo.undo()
    assert runner.findings == []
    runner.detach()


def test_thresholds_are_settings(synthetic):
    p = synthetic
    strict = CheckSettings(min_points_warning=10_000, disabled=("empty_box",))
    found = run_checks(p, strict)
    assert found and {f.check for f in found} == {"few_points"}
    assert run_checks(p, CheckSettings(severities={"few_points": "error"}, min_points_warning=10_000))[0] \
        .severity.value == "error"
