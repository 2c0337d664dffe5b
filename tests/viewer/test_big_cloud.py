"""A LAS/LAZ cloud above the display budget streams through a voxel filter with progress."""

from __future__ import annotations

import laspy
import numpy as np

from sweeplabel.io import read_sequence
from sweeplabel.viewer import load_frame_data
from sweeplabel.viewer.frame_data import is_big_cloud


def write_las(path, n_points: int) -> None:
    rng = np.random.default_rng(0)
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales = np.array([0.01, 0.01, 0.01])
    header.offsets = np.array([500_000.0, 5_400_000.0, 0.0])
    las = laspy.LasData(header)
    las.x = 500_000.0 + rng.uniform(0, 100, n_points)
    las.y = 5_400_000.0 + rng.uniform(0, 100, n_points)
    las.z = 100.0 + 0.02 * (las.x - 500_000.0) + rng.normal(0, 0.05, n_points)
    las.intensity = rng.integers(0, 65535, n_points).astype(np.uint16)
    las.write(path)


def test_big_las_is_decimated_while_streaming(tmp_path, monkeypatch) -> None:
    path = tmp_path / "map.las"
    write_las(path, 200_000)
    seq = read_sequence(path).sequence
    assert is_big_cloud(seq[0], budget=20_000) and not is_big_cloud(seq[0])
    calls: list[tuple[int, int]] = []
    partials: list[int] = []
    import sweeplabel.viewer.big_cloud as big

    monkeypatch.setattr(big, "PARTIAL_EVERY_S", 0.0)  # every chunk
    data = big.stream_las_frame_data(seq, 0, 20_000, chunk_points=50_000, partial=lambda d: partials.append(len(d)),
                                     progress=lambda done, total: calls.append((done, total)))
    assert len(data) == 20_000
    assert calls == [(50_000 * k, 200_000) for k in range(1, 5)]
    assert partials == [5_000, 10_000, 15_000]  # growing views before the last chunk
    again = load_frame_data(seq, 0, budget=20_000)
    np.testing.assert_array_equal(again.xyz_m, data.xyz_m)
    assert np.abs(data.xyz_m[:, :2]).max() < 200.0  # render frame near the data, not UTM
    assert data.ground.mean() > 0.5  # a ground-only map: grid ground fit
    full = load_frame_data(seq, 0)
    assert len(full) == 200_000
