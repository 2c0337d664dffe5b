import numpy as np
import pytest

from sweeplabel.kernels import voxel_downsample, warmup
from sweeplabel.kernels.reference import voxel_downsample_ref


@pytest.mark.parametrize("method", ["first", "centroid"])
def test_parity_kitti(kitti_frame, method):
    out, idx = voxel_downsample(kitti_frame, 0.2, method=method, return_index=True)
    ref, idx_r = voxel_downsample_ref(kitti_frame, 0.2, method=method, return_index=True)
    np.testing.assert_array_equal(idx, idx_r)
    np.testing.assert_allclose(out, ref, rtol=1e-6, atol=1e-6)
    assert out.dtype == np.float32 and out.shape[1] == 4 and len(out) < len(kitti_frame)


def test_semantics_and_edge_cases():
    pts = np.array([[0.1, 0.1, 0.1, 1], [0.2, 0.2, 0.2, 3], [1.1, 0, 0, 5], [np.nan, 0, 0, 0], [-0.1, 0, 0, 7]],
                   dtype=np.float32)
    out, idx = voxel_downsample(pts, 1.0, return_index=True)
    assert idx.tolist() == [0, 2, 4]
    cen = voxel_downsample(pts, 1.0, method="centroid")
    np.testing.assert_allclose(cen[0], [0.15, 0.15, 0.15, 2.0], rtol=1e-6)
    assert voxel_downsample(np.zeros((0, 3), np.float32), 0.5).shape == (0, 3)
    assert voxel_downsample(np.zeros((1, 3), np.float32), 0.5).shape == (1, 3)
    with pytest.raises(ValueError, match="voxel_m"):
        voxel_downsample(pts, 0)
    with pytest.raises(ValueError, match="method"):
        voxel_downsample(pts, 1.0, method="median")


def test_warmup_runs():
    assert warmup() >= 0.0
