"""PCD reader: ascii / binary / binary_compressed, the SUSTechPOINTS quirk, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sweeplabel.io import FormatError
from sweeplabel.io.pcd import lzf_decompress, pcd_bytes, read_pcd, read_pcd_folder

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"shared data not found at {DATA}")


def _columns(n: int = 50) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"x": rng.normal(size=n).astype(np.float32), "y": rng.normal(size=n).astype(np.float32),
            "z": rng.normal(size=n).astype(np.float32),
            "intensity": rng.uniform(0, 255, n).astype(np.float32),
            "ring": rng.integers(0, 64, n).astype(np.uint16)}


def _lzf_literals(data: bytes) -> bytes:
    """A valid LZF stream made of literal runs only (enough to test the decoder)."""
    out = bytearray()
    for i in range(0, len(data), 32):
        chunk = data[i:i + 32]
        out.append(len(chunk) - 1)
        out += chunk
    return bytes(out)


def _compressed_pcd(cols: dict[str, np.ndarray]) -> bytes:
    head = pcd_bytes(cols, "binary").split(b"DATA binary\n")[0] + b"DATA binary_compressed\n"
    raw = b"".join(np.ascontiguousarray(a).tobytes() for a in cols.values())  # column-wise
    packed = _lzf_literals(raw)
    return head + np.array([len(packed), len(raw)], "<u4").tobytes() + packed


@pytest.mark.parametrize("kind", ["ascii", "binary", "binary_compressed"])
def test_three_encodings_agree(tmp_path: Path, kind: str) -> None:
    cols = _columns()
    path = tmp_path / f"{kind}.pcd"
    path.write_bytes(_compressed_pcd(cols) if kind == "binary_compressed" else pcd_bytes(cols, kind))
    cloud = read_pcd(path)
    for name, values in cols.items():
        assert np.array_equal(cloud.columns[name], values), name
    assert cloud.points().shape == (50, 5) and cloud.points().dtype == np.float32


def test_lzf_back_reference() -> None:
    # literal "abc" then a back-reference of length 6 at distance 3 -> "abcabcabc"
    src = np.frombuffer(bytes([2]) + b"abc" + bytes([(4 << 5) | 0, 2]), np.uint8)
    out = np.empty(9, np.uint8)
    assert lzf_decompress(src, out) == 9 and out.tobytes() == b"abcabcabc"
    assert lzf_decompress(np.frombuffer(bytes([(1 << 5), 50]), np.uint8), out) < 0  # reference before start


@needs_data
def test_sustech_quirk_layout_and_warning() -> None:
    cloud = read_pcd(DATA / "sustech_points_example" / "lidar" / "000965.pcd")
    assert len(cloud.columns["x"]) == 66781
    ts, ring = cloud.columns["timestamp"], cloud.columns["ring"]
    assert 1820.29 < ts.min() and ts.max() < 1820.41
    assert ring.min() == 0 and ring.max() == 39
    assert cloud.columns["intensity"].max() <= 255
    assert any("do not match the bytes" in w for w in cloud.warnings)
    assert any("3848 bytes after the last point" in w for w in cloud.warnings)


@needs_data
def test_kitti_pcd_equals_derived_bin() -> None:
    cloud = read_pcd(DATA / "kitti_tracking_0000" / "pcd_original" / "0000000003.pcd")
    ref = np.fromfile(DATA / "kitti_tracking_0000" / "training" / "velodyne" / "0000" / "000003.bin", "<f4")
    assert np.array_equal(cloud.points(), ref.reshape(-1, 4))


def test_error_truncated_binary_body(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcd"
    data = pcd_bytes(_columns(), "binary")
    path.write_bytes(data[:-7])
    with pytest.raises(FormatError, match="truncated body: expected 50 points") as err:
        read_pcd(path)
    assert err.value.offset == len(data) - 7 and err.value.path == path


def test_error_truncated_ascii_body(tmp_path: Path) -> None:
    path = tmp_path / "cut.pcd"
    text = pcd_bytes(_columns(), "ascii").decode().splitlines(keepends=True)
    path.write_text("".join(text[:-5]))
    with pytest.raises(FormatError, match="expected 50 point lines, found 45"):
        read_pcd(path)


def test_error_unknown_type(tmp_path: Path) -> None:
    path = tmp_path / "t.pcd"
    path.write_bytes(pcd_bytes(_columns(), "binary").replace(b"TYPE F F F F U", b"TYPE F F F Q U"))
    with pytest.raises(FormatError, match="unknown TYPE 'Q'") as err:
        read_pcd(path)
    assert err.value.line == 5


def test_error_missing_x(tmp_path: Path) -> None:
    cols = _columns()
    cols["a"] = cols.pop("x")
    path = tmp_path / "nox.pcd"
    path.write_bytes(pcd_bytes(cols, "binary"))
    with pytest.raises(FormatError, match="missing field 'x'") as err:
        read_pcd(path)
    assert err.value.line == 3


def test_error_points_more_than_file(tmp_path: Path) -> None:
    path = tmp_path / "big.pcd"
    path.write_bytes(pcd_bytes(_columns(), "binary").replace(b"WIDTH 50", b"WIDTH 900000000")
                     .replace(b"POINTS 50", b"POINTS 900000000"))
    with pytest.raises(FormatError, match="more than the file can hold"):
        read_pcd(path)


def test_pcd_folder_reader(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"{i}.pcd").write_bytes(pcd_bytes(_columns(10 + i), "binary"))
    loaded = read_pcd_folder(tmp_path)
    assert [len(f.load_points()) for f in loaded.sequence] == [10, 11, 12]
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError, match="empty folder"):
        read_pcd_folder(tmp_path / "empty")
