"""Issue 13 items 13-16, 18: bad input to any reader is one FormatError naming the file
and a line or byte offset; warnings reach ``LoadedSequence.warnings``; no silent garbage."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sweeplabel.io.errors import FormatError
from sweeplabel.io.las import read_las, read_las_sequence
from sweeplabel.io.pcd import pcd_bytes, read_pcd
from sweeplabel.io.ply_bin import read_ply
from sweeplabel.io.registry import read_sequence


def _kitti(shared: Path, tmp: Path) -> Path:
    root = tmp / "obj"
    shutil.copytree(shared / "kitti_object", root)
    return root


def _label(root: Path, stem: str = "000001") -> Path:
    return root / "training" / "label_2" / f"{stem}.txt"


def _raises(path_or_call, where: Path, match: str, *, line: int | None = None, offset: int | None = None):
    with pytest.raises(FormatError, match=match) as err:
        path_or_call() if callable(path_or_call) else read_sequence(path_or_call)
    assert err.value.path == where, str(err.value)
    assert err.value.line is not None or err.value.offset is not None, str(err.value)
    if line is not None:
        assert err.value.line == line, str(err.value)
    if offset is not None:
        assert err.value.offset == offset, str(err.value)
    return err.value


# -- 13: encodings -------------------------------------------------------------------------------
def test_utf8_bom_does_not_turn_the_first_object_into_misc(shared_data: Path, tmp_path: Path) -> None:
    root = _kitti(shared_data, tmp_path)
    before = [t.category for t in read_sequence(root).tracks]
    label = _label(root, "000000")
    label.write_bytes(b"\xef\xbb\xbf" + label.read_bytes())
    assert [t.category for t in read_sequence(root).tracks] == before
    assert before[0] == "human.pedestrian.adult"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-16-le"])
def test_utf16_and_utf32_labels_are_refused_by_name(shared_data: Path, tmp_path: Path, encoding: str) -> None:
    root = _kitti(shared_data, tmp_path)
    label = _label(root)
    label.write_bytes(label.read_text().encode(encoding))
    _raises(root, label, "UTF-(16|32).*expected UTF-8", line=1)


def test_one_latin1_byte_gives_line_and_byte(shared_data: Path, tmp_path: Path) -> None:
    root = _kitti(shared_data, tmp_path)
    calib = root / "training" / "calib" / "000001.txt"
    text = calib.read_bytes()
    second = text.index(b"\n") + 1
    calib.write_bytes(text[:second] + b"\xe9" + text[second:])
    _raises(root, calib, "not UTF-8 text: byte 0xe9", line=2, offset=second)


def test_json_tables_in_utf16_name_the_table(shared_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "lyft"
    shutil.copytree(shared_data / "lyft_nuscenes_schema_tables", root)
    table = root / "v1.01-train" / "category.json"
    table.write_bytes(table.read_text().encode("utf-16"))
    _raises(root, table, "UTF-16", line=1, offset=0)


# -- 14: LAS/LAZ headers -------------------------------------------------------------------------
def _las_with(shared: Path, tmp: Path, offset: int, fmt: str, value) -> Path:
    raw = bytearray((shared / "las_laz" / "simple.las").read_bytes())
    struct.pack_into(fmt, raw, offset, value)
    path = tmp / "bad.las"
    path.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize("offset, fmt, value, match", [
    (100, "<I", 4_000_000_000, "VLRs need"),          # huge VLR count: used to hang growing past 1.9 GB
    (96, "<I", 4294967295, "offset to point data"),   # asked for 4 GiB from a 36 KB file
    (131, "<d", float("nan"), "x scale nan"),          # all-NaN points, exit 0
    (139, "<d", float("inf"), "y scale inf"),
    (163, "<d", 1e300, "y offset"),
    (187, "<d", float("nan"), "min x nan"),            # NaN pose
    (203, "<d", float("-inf"), "min y -inf"),
])
def test_las_header_fields_checked_before_use(shared_data: Path, tmp_path: Path, offset, fmt, value, match) -> None:
    path = _las_with(shared_data, tmp_path, offset, fmt, value)
    _raises(path, path, match, offset=offset)
    _raises(lambda: read_las(path), path, match, offset=offset)


def test_laz_garbled_chunk_table_is_refused_not_an_abort(shared_data: Path, tmp_path: Path) -> None:
    """lazrs allocated the chunk count from the table unchecked: 56 GB, process aborted."""
    raw = (shared_data / "las_laz" / "autzen_trim.laz").read_bytes()
    table = struct.unpack_from("<q", raw, 2144)[0]
    bad = bytearray(raw)
    struct.pack_into("<I", bad, table + 4, 3_500_000_000)
    path = tmp_path / "bad.laz"
    path.write_bytes(bytes(bad))
    _raises(lambda: read_las(path), path, "chunk table", offset=table)


def test_las_trailing_bytes_are_reported(shared_data: Path, tmp_path: Path) -> None:
    path = tmp_path / "t.las"
    path.write_bytes((shared_data / "las_laz" / "simple.las").read_bytes() + b"\0" * 40)
    loaded = read_las_sequence(path)
    assert any("40 bytes after the last point record" in w and str(path) in w for w in loaded.warnings)
    assert loaded.sequence.frames[0].meta["las_point_count"] == 1065


# -- 15: KITTI .bin record layout per folder --------------------------------------------------------
def test_kitti_scan_cut_to_a_multiple_of_20_is_refused(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "velodyne"
    shutil.copytree(shared_data / "kitti_object" / "training" / "velodyne", folder)
    scan = folder / "000001.bin"
    raw = scan.read_bytes()
    scan.write_bytes(raw[: len(raw) // 80 * 80 - 20])  # a multiple of 20, not of 16
    _raises(folder, scan, "16-byte record")
    _raises(scan, scan, "16-byte record")  # a single file in a KITTI folder: 4 floats too


def test_plain_bin_folder_layout_decided_once(shared_data: Path, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    pts = np.fromfile(shared_data / "kitti_object" / "training" / "velodyne" / "000000.bin", "<f4").reshape(-1, 4)
    for name in ("a", "b", "c"):
        pts[:1000].tofile(folder / f"{name}.bin")  # 16000 bytes: fits 4 and 5 floats; reads as 4
    (folder / "d.bin").write_bytes(pts[:1000].tobytes()[: 20 * 799])  # fits 5 floats only
    _raises(folder, folder / "d.bin", "16-byte record")
    (folder / "d.bin").unlink()
    assert read_sequence(folder).sequence.frames[2].load_points().shape == (1000, 4)


# -- 16: numbers ------------------------------------------------------------------------------------
def _replace_line(path: Path, line_no: int, transform) -> None:
    lines = path.read_text().splitlines()
    lines[line_no - 1] = transform(lines[line_no - 1])
    path.write_text("\n".join(lines) + "\n")


def test_negative_box_size_is_refused(shared_data: Path, tmp_path: Path) -> None:
    root = _kitti(shared_data, tmp_path)
    label = _label(root)

    def negative_w(text: str) -> str:
        parts = text.split()
        parts[9] = "-5"
        return " ".join(parts)

    _replace_line(label, 2, negative_w)
    _raises(root, label, "positive dimensions", line=2)


def test_singular_tr_velo_to_cam_is_refused(shared_data: Path, tmp_path: Path) -> None:
    root = _kitti(shared_data, tmp_path)
    calib = root / "training" / "calib" / "000001.txt"
    lines = calib.read_text().splitlines()
    n = next(i for i, l in enumerate(lines, 1) if l.startswith("Tr_velo_to_cam"))
    _replace_line(calib, n, lambda t: "Tr_velo_to_cam: " + " ".join(["0"] * 12))
    _raises(root, calib, "not a rotation", line=n)


def test_non_ascii_digits_as_track_ids(shared_data: Path, tmp_path: Path) -> None:
    root = tmp_path / "trk"
    shutil.copytree(shared_data / "kitti_tracking_0000", root, ignore=shutil.ignore_patterns("pcd_original"))
    label = root / "training" / "label_02" / "0000.txt"
    _replace_line(label, 3, lambda t: " ".join(["0", "\u0661\u0662"] + t.split()[2:]))
    _raises(root, label, "whole number", line=3)
    scene = tmp_path / "scene"
    shutil.copytree(shared_data / "sustech_points_example", scene)
    js = scene / "label" / "000965.json"
    js.write_text(js.read_text().replace('"obj_id": "4"', '"obj_id": "\u0664"', 1))
    _raises(scene, js, "obj_id")


def test_json_nested_100000_deep_and_5000_digit_numbers(shared_data: Path, tmp_path: Path) -> None:
    scene = tmp_path / "scene"
    shutil.copytree(shared_data / "sustech_points_example", scene)
    js = scene / "label" / "000965.json"
    original = js.read_text()
    js.write_text('[{"deep": ' + "[" * 100_000 + "]" * 100_000 + "}, " + original[1:])
    _raises(scene, js, "nested deeper", line=1)
    js.write_text(original.replace("4.500000000000001", "9" * 5000, 1))
    _raises(scene, js, "5000 characters", line=1)


@pytest.mark.parametrize("edit, match", [
    (("COUNT 1 1 1 1", "COUNT 1 1 -4 1"), "COUNT: expected whole numbers >= 0"),
    (("COUNT 1 1 1 1", "COUNT 1 1 1 1e20"), "COUNT: expected whole numbers"),
    (("WIDTH 50", "WIDTH"), "WIDTH: expected a whole number"),
    (("VIEWPOINT 0 0 0 1 0 0 0", "VIEWPOINT 0 0 zero 1 0 0 0"), "VIEWPOINT"),
    (("WIDTH 50\nHEIGHT 1", "WIDTH -1\nHEIGHT -1"), "WIDTH: expected whole numbers >= 0"),
])
def test_pcd_header_numbers(tmp_path: Path, edit, match) -> None:
    cols = {k: np.arange(50, dtype=np.float32) for k in ("x", "y", "z", "intensity")}
    raw = pcd_bytes(cols).replace(edit[0].encode(), edit[1].encode(), 1)
    path = tmp_path / "a.pcd"
    path.write_bytes(raw)
    _raises(path, path, match)


@pytest.mark.parametrize("count", ["1.5", "-3", "", "99999999999999999999999"])
def test_ply_vertex_counts(tmp_path: Path, count: str) -> None:
    path = tmp_path / "a.ply"
    path.write_bytes(f"ply\nformat ascii 1.0\nelement vertex {count}\nproperty float x\nproperty float y\n"
                     "property float z\nend_header\n0 0 0\n".encode())
    _raises(lambda: read_ply(path), path, "element|vertex lines")


# -- 16: PCD/PLY warnings and guards ------------------------------------------------------------------
def test_pcd_warnings_reach_the_loaded_sequence(shared_data: Path) -> None:
    padded = read_sequence(shared_data / "kitti_tracking_0000" / "pcd_original")
    assert any("bytes after the last point ignored" in w and "7 more files" in w for w in padded.warnings)
    sustech = read_sequence(shared_data / "sustech_points_example")
    assert any("padding fields with COUNT 0" in w for w in sustech.warnings)


def test_ascii_pcd_short_rows_and_trailing_lines(tmp_path: Path) -> None:
    head = (b"VERSION 0.7\nFIELDS x y z intensity\nSIZE 4 4 4 4\nTYPE F F F F\nCOUNT 1 1 1 1\nWIDTH 3\n"
            b"HEIGHT 1\nPOINTS 3\nDATA ascii\n")
    path = tmp_path / "a.pcd"
    path.write_bytes(head + b"nan nan nan 0\n0 0 0 0\n1 2 3 4\n")  # 34 bytes < 3 x 16: valid
    cloud = read_pcd(path)
    assert len(cloud.columns["x"]) == 3 and np.isnan(cloud.columns["x"][0]) and not cloud.warnings
    path.write_bytes(head + b"nan nan nan 0\n0 0 0 0\n1 2 3 4\n5 6 7 8\n")
    loaded = read_sequence(path)
    assert len(loaded.sequence.frames[0].load_points()) == 3
    assert any("1 lines after the last point (line 13)" in w for w in read_pcd(path).warnings)


def test_ply_trailing_data_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "a.ply"
    path.write_bytes(b"ply\nformat binary_little_endian 1.0\nelement vertex 2\nproperty float x\n"
                     b"property float y\nproperty float z\nend_header\n" + np.zeros(6, "<f4").tobytes() + b"junk")
    notes: list[str] = []
    assert read_ply(path, notes).shape == (2, 3)
    assert notes == ["a.ply: 4 bytes after the last vertex ignored"]
    assert read_sequence(path).warnings == notes  # at open, in LoadedSequence.warnings


def test_binary_compressed_guard_is_a_realistic_lzf_bound(tmp_path: Path) -> None:
    """A header claiming 1000x expansion is refused before decoding (LZF tops out near 88x)."""
    head = (b"VERSION 0.7\nFIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nCOUNT 1 1 1\nWIDTH 100000\nHEIGHT 1\n"
            b"POINTS 100000\nDATA binary_compressed\n")
    path = tmp_path / "c.pcd"
    path.write_bytes(head + struct.pack("<II", 1200, 1_200_000) + b"\0" * 1200)
    _raises(path, path, "more than the file can hold|cannot expand", offset=len(head))


# -- 18 and the CLI -------------------------------------------------------------------------------------
def test_viewer_asks_io_for_las_counts(shared_data: Path, tmp_path: Path) -> None:
    from sweeplabel.viewer import frame_data

    source = Path(frame_data.__file__).read_text()
    assert "import laspy" not in source and "laspy.open" not in source
    path = tmp_path / "s.las"
    shutil.copy(shared_data / "las_laz" / "simple.las", path)
    frame = read_las_sequence(path).sequence.frames[0]
    path.unlink()  # the count comes from the reader's frame meta, not a re-opened header
    assert frame_data.is_big_cloud(frame, budget=1000) and not frame_data.is_big_cloud(frame, budget=2000)


@pytest.mark.parametrize("command", ["info", "import"])
def test_cli_gives_one_line_not_a_traceback(shared_data: Path, tmp_path: Path, command: str) -> None:
    root = _kitti(shared_data, tmp_path)
    label = _label(root)
    label.write_bytes(label.read_text().encode("utf-16"))
    bad_las = _las_with(shared_data, tmp_path, 100, "<I", 4_000_000_000)
    for target, named in ((root, label), (bad_las, bad_las)):
        run = subprocess.run([sys.executable, "-m", "sweeplabel.cli", command, str(target)],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 2, run.stderr
        assert "Traceback" not in run.stderr
        assert run.stderr.count("\n") == 1 and str(named) in run.stderr, run.stderr
