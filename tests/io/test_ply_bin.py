"""Plain .bin and PLY frame folders with optional poses.txt."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sweeplabel.io import FormatError
from sweeplabel.io.ply_bin import read_bin, read_ply, read_point_folder, sniff_bin_fields


def _ply_binary(pts: np.ndarray) -> bytes:
    head = (f"ply\nformat binary_little_endian 1.0\nelement vertex {len(pts)}\nproperty float x\n"
            "property float y\nproperty float z\nproperty float intensity\nelement face 0\n"
            "property list uchar int vertex_indices\nend_header\n").encode()
    return head + pts.astype("<f4").tobytes()


def test_bin_folder_with_poses_and_sniffed_fields(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    for i in range(3):
        pts = rng.normal(size=(100, 5)).astype(np.float32)
        pts[:, 4] = rng.integers(0, 32, 100)
        pts[:, 3] = rng.uniform(0, 1, 100)
        pts.tofile(tmp_path / f"{i:06d}.bin")
    (tmp_path / "poses.txt").write_text("".join(f"1 0 0 {i} 0 1 0 0 0 0 1 0\n" for i in range(3)))
    loaded = read_point_folder(tmp_path)
    assert len(loaded.sequence) == 3 and loaded.sequence[2].T_world_sensor[0, 3] == 2.0
    assert loaded.sequence[0].load_points().shape == (100, 5)
    assert sniff_bin_fields(tmp_path / "000000.bin") == 5


def test_ply_ascii_and_binary(tmp_path: Path) -> None:
    pts = np.arange(12, dtype=np.float32).reshape(3, 4)
    (tmp_path / "a.ply").write_bytes(_ply_binary(pts))
    assert np.array_equal(read_ply(tmp_path / "a.ply"), pts)
    text = ("ply\nformat ascii 1.0\nelement vertex 2\nproperty double x\nproperty double y\n"
            "property double z\nend_header\n1.5 2 3\n4 5 6\n")
    (tmp_path / "b.ply").write_text(text)
    assert read_ply(tmp_path / "b.ply").tolist() == [[1.5, 2, 3], [4, 5, 6]]


def test_error_bin_not_multiple_of_record(tmp_path: Path) -> None:
    path = tmp_path / "000000.bin"
    path.write_bytes(b"\0" * 33)
    with pytest.raises(FormatError, match="not a multiple of the 16-byte record") as err:
        read_bin(path, 4)
    assert err.value.offset == 32 and "000000.bin" in str(err.value)


def test_error_ply_truncated(tmp_path: Path) -> None:
    path = tmp_path / "c.ply"
    path.write_bytes(_ply_binary(np.zeros((10, 4), np.float32))[:-5])
    with pytest.raises(FormatError, match="expected 160 bytes of vertex data"):
        read_ply(path)


def test_error_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="empty folder"):
        read_point_folder(tmp_path)
