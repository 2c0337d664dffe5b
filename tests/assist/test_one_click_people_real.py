"""One-click on real people (KITTI tracking 0000's walker and standing people, the nuScenes
sample's people): the box holds the person's points, centred on them, at least the class's
typical size, instead of a class-sized box anchored on the face the sensor saw (its centre
0.11-0.43 m behind the person; benchmarks/README.md, Follow-up ped5 and "one-click people")."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sweeplabel.assist.class_prior import prior_for
from sweeplabel.assist.iou import bev_iou, iou_3d
from sweeplabel.assist.one_click import propose_box
from sweeplabel.io import read_sequence
from sweeplabel.model import Project
from support import editor_points

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _clicks(loaded, min_points: int = 10):
    """(truth box, one-click box at the centroid of its points) of every person with enough points."""
    schema = Project(loaded.sequence).schema
    cats = {t.token: t.category for t in loaded.tracks}
    origin = loaded.sequence.render_origin_m
    out = []
    for f, frame in enumerate(loaded.sequence.frames):
        people = [a for a in loaded.annotations if a.frame_index == f and cats[a.track_token].startswith("human.")]
        if not people:
            continue
        pts, ground, sensor = editor_points(frame, origin)
        for a in people:
            truth = a.box.translated(-origin)
            inside = truth.contains(pts)
            if int(inside.sum()) < min_points:
                continue
            cat = cats[a.track_token]
            box = propose_box(pts, pts[inside, :3].mean(axis=0).astype(np.float64),
                              np.asarray(schema.category(cat).default_size_lwh_m), ground_mask=ground,
                              sensor_xy_m=sensor[:2], prior=prior_for(schema, cat), sensor_z_m=float(sensor[2]))
            out.append((truth, box))
    return out


def test_kitti_people_get_a_box_on_their_points(shared_data) -> None:
    root = shared_data / "kitti_tracking_0000" / "training"
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    clicks = _clicks(read_sequence(root))
    assert len(clicks) == 6
    ious = [iou_3d(box, truth) if box is not None else 0.0 for truth, box in clicks]
    assert min(ious) >= 0.5, ious  # were 2 of 6 at 0.5 (the face-anchored KITTI-sized box lay across the walker)
    for truth, box in clicks:
        assert np.hypot(*(box.center_m[:2] - truth.center_m[:2])) < 0.2


def test_nuscenes_people_get_a_box_on_their_points(shared_data) -> None:
    root = shared_data / "nuscenes_mmdet3d_demo"
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    clicks = _clicks(read_sequence(root))
    assert len(clicks) == 4
    hits = sum(iou_3d(box, truth) >= 0.5 for truth, box in clicks if box is not None)
    assert hits >= 2, hits  # was none (the face-anchored box sat behind each person)
