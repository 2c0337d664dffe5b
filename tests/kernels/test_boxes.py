import numpy as np
import pytest

from sweeplabel.kernels import points_in_boxes, points_in_boxes_csr
from sweeplabel.kernels.reference import points_in_boxes_csr_ref, points_in_boxes_ref

from .kernels_testdata import KITTI_OBJ, load_bin, read_calib, read_labels


def random_boxes(rng, m, spread=30.0):
    b = np.zeros((m, 7))
    b[:, 0:2] = rng.uniform(-spread, spread, (m, 2))
    b[:, 2] = rng.uniform(-1.5, 0.5, m)
    b[:, 3] = rng.uniform(0.5, 6, m)
    b[:, 4] = rng.uniform(0.5, 3, m)
    b[:, 5] = rng.uniform(0.5, 3, m)
    b[:, 6] = rng.uniform(-4, 4, m)
    return b


def assert_parity(points, boxes):
    labels, counts = points_in_boxes(points, boxes)
    labels_r, counts_r = points_in_boxes_ref(points, boxes)
    np.testing.assert_array_equal(labels, labels_r)
    np.testing.assert_array_equal(counts, counts_r)
    off, idx = points_in_boxes_csr(points, boxes)
    off_r, idx_r = points_in_boxes_csr_ref(points, boxes)
    np.testing.assert_array_equal(off, off_r)
    np.testing.assert_array_equal(idx, idx_r)
    assert labels.dtype == np.int32 and counts.dtype == np.int64
    assert off.dtype == np.int64 and idx.dtype == np.int32
    return labels, counts, off, idx


@pytest.mark.parametrize("m", [0, 1, 7, 60])
def test_parity_random(m):
    rng = np.random.default_rng(m)
    pts = rng.uniform(-35, 35, (20000, 4)).astype(np.float32)
    pts[:, 2] = rng.uniform(-3, 3, 20000)
    assert_parity(pts, random_boxes(rng, m))


def test_overlapping_boxes_first_hit_and_csr():
    pts = np.array([[0, 0, 0], [1.5, 0, 0], [5, 5, 5]], dtype=np.float32)
    boxes = np.array([[0, 0, 0, 2, 2, 2, 0], [1, 0, 0, 2, 2, 2, 0]], dtype=np.float64)
    labels, counts, off, idx = assert_parity(pts, boxes)
    assert labels.tolist() == [0, 1, -1]
    assert counts.tolist() == [1, 1]
    assert off.tolist() == [0, 1, 3] and idx.tolist() == [0, 0, 1]


def test_empty_and_single_point():
    boxes = np.array([[0, 0, 0, 2, 2, 2, 0.3]])
    labels, counts = points_in_boxes(np.zeros((0, 3), np.float32), boxes)
    assert labels.shape == (0,) and counts.tolist() == [0]
    labels, counts = points_in_boxes(np.zeros((1, 3), np.float32), boxes)
    assert labels.tolist() == [0] and counts.tolist() == [1]
    off, idx = points_in_boxes_csr(np.zeros((0, 3), np.float32), np.zeros((0, 7)))
    assert off.tolist() == [0] and idx.size == 0


def test_nan_inf_points_are_in_no_box():
    pts = np.array([[np.nan, 0, 0], [0, np.nan, 0], [0, 0, np.nan], [np.inf, 0, 0], [0, 0, -np.inf], [0, 0, 0]],
                   dtype=np.float32)
    boxes = np.array([[0, 0, 0, 1e3, 1e3, 1e3, 0.0]])
    labels, counts, _, _ = assert_parity(pts, boxes)
    assert labels.tolist() == [-1] * 5 + [0]


def test_faces_inclusive_and_zero_size_box():
    # axis-aligned box [-1, 1] x [-0.5, 0.5] x [0, 2] and a zero-size box at (5, 5, 5)
    boxes = np.array([[0, 0, 1, 2, 1, 2, 0.0], [5, 5, 5, 0, 0, 0, 0.0]])
    pts = np.array([[1, 0, 1], [-1, 0.5, 0], [0, -0.5, 2], [1.0001, 0, 1], [5, 5, 5], [5, 5, 5.001]],
                   dtype=np.float32)
    labels, *_ = assert_parity(pts, boxes)
    assert labels.tolist() == [0, 0, 0, -1, 1, -1]


def test_yaw_wrap_equivalence():
    rng = np.random.default_rng(3)
    pts = rng.uniform(-4, 4, (5000, 3)).astype(np.float32)
    base = np.array([[0.3, -0.2, 0.0, 4.0, 1.5, 2.0, np.pi - 1e-3]])
    wrapped = base.copy()
    wrapped[0, 6] = -np.pi - 1e-3 + 2 * np.pi - 2 * np.pi  # same heading, other side of the wrap
    flipped = base.copy()
    flipped[0, 6] = base[0, 6] - np.pi  # a box is symmetric under a half turn
    a, _ = points_in_boxes(pts, base)
    for other in (wrapped, flipped):
        b, _ = points_in_boxes(pts, other)
        assert (a != b).sum() <= 2  # only points within rounding of a face may differ
    assert_parity(pts, np.array([[0, 0, 0, 4, 1.5, 2, np.pi], [0, 0, 0, 4, 1.5, 2, -np.pi]]))


