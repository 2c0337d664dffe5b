"""Unit tests of the checks on hand-made tracks (no point clouds unless stated)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweeplabel.assist.checks import (
    CHECKS, SKIPPED_CHECKS, CheckRunner, CheckSettings, Severity, load_settings, run_checks,
    save_settings,
)
from sweeplabel.assist.checks.bev import bev_iou
from sweeplabel.io import ProjectStore
from sweeplabel.model import Box, Frame, Project, Sequence, commands as cmd


def bare_sequence(n: int = 10, points=None) -> Sequence:
    """Frames 0.1 s apart, identity poses; ``points`` (sensor frame) in every frame if given."""
    loader = None if points is None else (lambda: points)
    return Sequence("bare", [Frame(i, 0.1 * i, np.eye(4), loader=loader) for i in range(n)])


def car_track(p: Project, frames, x0=0.0, speed_mps=10.0, yaw=0.0, **attrs) -> str:
    attrs = attrs or {"motion": "vehicle.moving"}
    first, *rest = frames
    box = lambda f: Box([x0 + speed_mps * 0.1 * f * math.cos(yaw), speed_mps * 0.1 * f * math.sin(yaw), 0.8],
                        [4.5, 1.9, 1.6], yaw)
    p.execute(cmd.create_track(p, "vehicle.car", first, box(first), attrs))
    token = max(p.tracks.values(), key=lambda t: t.number).token
    p.execute(cmd.put_annotations(p, [(token, f, box(f)) for f in rest], cmd.Source.MANUAL, attributes=attrs))
    return token


def found(p: Project, settings: CheckSettings | None = None) -> list[tuple[str, int | None]]:
    return [(f.check, f.frame_index) for f in run_checks(p, settings, use_points=False)]


def test_registry_and_skipped():
    assert {"empty_box", "few_points", "size_change", "heading_flip", "speed", "acceleration", "track_gap",
            "duplicate", "overlap", "floating", "sunk", "attribute_missing", "attribute_invalid",
            "out_of_range"} <= set(CHECKS)
    assert "class_change" in SKIPPED_CHECKS


def test_bev_iou():
    a = np.array([0, 0, 0, 4, 2, 1.5, 0.0])
    assert bev_iou(a, a) == pytest.approx(1.0)
    assert bev_iou(a, a + [2, 0, 0, 0, 0, 0, 0]) == pytest.approx(4 / 12)
    assert bev_iou(a, a + [0, 0, 0, 0, 0, 0, math.pi]) == pytest.approx(1.0)
    assert bev_iou(a, a + [10, 0, 0, 0, 0, 0, 0]) == 0.0
    assert bev_iou(a, a + [0, 0, 5, 0, 0, 0, 0]) == 0.0  # heights apart
    rot = bev_iou(np.array([0, 0, 0, 2, 2, 1, 0.0]), np.array([0, 0, 0, 2, 2, 1, math.pi / 4]))
    assert rot == pytest.approx((8 * (math.sqrt(2) - 1)) / (8 - 8 * (math.sqrt(2) - 1)), rel=1e-6)


def test_clean_motion_is_quiet_and_a_heading_reversal_is_one_finding():
    p = Project(bare_sequence())
    t = car_track(p, range(10))
    assert found(p) == []
    for f in range(6, 10):  # the tail reversed: one finding where it starts
        a = p.annotation_at(t, f)
        p.execute(cmd.set_box(p, a.token, a.box.flipped()))
    (finding,) = run_checks(p, use_points=False)
    assert (finding.check, finding.frame_index, finding.severity) == ("heading_flip", 6, Severity.ERROR)
    assert "reversed" in finding.message


def test_yaw_jump_threshold_is_a_setting():
    p = Project(bare_sequence())
    t = car_track(p, range(10))
    a = p.annotation_at(t, 4)
    p.execute(cmd.set_box(p, a.token, a.box.rotated(math.radians(40))))
    assert found(p) == [("heading_flip", 4)]
    assert found(p, CheckSettings(max_yaw_jump_deg=45)) == []


def test_speed_and_acceleration_limits_by_class():
    p = Project(bare_sequence())
    car_track(p, range(10), speed_mps=80.0)  # 288 km/h
    assert {c for c, _ in found(p)} == {"speed"}
    assert found(p, CheckSettings(max_speed_mps={"vehicle.car": 100.0})) == []
    q = Project(bare_sequence())
    t = car_track(q, range(10))
    a = q.annotation_at(t, 5)
    q.execute(cmd.set_box(q, a.token, a.box.translated([7.0, 0, 0])))  # a 7 m jump: 80 m/s
    checks = found(q)
    assert [c for c in checks if c[0] == "speed"] == [("speed", 5)]  # back again: 60 m/s is plausible
    assert {c for c, _ in checks} == {"speed", "acceleration"}


def test_gap_size_and_attributes():
    p = Project(bare_sequence())
    t = car_track(p, [0, 1, 2, 6, 7, 8])
    assert found(p) == [("track_gap", 3)]
    assert found(p, CheckSettings(max_gap_frames=3)) == []
    a = p.annotation_at(t, 7)
    p.execute(cmd.set_box(p, a.token, a.box.with_size([4.5, 2.6, 1.6])))
    assert ("size_change", 7) in found(p)
    q = Project(bare_sequence())
    u = car_track(q, range(4), attrs_missing=None)  # no "motion"
    q.execute(cmd.set_track_attributes(q, u, {"attrs_missing": None}))
    q.execute(cmd.set_annotation_attributes(q, q.annotation_at(u, 0).token, {"visibility": "v0-40"}))
    assert found(q) == [("attribute_missing", 0)]
    q.execute(cmd.set_track_attributes(q, u, {"motion": "flying"}))  # tracks are not validated
    checks = run_checks(q, use_points=False)
    assert [(f.check, f.severity) for f in checks] == [("attribute_invalid", Severity.ERROR)]
    assert found(q, CheckSettings(required_frame_attributes=("visibility",), disabled=("attribute_invalid",))) \
        == [("attribute_missing", 1)]


def test_overlap_and_duplicate():
    p = Project(bare_sequence())
    car_track(p, range(3), x0=0.0)
    car_track(p, range(3), x0=3.0)  # 1.5 m of 4.5 overlap
    dup = car_track(p, [1], x0=0.1)
    checks = run_checks(p, use_points=False)
    dups = [f for f in checks if f.check == "duplicate"]
    assert [(f.track_token, f.frame_index) for f in dups] == [(dup, 1)]
    assert {f.frame_index for f in checks if f.check == "overlap"} == {0, 1, 2}


def test_points_checks_with_an_explicit_range():
    rng = np.random.default_rng(0)
    car_world = rng.uniform([7.8, -0.9, 0.3], [12.2, 0.9, 1.6], size=(200, 3))
    ground_world = np.column_stack([rng.uniform(-30, 30, (4000, 2)), rng.normal(0, 0.01, 4000)])
    sensor_z_m = 1.7
    pts = (np.vstack([car_world, ground_world]) - [0, 0, sensor_z_m]).astype(np.float32)
    T = np.eye(4)
    T[2, 3] = sensor_z_m
    p = Project(Sequence("pts", [Frame(i, 0.1 * i, T, loader=lambda: pts) for i in range(3)]))
    parked = {"motion": "vehicle.parked"}
    p.execute(cmd.create_track(p, "vehicle.car", 0, Box([10, 0, 0.8], [4.5, 1.9, 1.6]), parked))
    p.execute(cmd.create_track(p, "vehicle.car", 0, Box([0, 10, 0.8], [4.5, 1.9, 1.6]), parked))
    p.execute(cmd.create_track(p, "vehicle.car", 1, Box([10, 0, 1.8], [4.5, 1.9, 1.6]), parked))
    checks = {(f.check, p.track(f.track_token).number) for f in run_checks(p)}
    assert checks == {("empty_box", 1), ("floating", 2)}
    ranged = {(f.check, p.track(f.track_token).number) for f in run_checks(p, CheckSettings(max_range_m=11.5))}
    assert ranged == checks | {("out_of_range", 0), ("out_of_range", 2)}


def test_incremental_runner_rechecks_only_touched_tracks_and_frames(monkeypatch):
    p = Project(bare_sequence(20))
    tokens = [car_track(p, range(20), x0=10.0 * k) for k in range(5)]
    runner = CheckRunner(p, use_points=False)
    runner.run_all()
    runner.attach()
    seen: list[tuple[str, object]] = []
    orig_t, orig_f = runner._check_track, runner._check_frame
    monkeypatch.setattr(runner, "_check_track", lambda t: (seen.append(("t", t)), orig_t(t)))
    monkeypatch.setattr(runner, "_check_frame", lambda f: (seen.append(("f", f)), orig_f(f)))
    a = p.annotation_at(tokens[2], 7)
    p.execute(cmd.set_box(p, a.token, a.box.flipped()))
    assert sorted(seen, key=str) == [("f", 7), ("t", tokens[2])]
    assert [(f.check, f.frame_index) for f in runner.findings] == [("heading_flip", 7)]
    seen.clear()
    p.execute(cmd.set_review_state(p, [a.token], cmd.ReviewState.ACCEPTED))
    assert seen == []  # review states do not change findings
    p.undo.undo()
    p.undo.undo()
    assert runner.findings == []
    runner.detach()


def test_settings_json_roundtrip_and_store(tmp_path):
    s = CheckSettings(max_yaw_jump_deg=20, severities={"track_gap": "error"}, disabled=("sunk",),
                      max_speed_mps={"": 50.0})
    assert CheckSettings.from_json(s.to_json()) == s
    assert CheckSettings.from_json('{"unknown": 1}') == CheckSettings()
    with pytest.raises(ValueError):
        CheckSettings.from_json('{"severities": {"x": "fatal"}}')
    with ProjectStore.create(tmp_path / "p.sweeplabel", {}) as store:
        assert load_settings(store) == CheckSettings()
        save_settings(store, s)
    with ProjectStore.open(tmp_path / "p.sweeplabel") as store:
        assert load_settings(store) == s
    assert s.severity("track_gap") == Severity.ERROR and s.for_class(s.max_speed_mps, "vehicle.car") == 50.0
