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
from .text import line_at, parse_float, parse_int, read_text

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
    for line_no, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            values = [parse_float(v) for v in line.split()]
        except ValueError:
            raise FormatError(path, "expected 12 finite numbers (a 3x4 pose)", line=line_no) from None
        if len(values) != 12:
            raise FormatError(path, f"expected 12 numbers (a 3x4 pose), got {len(values)}", line=line_no)
        T = np.eye(4)
        T[:3, :] = np.array(values).reshape(3, 4)
        R = T[:3, :3]
        if not (np.allclose(R @ R.T, np.eye(3), atol=1e-4) and np.linalg.det(R) > 0):
            raise FormatError(path, "the 3x3 part is not a rotation matrix", line=line_no)
        poses.append(T)
    return poses


KITTI_FOLDERS = ("velodyne", "velodyne_reduced", "velodyne_points")


def folder_bin_fields(files: list[Path]) -> int:
    """One record layout (4 or 5 float32 per point) for all ``.bin`` files of a folder:
    KITTI folders are 4 (x y z reflectance), ``.pcd.bin`` files 5 (nuScenes); otherwise
    the majority of the sniffed layouts of a few files. A file that does not fit the
    folder's layout is a FormatError naming it (not read as the other layout)."""
    bins = [p for p in files if p.suffix == ".bin"]
    if not bins:
        return 0
    sizes = [p.stat().st_size for p in bins]
    parent = bins[0].parent
    if parent.name in KITTI_FOLDERS or (parent.parent.name in KITTI_FOLDERS):
        fields = 4
    elif all(p.name.endswith(".pcd.bin") for p in bins):
        fields = 5
    else:  # the majority of up to 5 files spread over the folder
        sample = bins[:: max(1, len(bins) // 5)][:5]
        votes = [sniff_bin_fields(p) for p in sample]
        fields = max((4, 5), key=lambda f: (votes.count(f), f == 4))
    for path, size in zip(bins, sizes):
        if size % (4 * fields):
            raise FormatError(path, f"size {size} is not a multiple of the {4 * fields}-byte record "
                              f"({fields} float32 per point, the layout of this folder); "
                              f"{size % (4 * fields)} trailing bytes", offset=size - size % (4 * fields))
    return fields


# -- PLY ---------------------------------------------------------------------------
_PLY_TYPES = {
    "char": "i1", "int8": "i1", "uchar": "u1", "uint8": "u1", "short": "i2", "int16": "i2",
    "ushort": "u2", "uint16": "u2", "int": "i4", "int32": "i4", "uint": "u4", "uint32": "u4",
    "float": "f4", "float32": "f4", "double": "f8", "float64": "f8",
}


_PLY_FORMATS = ("ascii", "binary_little_endian", "binary_big_endian")


def _ply_header(path: Path, raw: bytes) -> tuple[str, int, list[tuple[str, int, list[tuple[str, str]]]], int]:
    """(format, body offset, elements [(name, count, [(property, dtype | "list")])], line of
    the vertex element)."""
    end = raw.find(b"end_header")
    if not raw.startswith(b"ply") or end < 0:
        raise FormatError(path, "expected a PLY header ('ply' ... 'end_header')", offset=0)
    newline = raw.find(b"\n", end)
    if newline < 0:
        raise FormatError(path, "expected a line break after 'end_header'", offset=end)
    body_start = newline + 1
    fmt = ""
    vertex_line = 0
    elements: list[tuple[str, int, list[tuple[str, str]]]] = []
    try:
        head = raw[:end].decode("ascii")
    except UnicodeDecodeError as err:
        raise FormatError(path, f"byte 0x{raw[err.start]:02x} in the header: expected ASCII text",
                          line=line_at(raw, err.start), offset=err.start) from None
    for line_no, line in enumerate(head.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0] in ("comment", "obj_info", "ply"):
            continue
        if parts[0] == "format":
            if len(parts) != 3 or parts[1] not in _PLY_FORMATS or parts[2] != "1.0":
                raise FormatError(path, f"expected 'format ascii|binary_little_endian|binary_big_endian 1.0', "
                                  f"got {line.strip()[:60]!r}", line=line_no)
            fmt = parts[1]
        elif parts[0] == "element":
            try:
                if len(parts) != 3:
                    raise ValueError(line)
                count = parse_int(parts[2])
            except ValueError:
                raise FormatError(path, f"expected 'element <name> <count>' with a whole count, got "
                                  f"{line.strip()[:60]!r}", line=line_no) from None
            if count < 0:
                raise FormatError(path, f"element {parts[1]}: expected a count >= 0, got {count}", line=line_no)
            if parts[1] == "vertex":
                vertex_line = line_no
            elements.append((parts[1], count, []))
        elif parts[0] == "property":
            if not elements:
                raise FormatError(path, "property before any element", line=line_no)
            if len(parts) >= 2 and parts[1] == "list":
                if elements[-1][0] == "vertex":
                    raise FormatError(path, "expected scalar vertex properties, found a list", line=line_no)
                elements[-1][2].append((parts[-1], "list"))
                continue
            if len(parts) != 3 or parts[1] not in _PLY_TYPES:
                raise FormatError(path, f"expected 'property <type> <name>' with a type of {sorted(_PLY_TYPES)}, "
                                  f"got {line.strip()[:60]!r}", line=line_no)
            if any(name == parts[2] for name, _ in elements[-1][2]):
                raise FormatError(path, f"property {parts[2]!r} is repeated", line=line_no)
            elements[-1][2].append((parts[2], _PLY_TYPES[parts[1]]))
        else:
            raise FormatError(path, f"unknown header line {parts[0]!r}; expected format, element, property, "
                              "comment", line=line_no)
    if fmt not in _PLY_FORMATS:
        raise FormatError(path, f"missing 'format' line; expected one of {', '.join(_PLY_FORMATS)}", line=1)
    return fmt, body_start, elements, vertex_line


def read_ply(path: Path | str, warnings: list[str] | None = None) -> np.ndarray:
    """Vertices of a PLY file as (N, k) float32: x, y, z, then the other scalar
    properties in file order. Own parser (a few lines; no plyfile dependency).
    Data after the vertices (other elements, trailing bytes) is ignored, with a note in
    ``warnings`` when given."""
    path = Path(path)
    raw = path.read_bytes()
    fmt, body_start, elements, vertex_line = _ply_header(path, raw)
    if not elements or elements[0][0] != "vertex":
        raise FormatError(path, "expected the first element to be 'vertex'", line=max(vertex_line, 1))
    _, count, props = elements[0]
    names = [n for n, _ in props]
    if not {"x", "y", "z"} <= set(names):
        raise FormatError(path, f"vertex needs properties x, y, z; found {names}", line=vertex_line)
    order = ["x", "y", "z"] + [n for n in names if n not in ("x", "y", "z")]
    notes = warnings if warnings is not None else []
    if fmt == "ascii":
        cols = _ply_ascii(path, raw, body_start, count, names, len(elements) > 1, notes)
    else:
        endian = "<" if fmt == "binary_little_endian" else ">"
        dtype = np.dtype([(n, endian + t) for n, t in props])
        need = count * dtype.itemsize
        if body_start + need > len(raw):
            raise FormatError(path, f"expected {need} bytes of vertex data ({count} vertices x {dtype.itemsize} "
                              f"bytes), file has {len(raw) - body_start}", offset=len(raw))
        if body_start + need < len(raw) and all(c == 0 for _, c, _ in elements[1:]):
            notes.append(f"{path.name}: {len(raw) - body_start - need} bytes after the last vertex ignored")
        rec = np.frombuffer(raw, dtype=dtype, count=count, offset=body_start)
        cols = {n: rec[n] for n in names}
    return np.stack([np.asarray(cols[n], dtype=np.float32) for n in order], axis=1).reshape(count, len(order))


def _ply_ascii(path: Path, raw: bytes, body_start: int, count: int, names: list[str], more_elements: bool,
               notes: list[str]) -> dict[str, np.ndarray]:
    body = raw[body_start:]
    first_line = raw.count(b"\n", 0, body_start) + 1
    try:
        lines = body.decode("ascii").splitlines()
    except UnicodeDecodeError as err:
        raise FormatError(path, f"byte 0x{body[err.start]:02x} in the ascii body: expected ASCII numbers",
                          line=first_line + body.count(b"\n", 0, err.start), offset=body_start + err.start) from None
    if len(lines) < count:
        raise FormatError(path, f"expected {count} vertex lines, found {len(lines)}", line=first_line + len(lines))
    table = np.empty((count, len(names)), dtype=np.float64)
    for i, line in enumerate(lines[:count]):
        parts = line.split()
        try:
            if len(parts) != len(names):
                raise ValueError(line)
            table[i] = [parse_float(v) for v in parts]
        except ValueError:
            raise FormatError(path, f"expected {len(names)} finite numbers ({' '.join(names)})",
                              line=first_line + i) from None
    extra = [ln for ln in lines[count:] if ln.strip()]
    if extra and not more_elements:
        notes.append(f"{path.name}: {len(extra)} lines after the last vertex (line {first_line + count}) ignored")
    return {n: table[:, i] for i, n in enumerate(names)}


# -- folder reader -------------------------------------------------------------------
def _frame_files(folder: Path) -> list[Path]:
    if folder.is_file():
        return [folder]
    files = [p for p in folder.iterdir() if p.suffix in (".bin", ".ply") and p.is_file()]
    return sorted(files, key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)])


