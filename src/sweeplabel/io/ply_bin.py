"""Plain ``.bin`` point files (N x 4 or N x 5 float32, no header) and PLY files,
and folders of them with an optional KITTI-odometry style ``poses.txt``."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ..model import Frame, Sequence
from .errors import FormatError
from .registry import LoadedSequence, SequenceReader, register_reader

FLOAT32_BYTES = 4


def read_bin(path: Path | str, fields_per_point: int = 4) -> np.ndarray:
    """Read an ``(N, fields_per_point)`` float32 cloud; the file size must be a
    multiple of the record size."""
    record = FLOAT32_BYTES * fields_per_point
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size % record:
            raise FormatError(
                path, f"size {size} is not a multiple of the {record}-byte record "
                f"({fields_per_point} float32 per point); {size % record} trailing bytes",
                offset=size - size % record)
        return np.fromfile(handle, dtype="<f4", count=size // 4).reshape(-1, fields_per_point)


def sniff_bin_fields(path: Path) -> int:
    """Guess 4 or 5 float32 per point: nuScenes ``.pcd.bin`` has 5 with a whole-number
    ring index (0..127) in the last column; anything else that fits 16 bytes is 4."""
    size = path.stat().st_size
    if path.name.endswith(".pcd.bin") and size % 20 == 0:
        return 5
    if size % 20 == 0 and size % 16 != 0:
        return 5
    if size % 20 == 0 and size >= 200:
        sample = np.fromfile(path, dtype="<f4", count=min(size // 4, 5 * 2000) // 5 * 5).reshape(-1, 5)
        ring = sample[:, 4]
        if np.all(ring == np.round(ring)) and ring.min() >= 0 and ring.max() < 256:
            as4 = np.fromfile(path, dtype="<f4", count=sample.size // 4 * 4).reshape(-1, 4)
            # with 4 fields, column 3 would be reflectance; a ring column shows as whole numbers
            if not np.all(as4[:, 3] == np.round(as4[:, 3])):
                return 5
    return 4


def read_poses_txt(path: Path) -> list[np.ndarray]:
    """KITTI odometry ``poses.txt``: 12 numbers per line (3x4 row-major) -> 4x4 each."""
    poses = []
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            values = [float(v) for v in line.split()]
        except ValueError:
            raise FormatError(path, "expected 12 numbers (a 3x4 pose)", line=line_no) from None
        if len(values) != 12:
            raise FormatError(path, f"expected 12 numbers (a 3x4 pose), got {len(values)}", line=line_no)
        T = np.eye(4)
        T[:3, :] = np.array(values).reshape(3, 4)
        poses.append(T)
    return poses


# -- PLY ---------------------------------------------------------------------------
_PLY_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1", "short": "i2", "int16": "i2",
    "ushort": "u2", "uint16": "u2", "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}


def _ply_header(path: Path, raw: bytes) -> tuple[str, int, list[tuple[str, int, list[tuple[str, str]]]]]:
    end = raw.find(b"end_header")
    if not raw.startswith(b"ply") or end < 0:
        raise FormatError(path, "expected a PLY header ('ply' ... 'end_header')", offset=0)
    body_start = raw.index(b"\n", end) + 1
    fmt = ""
    elements: list[tuple[str, int, list[tuple[str, str]]]] = []
    for line_no, line in enumerate(raw[:end].decode("ascii", "replace").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "format":
            fmt = parts[1]
        elif parts[0] == "element":
            elements.append((parts[1], int(parts[2]), []))
        elif parts[0] == "property":
            if not elements:
                raise FormatError(path, "property before any element", line=line_no)
            if parts[1] == "list":
                if elements[-1][0] == "vertex":
                    raise FormatError(path, "expected scalar vertex properties, found a list", line=line_no)
                elements[-1][2].append((parts[-1], "list"))
                continue
            if parts[1] not in _PLY_TYPES:
                raise FormatError(path, f"unknown PLY type {parts[1]!r}; expected one of {sorted(_PLY_TYPES)}",
                                  line=line_no)
            elements[-1][2].append((parts[2], _PLY_TYPES[parts[1]]))
    if fmt not in ("ascii", "binary_little_endian", "binary_big_endian"):
        raise FormatError(path, f"unknown PLY format {fmt!r}")
    return fmt, body_start, elements


def read_ply(path: Path | str) -> np.ndarray:
    """Vertices of a PLY file as (N, k) float32: x, y, z, then the other scalar
    properties in file order. Own parser (a few lines; no plyfile dependency)."""
    path = Path(path)
    raw = path.read_bytes()
    fmt, body_start, elements = _ply_header(path, raw)
    if not elements or elements[0][0] != "vertex":
        raise FormatError(path, "expected the first element to be 'vertex'")
    _, count, props = elements[0]
    names = [n for n, _ in props]
    if not {"x", "y", "z"} <= set(names):
        raise FormatError(path, f"vertex needs properties x, y, z; found {names}")
    order = ["x", "y", "z"] + [n for n in names if n not in ("x", "y", "z")]
    if fmt == "ascii":
        lines = raw[body_start:].decode("ascii", "replace").splitlines()
        if len(lines) < count:
            raise FormatError(path, f"expected {count} vertex lines, found {len(lines)}", line=len(lines))
        table = np.array([line.split()[: len(names)] for line in lines[:count]], dtype=np.float64)
        cols = {n: table[:, i] for i, n in enumerate(names)}
    else:
        endian = "<" if fmt == "binary_little_endian" else ">"
        dtype = np.dtype([(n, endian + t) for n, t in props])
        need = count * dtype.itemsize
        if body_start + need > len(raw):
            raise FormatError(path, f"expected {need} bytes of vertex data, file has {len(raw) - body_start}",
                              offset=len(raw))
        rec = np.frombuffer(raw, dtype=dtype, count=count, offset=body_start)
        cols = {n: rec[n] for n in names}
    return np.stack([np.asarray(cols[n], dtype=np.float32) for n in order], axis=1)


# -- folder reader -------------------------------------------------------------------
def _frame_files(folder: Path) -> list[Path]:
    if folder.is_file():
        return [folder]
    files = [p for p in folder.iterdir() if p.suffix in (".bin", ".ply") and p.is_file()]
    return sorted(files, key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)])


def _cloud_loader(path: Path, fields: int):
    if path.suffix == ".ply":
        return lambda: read_ply(path)
    return lambda: read_bin(path, fields)


def read_point_folder(folder: Path | str, fields_per_point: int | None = None,
                      period_s: float = 0.1) -> LoadedSequence:
    """A folder of ``.bin``/``.ply`` frames (natural sort order), or one such file as a
    one-frame sequence; ``poses.txt`` in the folder or its parent gives ``T_world_sensor``
    per frame; otherwise identity poses (always for a single file)."""
    folder = Path(folder)
    files = _frame_files(folder)
    if not files:
        raise FormatError(folder, "empty folder: expected .bin or .ply point files")
    warnings: list[str] = []
    candidates = () if folder.is_file() else (folder / "poses.txt", folder.parent / "poses.txt")
    poses_path = next((p for p in candidates if p.is_file()), None)
    poses = read_poses_txt(poses_path) if poses_path else []
    if poses and len(poses) < len(files):
        raise FormatError(poses_path, f"expected {len(files)} poses (one per frame), found {len(poses)}")
    frames = []
    for i, path in enumerate(files):
        fields = fields_per_point or (sniff_bin_fields(path) if path.suffix == ".bin" else 0)
        if path.suffix == ".bin" and path.stat().st_size % (4 * fields):
            read_bin(path, fields)  # raises the clear error now, not lazily
        frames.append(Frame(index=i, timestamp_s=i * period_s,
                            T_world_sensor=poses[i] if poses else np.eye(4),
                            loader=_cloud_loader(path, fields), source_path=path,
                            meta={"bin_fields": fields} if fields else {}))
    name = folder.name.split(".")[0] if folder.is_file() else folder.name
    seq = Sequence(name=name, frames=frames, root=folder, format="points")
    return LoadedSequence(seq, warnings=warnings)


def _sniff_folder(path: Path) -> bool:
    if path.is_file():
        return path.suffix in (".bin", ".ply")
    return path.is_dir() and any(p.suffix in (".bin", ".ply") for p in path.iterdir())


register_reader(SequenceReader("points-folder", _sniff_folder, read_point_folder, priority=200))
