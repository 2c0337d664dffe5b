"""LAS/LAZ: chunked reading equals laspy's own read; decimation; cut files."""

from __future__ import annotations

from pathlib import Path

import laspy
import numpy as np
import pytest

from sweeplabel.io import FormatError
from sweeplabel.io.las import read_las, read_las_sequence, voxel_decimate

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "las_laz"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared LAS data not found at {DATA}")


@needs_data
@pytest.mark.parametrize("name", ["simple.las", "autzen_trim.laz", "vegetation_1_3.las"])
def test_chunked_read_matches_laspy(name: str) -> None:
    ref = laspy.read(DATA / name)
    cloud = read_las(DATA / name, chunk_points=7_000)
    assert len(cloud.points) == len(ref.points)
    world = cloud.points[:, :3].astype(np.float64) + cloud.origin_m
    assert np.allclose(world[:, 0], ref.x, atol=2e-3) and np.allclose(world[:, 2], ref.z, atol=2e-3)
    assert np.array_equal(cloud.points[:, 3], np.asarray(ref.intensity, np.float32))
    assert np.array_equal(cloud.points[:, 4], np.asarray(ref.classification, np.float32))


@needs_data
def test_sequence_pose_carries_origin_and_decimation_shrinks() -> None:
    loaded = read_las_sequence(DATA / "autzen_trim.laz")
    frame = loaded.sequence[0]
    assert frame.T_world_sensor[0, 3] == pytest.approx(636001.0)
    dec = read_las(DATA / "autzen_trim.laz", voxel_m=5.0).points
    assert 0 < len(dec) < 110_000
    keys = np.floor(dec[:, :3] / 5.0)
    assert len(np.unique(keys, axis=0)) == len(dec)


def test_voxel_decimate_keeps_one_per_voxel() -> None:
    pts = np.array([[0.1, 0.1, 0.1, 1, 2], [0.2, 0.2, 0.2, 3, 4], [1.5, 0, 0, 5, 6]], np.float32)
    assert voxel_decimate(pts, 1.0).tolist() == [pts[0].tolist(), pts[2].tolist()]


@needs_data
def test_error_laz_cut_in_half(tmp_path: Path) -> None:
    raw = (DATA / "autzen_trim.laz").read_bytes()
    cut = tmp_path / "half.laz"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(FormatError, match="ends early or is corrupt") as err:
        read_las(cut)
    assert err.value.offset == len(raw) // 2 and err.value.path == cut


@needs_data
def test_error_las_cut_checked_before_reading(tmp_path: Path) -> None:
    raw = (DATA / "simple.las").read_bytes()
    cut = tmp_path / "half.las"
    cut.write_bytes(raw[:20_000])
    with pytest.raises(FormatError, match="truncated file: header claims 1065 points"):
        read_las_sequence(cut)