def test_million_points():
    rng = np.random.default_rng(5)
    pts = rng.uniform(-60, 60, (1_000_000, 4)).astype(np.float32)
    pts[:, 2] = rng.uniform(-3, 3, 1_000_000)
    boxes = random_boxes(rng, 40, spread=50)
    labels, counts, _, _ = assert_parity(pts, boxes)
    assert counts.sum() > 1000


def test_kitti_counts_match_direct_float64_transform(kitti_object_ids):
    """Labels (camera frame) -> velodyne boxes; counts equal a float64 4x4-transform check."""
    checked = 0
    for fid in kitti_object_ids:
        pts = load_bin(KITTI_OBJ / "velodyne" / f"{fid}.bin")
        r0, tr = read_calib(fid)
        velo_from_rect = np.linalg.inv(r0 @ tr)
        boxes, rect_counts = [], []
        p_rect = (r0 @ tr @ np.c_[pts[:, :3].astype(np.float64), np.ones(len(pts))].T).T[:, :3]
        for _, (h, w, l, x, y, z, ry) in read_labels(fid):
            bottom = velo_from_rect @ np.array([x, y, z, 1.0])
            boxes.append([bottom[0], bottom[1], bottom[2] + h / 2, l, w, h, -ry - np.pi / 2])
            # direct check in the rectified camera frame (y down, rotation about y)
            d = p_rect - np.array([x, y, z])
            c, s = np.cos(ry), np.sin(ry)
            lx = d[:, 0] * c - d[:, 2] * s
            lz = d[:, 0] * s + d[:, 2] * c
            rect_counts.append(int(((np.abs(lx) <= l / 2) & (np.abs(lz) <= w / 2)
                                    & (d[:, 1] <= 0) & (d[:, 1] >= -h)).sum()))
        boxes = np.array(boxes, dtype=np.float64).reshape(-1, 7)
        off, idx = points_in_boxes_csr(pts, boxes)
        counts = np.diff(off)
        # exact: invert each velodyne box pose as a 4x4 matrix in float64 and compare extents
        p_h = np.c_[pts[:, :3].astype(np.float64), np.ones(len(pts))]
        for b, (cx, cy, cz, l, w, h, yaw) in enumerate(boxes):
            pose = np.eye(4)
            pose[:3, :3] = [[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]]
            pose[:3, 3] = [cx, cy, cz]
            local = (np.linalg.inv(pose) @ p_h.T).T
            inside = (np.abs(local[:, 0]) <= l / 2) & (np.abs(local[:, 1]) <= w / 2) & (np.abs(local[:, 2]) <= h / 2)
            assert abs(int(inside.sum()) - int(counts[b])) <= 1, (fid, b)  # 1e-16 rounding at a face at most
            # the camera frame is tilted by ~0.5 deg against the lidar: nearly the same points
            assert abs(rect_counts[b] - counts[b]) <= max(3, 0.03 * counts[b]), (fid, b)
            checked += 1
        labels, cnt1 = points_in_boxes(pts, boxes)
        assert cnt1.sum() == len(np.unique(idx))
    assert checked > 5


@pytest.mark.parametrize(
    "args, match",
    [
        ((np.zeros((5, 3), np.float64), np.zeros((1, 7))), "points: expected dtype float32"),
        ((np.zeros((5, 2), np.float32), np.zeros((1, 7))), r"points: expected shape \(N, 3\+\)"),
        ((np.zeros((5, 4), np.float32)[:, :3], np.zeros((1, 7))), "points: expected a C-contiguous"),
        ((np.zeros((5, 3), np.float32), np.zeros((1, 7), np.float32)), "boxes: expected dtype float64"),
        ((np.zeros((5, 3), np.float32), np.zeros((1, 6))), r"boxes: expected shape \(M, 7\)"),
        ((np.zeros((5, 3), np.float32), np.asfortranarray(np.zeros((2, 7)))), "boxes: expected a C-contiguous"),
        ((np.zeros((5, 3), np.float32), np.array([[0, 0, 0, -1, 1, 1, 0.0]])), "boxes: length, width"),
        ((np.zeros((5, 3), np.float32), np.array([[np.nan, 0, 0, 1, 1, 1, 0.0]])), "boxes: contains NaN"),
        ((np.zeros((5, 3), np.float32), np.array([[1e308, 0, 0, 1, 1, 1, 0], [-1e308, 0, 0, 1, 1, 1, 0]])),
         "boxes: coordinates too large"),
        (([[0, 0, 0]], np.zeros((1, 7))), "points: expected a numpy"),
    ],
)
def test_invalid_arguments(args, match):
    with pytest.raises(ValueError, match=match):
        points_in_boxes(*args)
    with pytest.raises(ValueError, match=match):
        points_in_boxes_csr(*args)


def test_invalid_device():
    with pytest.raises(ValueError, match="device"):
        points_in_boxes(np.zeros((1, 3), np.float32), np.zeros((0, 7)), device="tpu")