def read_ply_header(path: Path) -> list[str]:
    """Check a PLY file's header now (FormatError), so a bad file is refused at open;
    returns the trailing-data warning reading it will give (from the size and line count)."""
    with open(path, "rb") as handle:
        head = handle.read(64 * 1024)
    fmt, body_start, elements, _ = _ply_header(path, head)
    if not elements or elements[0][0] != "vertex" or any(c for _, c, _ in elements[1:]):
        return []
    _, count, props = elements[0]
    size = path.stat().st_size
    if fmt == "ascii":
        with open(path, "rb") as handle:
            handle.seek(body_start)
            rows = sum(1 for line in handle if line.strip())
        extra = rows - count
        return [f"{path.name}: {extra} lines after the last vertex ignored"] if extra > 0 else []
    itemsize = np.dtype([(n, "<" + t) for n, t in props if t != "list"]).itemsize
    extra = size - body_start - count * itemsize
    return [f"{path.name}: {extra} bytes after the last vertex ignored"] if extra > 0 else []


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
    bin_fields = fields_per_point or folder_bin_fields(files)
    for i, path in enumerate(files):
        fields = bin_fields if path.suffix == ".bin" else 0
        if path.suffix == ".bin" and path.stat().st_size % (4 * fields):
            read_bin(path, fields)  # raises the clear error now, not lazily
        elif path.suffix == ".ply":
            warnings += read_ply_header(path)
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
