import numpy as np
import pytest

from sweeplabel.kernels import cluster_around, cluster_euclidean
from sweeplabel.kernels.reference import cluster_around_ref, cluster_euclidean_ref


def blobs(rng, n_each=300, sep=10.0):
    a = rng.normal(0, 0.3, (n_each, 4))
    b = rng.normal(0, 0.3, (n_each, 4))
    b[:, 0] += sep
    return np.ascontiguousarray(np.vstack([a, b]).astype(np.float32))


def test_two_blobs_separated():
    pts = blobs(np.random.default_rng(0))
    labels = cluster_euclidean(pts, 0.5, 5)
    assert set(labels[:300]) == {0} and set(labels[300:]) == {1}
    idx = cluster_around(pts, pts[310, :3], 0.5)
    np.testing.assert_array_equal(idx, np.arange(300, 600))


@pytest.mark.parametrize("seed, radius, min_pts", [(1, 0.5, 3), (2, 0.3, 1), (3, 1.0, 10)])
def test_parity_random(seed, radius, min_pts):
    rng = np.random.default_rng(seed)
    pts = (rng.normal(size=(900, 3)) * 3).astype(np.float32)
    np.testing.assert_array_equal(cluster_euclidean(pts, radius, min_pts), cluster_euclidean_ref(pts, radius, min_pts))
    mask = rng.random(900) < 0.7
    np.testing.assert_array_equal(cluster_euclidean(pts, radius, min_pts, mask=mask),
                                  cluster_euclidean_ref(pts, radius, min_pts, mask=mask))
    for k in (0, 17, 400):
        np.testing.assert_array_equal(cluster_around(pts, pts[k], radius, roi_radius_m=4.0),
                                      cluster_around_ref(pts, pts[k], radius, roi_radius_m=4.0))


def test_parity_real(kitti_frame):
    r = np.hypot(kitti_frame[:, 0], kitti_frame[:, 1])
    sub = np.ascontiguousarray(kitti_frame[(r < 12) & (kitti_frame[:, 2] > -1.3)][:1500])
    np.testing.assert_array_equal(cluster_euclidean(sub, 0.5, 5), cluster_euclidean_ref(sub, 0.5, 5))
    np.testing.assert_array_equal(cluster_around(sub, sub[100, :3], 0.4), cluster_around_ref(sub, sub[100, :3], 0.4))


def test_exact_radius_links_and_edge_cases():
    pts = np.array([[0, 0, 0], [0.5, 0, 0], [1.5, 0, 0]], dtype=np.float32)
    assert cluster_euclidean(pts, 0.5, 1).tolist() == [0, 0, 1]
    assert cluster_euclidean(pts, 0.5, 2).tolist() == [0, 0, -1]
    assert cluster_euclidean(np.zeros((0, 3), np.float32)).shape == (0,)
    assert cluster_euclidean(np.zeros((1, 3), np.float32), 0.5, 1).tolist() == [0]
    bad = np.array([[np.nan, 0, 0], [0, 0, 0], [0.1, 0, 0], [np.inf, 0, 0]], dtype=np.float32)
    assert cluster_euclidean(bad, 0.5, 1).tolist() == [-1, 0, 0, -1]
    assert cluster_around(bad, [0, 0, 0], 0.5).tolist() == [1, 2]
    assert cluster_around(np.zeros((0, 3), np.float32), [0, 0, 0]).size == 0
    assert cluster_around(pts, [100, 0, 0], 0.5).size == 0  # nothing in the ROI


def test_invalid_arguments():
    pts = np.zeros((3, 3), np.float32)
    with pytest.raises(ValueError, match="radius_m"):
        cluster_euclidean(pts, 0.0)
    with pytest.raises(ValueError, match="min_points"):
        cluster_euclidean(pts, 0.5, 0)
    with pytest.raises(ValueError, match="mask"):
        cluster_euclidean(pts, 0.5, 1, mask=np.ones(2, bool))
    with pytest.raises(ValueError, match="seed_xyz"):
        cluster_around(pts, [0, 0])
    with pytest.raises(ValueError, match="points"):
        cluster_around(pts.astype(np.float64), [0, 0, 0])
