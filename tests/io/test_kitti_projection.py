"""KITTI export: 2D box, truncation and alpha of edited boxes come from the one projection."""
from __future__ import annotations

import numpy as np

from sweeplabel.io.kitti import (IMAGE_SIZE_WH, default_calib, label_object_for, project_bbox,
                                 read_kitti_object)
from sweeplabel.model import Annotation, Box


def _dense_bbox(box: Box, calib, near_m: float = 0.1):
    """Independent check: sample every edge densely, keep samples in front of the camera."""
    from sweeplabel.model import BOX_EDGES

    c = box.corners()
    t = np.linspace(0.0, 1.0, 20_001)[:, None]
    samples = np.concatenate([c[a] + t * (c[b] - c[a]) for a, b in BOX_EDGES])
    P = calib.P2 @ calib.T_cam_velo
    hom = np.c_[samples, np.ones(len(samples))] @ P.T
    hom = hom[hom[:, 2] > near_m]
    uv = hom[:, :2] / hom[:, 2:]
    return uv.min(axis=0), uv.max(axis=0)


def test_box_reaching_behind_the_camera_is_clipped_not_dropped():
    calib = default_calib()
    # a truck beside the car, from 6 m behind to 4 m ahead of the camera
    box = Box([-1.0, 3.0, -0.5], [10.0, 2.5, 3.0], 0.0)
    (x0, y0, x1, y1), trunc = project_bbox(box, calib)
    lo, hi = _dense_bbox(box, calib)
    W, H = IMAGE_SIZE_WH
    assert abs(x0 - max(lo[0], 0)) < 1.0 and abs(y0 - max(lo[1], 0)) < 1.0
    assert abs(x1 - min(hi[0], W - 1)) < 1.0 and abs(y1 - min(hi[1], H - 1)) < 1.0
    assert x0 == 0.0 and 0.9 < trunc < 1.0  # reaches the left border, mostly outside


def test_box_fully_in_view_is_not_truncated():
    box = Box([15.0, 0.0, -0.8], [4.0, 1.8, 1.5], 0.2)
    (x0, y0, x1, y1), trunc = project_bbox(box, default_calib())
    lo, hi = _dense_bbox(box, default_calib())
    np.testing.assert_allclose([x0, y0, x1, y1], [*lo, *hi], atol=0.05)
    assert trunc == 0.0


def test_edited_and_copied_boxes_are_recomputed(shared_data):
    loaded = read_kitti_object(shared_data / "kitti_object")
    ann = next(a for a in loaded.annotations if a.frame_index == 1)
    track = next(t for t in loaded.tracks if t.token == ann.track_token)
    calib = default_calib()
    unedited = label_object_for(ann, track, ann.box, calib, _schema())
    assert unedited.bbox == tuple(ann.attributes["kitti_bbox"])  # the import is kept
    # pretend the annotator marked it truncated at import; an edit recomputes it
    attrs = {**ann.attributes, "kitti_truncated": 0.7}
    moved = Annotation(ann.token, ann.track_token, 1, ann.box.translated([0.5, 0, 0]) if hasattr(ann.box, "translated")
                       else Box(ann.box.center_m + [0.5, 0, 0], ann.box.size_lwh_m, ann.box.yaw_rad), attrs)
    obj = label_object_for(moved, track, moved.box, calib, _schema())
    bbox, trunc = project_bbox(moved.box, calib)
    assert obj.bbox == bbox and obj.truncated == trunc != 0.7
    # a copy on another frame with the same box is not the import: recomputed too
    copy = Annotation("copy", ann.track_token, 2, ann.box, dict(attrs))
    obj = label_object_for(copy, track, copy.box, calib, _schema())
    assert obj.bbox == project_bbox(copy.box, calib)[0] != tuple(ann.attributes["kitti_bbox"])
    assert obj.truncated != 0.7


def _schema():
    from sweeplabel.model import default_schema
    return default_schema()
