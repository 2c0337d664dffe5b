"""PCD point clouds (``DATA ascii | binary | binary_compressed``), parsed with NumPy.

Own parser rather than Open3D (its reader goes through a locale-sensitive number
parser: coordinates get rounded once Qt sets a locale) and rather than pypcd4 (it
takes the header's field layout at face value and so misreads the SUSTechPOINTS
files, whose ``_`` padding fields do not match their bytes). Rules:

* the record size is the sum of ``SIZE x COUNT``, the point count ``WIDTH x HEIGHT``
  (checked against ``POINTS`` and the file's real size before anything is allocated);
  bytes after the last point (PCL pads files to 4 KiB) are ignored with a warning;
* a padding field with ``COUNT 0`` marks the SUSTechPOINTS / PCL-ROS quirk: the ``_``
  fields are misplaced; the real layout is PCL's struct layout (x y z plus the padding
  slot after z, then each named field at a multiple of its SIZE), e.g. timestamp f64
  at byte 24 and ring u16 at 32 instead of 20 and 34; used with a warning.
* ``binary_compressed``: LZF (decoded by a Numba kernel), fields stored column-wise."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numba
import numpy as np

from ..model import Frame, Sequence
from .errors import FormatError
from .registry import LoadedSequence, SequenceReader, register_reader

_TYPES = {("F", 4): "f4", ("F", 8): "f8", ("U", 1): "u1", ("U", 2): "u2", ("U", 4): "u4", ("U", 8): "u8",
          ("I", 1): "i1", ("I", 2): "i2", ("I", 4): "i4", ("I", 8): "i8"}
_HEADER_KEYS = ("VERSION", "FIELDS", "SIZE", "TYPE", "COUNT", "WIDTH", "HEIGHT", "VIEWPOINT", "POINTS", "DATA")
MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class PcdHeader:
    fields: list[str]
    sizes: list[int]
    types: list[str]
    counts: list[int]
    width: int
    height: int
    points: int
    data: str
    data_offset: int
    viewpoint: list[float] = field(default_factory=list)


@dataclass
class PcdCloud:
    """Named columns (one array per field; multi-count fields as (N, count)) and warnings."""

    columns: dict[str, np.ndarray]
    header: PcdHeader
    warnings: list[str]
    table: np.ndarray | None = None  # the (N, k) float32 body when the file is laid out so

    def points(self) -> np.ndarray:
        """(N, k) float32: x, y, z, then intensity, ring, timestamp, others (file order)."""
        if self.table is not None:
            return self.table
        names = point_field_names(self.columns)
        out = np.empty((len(self.columns["x"]), len(names)), dtype=np.float32)
        for i, name in enumerate(names):
            out[:, i] = self.columns[name]
        return out


def point_field_names(columns: dict[str, np.ndarray]) -> list[str]:
    extra = [n for n in columns if n not in ("x", "y", "z") and columns[n].ndim == 1]
    preferred = [n for n in ("intensity", "ring", "timestamp") if n in extra]
    return ["x", "y", "z"] + preferred + [n for n in extra if n not in preferred]


# -- header --------------------------------------------------------------------------------
def _ints(path: Path, key: str, values: list[str], line_no: int) -> list[int]:
    try:
        return [int(v) for v in values]
    except ValueError:
        raise FormatError(path, f"{key}: expected whole numbers, got {' '.join(values)!r}", line=line_no) from None


def read_header(path: Path, raw: bytes) -> PcdHeader:
    """Parse the header up to and including the ``DATA`` line."""
    entries: dict[str, tuple[list[str], int]] = {}
    pos, line_no = 0, 0
    while "DATA" not in entries:
        end = raw.find(b"\n", pos)
        if end < 0 or end > MAX_HEADER_BYTES:
            raise FormatError(path, "expected a PCD header ending in a 'DATA ascii|binary|binary_compressed' line",
                              offset=pos)
        line_no += 1
        text = raw[pos:end].decode("ascii", "replace").strip()
        pos = end + 1
        if not text or text.startswith("#"):
            continue
        key, *values = text.split()
        if key not in _HEADER_KEYS:
            raise FormatError(path, f"unknown header key {key!r}; expected one of {', '.join(_HEADER_KEYS)}",
                              line=line_no)
        entries[key] = (values, line_no)
    for key in ("FIELDS", "SIZE", "TYPE", "WIDTH"):
        if key not in entries:
            raise FormatError(path, f"missing header line {key}")
    names, ln_f = entries["FIELDS"]
    sizes = _ints(path, "SIZE", *entries["SIZE"])
    types, ln_t = entries["TYPE"]
    counts = _ints(path, "COUNT", *entries["COUNT"]) if "COUNT" in entries else [1] * len(names)
    for key, vals, ln in (("SIZE", sizes, entries["SIZE"][1]), ("TYPE", types, ln_t), ("COUNT", counts, ln_f)):
        if len(vals) != len(names):
            raise FormatError(path, f"{key} has {len(vals)} entries, FIELDS has {len(names)}", line=ln)
    for name, t, s in zip(names, types, sizes):
        if (t, s) not in _TYPES:
            raise FormatError(path, f"field {name!r}: unknown TYPE {t!r} with SIZE {s}; expected F (4, 8), "
                              "U or I (1, 2, 4, 8)", line=ln_t)
    for axis in ("x", "y", "z"):
        if axis not in names:
            raise FormatError(path, f"missing field {axis!r}; expected FIELDS with x y z, got {' '.join(names)}",
                              line=ln_f)
    width = _ints(path, "WIDTH", *entries["WIDTH"])[0]
    height = _ints(path, "HEIGHT", *entries["HEIGHT"])[0] if "HEIGHT" in entries else 1
    points = _ints(path, "POINTS", *entries["POINTS"])[0] if "POINTS" in entries else width * height
    if points != width * height:
        raise FormatError(path, f"POINTS {points} differs from WIDTH x HEIGHT = {width * height}",
                          line=entries["POINTS"][1])
    data, ln_d = entries["DATA"]
    if not data or data[0] not in ("ascii", "binary", "binary_compressed"):
        raise FormatError(path, f"unknown DATA {' '.join(data)!r}; expected ascii, binary or binary_compressed",
                          line=ln_d)
    vp = [float(v) for v in entries.get("VIEWPOINT", ([], 0))[0]]
    return PcdHeader(names, sizes, types, counts, width, height, points, data[0], pos, vp)


def record_layout(header: PcdHeader) -> tuple[np.dtype, list[str]]:
    """The record dtype (named fields at their offsets) and any layout warnings."""
    warnings: list[str] = []
    record_bytes = sum(s * c for s, c in zip(header.sizes, header.counts))
    quirk = any(c == 0 for c in header.counts)
    names, formats, offsets = [], [], []
    offset, previous = 0, ""
    for name, t, s, c in zip(header.fields, header.types, header.sizes, header.counts):
        if quirk and name == "_" and previous != "z":
            continue  # misplaced padding: only PCL's 4th coordinate slot after z is real
        if quirk and name != "_" and offset % s:
            offset += s - offset % s
        if name != "_" and c > 0:
            names.append(name)
            formats.append((np.dtype("<" + _TYPES[(t, s)]), (c,)) if c > 1 else np.dtype("<" + _TYPES[(t, s)]))
            offsets.append(offset)
        offset += s * c
        previous = name
    if quirk:
        if offset > record_bytes:
            raise FormatError(None, f"aligned layout needs {offset} bytes per point, SIZE x COUNT gives {record_bytes}")
        warnings.append(f"padding fields with COUNT 0 do not match the bytes; read the naturally aligned "
                        f"layout ({', '.join(f'{n}@{o}' for n, o in zip(names, offsets))}) in "
                        f"{record_bytes}-byte records (SIZE x COUNT)")
    dtype = np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": record_bytes})
    return dtype, warnings


# -- bodies ------------------------------------------------------------------------------------
@numba.njit(cache=True)
def lzf_decompress(src: np.ndarray, out: np.ndarray) -> int:
    """Decode an LZF stream into ``out``; returns bytes written, or -(input offset + 1)
    where the stream is malformed (a reference or run outside the buffers)."""
    ip, op = 0, 0
    n_in, n_out = src.size, out.size
    while ip < n_in:
        ctrl = np.int64(src[ip])
        ip += 1
        if ctrl < 32:
            length = ctrl + 1
            if ip + length > n_in or op + length > n_out:
                return -ip
            out[op:op + length] = src[ip:ip + length]
            ip += length
            op += length
        else:
            length = ctrl >> 5
            ref = op - ((ctrl & 0x1F) << 8) - 1
            if length == 7:
                if ip >= n_in:
                    return -ip
                length += np.int64(src[ip])
                ip += 1
            if ip >= n_in:
                return -ip
            ref -= np.int64(src[ip])
            ip += 1
            length += 2
            if ref < 0 or op + length > n_out:
                return -ip
            for k in range(length):
                out[op + k] = out[ref + k]
            op += length
    return op


def _compressed_body(path: Path, raw: bytes, header: PcdHeader, dtype: np.dtype) -> np.ndarray:
    start = header.data_offset
    if len(raw) < start + 8:
        raise FormatError(path, "truncated body: expected 8 bytes of compressed/uncompressed sizes", offset=len(raw))
    packed, unpacked = np.frombuffer(raw, "<u4", count=2, offset=start).tolist()
    need = header.points * dtype.itemsize
    if unpacked != need:
        raise FormatError(path, f"uncompressed size {unpacked} differs from POINTS x record = {need}", offset=start + 4)
    if start + 8 + packed > len(raw):
        raise FormatError(path, f"truncated body: expected {packed} compressed bytes, found {len(raw) - start - 8}",
                          offset=len(raw))
    out = np.empty(unpacked, dtype=np.uint8)
    written = lzf_decompress(np.frombuffer(raw, np.uint8, count=packed, offset=start + 8), out) if packed else 0
    if written != unpacked:
        where = start + 8 + (-written - 1 if written < 0 else packed)
        raise FormatError(path, f"corrupt LZF data: decoded {max(written, 0)} of {unpacked} bytes", offset=where)
    # column-wise: each field's values for all points, one after another
    result = np.zeros(header.points, dtype=dtype)
    pos = 0
    for name, t, s, c in zip(header.fields, header.types, header.sizes, header.counts):
        nbytes = header.points * s * c
        if name != "_" and c > 0 and name in dtype.names:
            col = out[pos:pos + nbytes].view("<" + _TYPES[(t, s)])
            result[name] = col.reshape(header.points, c) if c > 1 else col
        pos += nbytes
    return result


def _ascii_body(path: Path, raw: bytes, header: PcdHeader, dtype: np.dtype) -> np.ndarray:
    lines = raw[header.data_offset:].decode("ascii", "replace").splitlines()
    header_lines = raw[:header.data_offset].count(b"\n")
    rows = [ln for ln in lines if ln.strip()]
    width = sum(header.counts)
    if len(rows) < header.points:
        raise FormatError(path, f"truncated body: expected {header.points} point lines, found {len(rows)}",
                          line=header_lines + len(lines) + 1)
    table = np.empty((header.points, width), dtype=np.float64)
    for i, row in enumerate(rows[:header.points]):
        parts = row.split()
        try:
            if len(parts) != width:
                raise ValueError
            table[i] = [float(v) for v in parts]  # Python's float() ignores the locale
        except ValueError:
            raise FormatError(path, f"expected {width} numbers per point", line=header_lines + i + 1) from None
    result = np.zeros(header.points, dtype=dtype)
    col = 0
    for name, c in zip(header.fields, header.counts):
        if name != "_" and c > 0 and name in dtype.names:
            result[name] = table[:, col:col + c] if c > 1 else table[:, col]
        col += c
    return result


def _float32_table(header: PcdHeader, dtype: np.dtype) -> bool:
    """True when records are exactly k float32 columns in point order (x y z first):
    then the body is read as one (N, k) array with no copies."""
    names = list(dtype.names)
    return (dtype.itemsize == 4 * len(names) and names == point_field_names({n: np.empty(0) for n in names})
            and all(dtype.fields[n][0] == np.dtype("<f4") and dtype.fields[n][1] == 4 * i
                    for i, n in enumerate(names)))


_HEADER_CACHE: dict[bytes, tuple[PcdHeader, np.dtype, tuple[str, ...]]] = {}
_HEADER_CACHE_SIZE = 64
_FIRST_READ_BYTES = 4096


def _parsed_header(path: Path, handle) -> tuple[PcdHeader, np.dtype, list[str]]:
    """Header, record dtype and layout warnings. The frames of one recording share
    their header text, so parses are cached by it (the body is never cached)."""
    head = handle.read(_FIRST_READ_BYTES)
    data_line = head.find(b"\nDATA ")
    end = head.find(b"\n", data_line + 1) if data_line >= 0 else -1
    if end < 0:  # a long header: read the whole allowance and parse it uncached
        head += handle.read(MAX_HEADER_BYTES - len(head))
        return _parse_header(path, head)
    key = head[: end + 1]
    cached = _HEADER_CACHE.get(key)
    if cached is None:
        header, dtype, warnings = _parse_header(path, key)
        if len(_HEADER_CACHE) >= _HEADER_CACHE_SIZE:
            _HEADER_CACHE.pop(next(iter(_HEADER_CACHE)))
        cached = _HEADER_CACHE[key] = (header, dtype, tuple(warnings))
    return cached[0], cached[1], list(cached[2])


def _parse_header(path: Path, head: bytes) -> tuple[PcdHeader, np.dtype, list[str]]:
    header = read_header(path, head)
    try:
        dtype, warnings = record_layout(header)
    except FormatError as exc:
        raise FormatError(path, exc.message) from None
    return header, dtype, warnings


def read_pcd(path: Path | str) -> PcdCloud:
    """Read a PCD file into named columns (x, y, z required)."""
    path = Path(path)
    # One open: the header from a small read, then a binary body read straight into
    # its final (uninitialised) array, as np.fromfile does, without opening twice.
    with open(path, "rb", buffering=0) as handle:
        size = os.fstat(handle.fileno()).st_size
        header, dtype, warnings = _parsed_header(path, handle)
        if header.points * dtype.itemsize > size * (1 if header.data != "binary_compressed" else 10_000):
            raise FormatError(path, f"header claims {header.points} points, more than the file can hold",
                              offset=header.data_offset)
        if header.data == "binary":
            return _binary_body(path, handle, size, header, dtype, warnings)
        handle.seek(0)
        raw = handle.read()
    if header.data == "binary_compressed":
        records = _compressed_body(path, raw, header, dtype)
    else:
        records = _ascii_body(path, raw, header, dtype)
    columns = {name: np.ascontiguousarray(records[name]) for name in dtype.names}
    return PcdCloud(columns, header, [f"{path.name}: {w}" for w in warnings])


def _binary_body(path: Path, handle, size: int, header: PcdHeader, dtype: np.dtype,
                 warnings: list[str]) -> PcdCloud:
    need = header.points * dtype.itemsize
    have = size - header.data_offset
    if have < need:
        raise FormatError(path, f"truncated body: expected {header.points} points x {dtype.itemsize} "
                          f"bytes = {need} bytes after the header, found {have}", offset=size)
    if have > need:
        warnings.append(f"{have - need} bytes after the last point ignored")
    notes = [f"{path.name}: {w}" for w in warnings]
    table = _float32_table(header, dtype)
    out = np.empty((header.points, dtype.itemsize // 4), "<f4") if table else np.empty(header.points, dtype)
    handle.seek(header.data_offset)
    if handle.readinto(memoryview(out).cast("B")) != need:
        raise FormatError(path, "the file shrank while it was read", offset=header.data_offset)
    if table:
        return PcdCloud({name: out[:, i] for i, name in enumerate(dtype.names)}, header, notes, out)
    return PcdCloud({name: np.ascontiguousarray(out[name]) for name in dtype.names}, header, notes)


def read_pcd_points(path: Path | str) -> np.ndarray:
    """(N, k) float32 points of a PCD file (see ``PcdCloud.points``)."""
    return read_pcd(path).points()


# -- writing (for tests and conversions) ------------------------------------------------------
def pcd_bytes(columns: dict[str, np.ndarray], data: str = "binary") -> bytes:
    """Serialise 1-D columns as an ascii or binary PCD (float32 'F' unless integer)."""
    names = list(columns)
    n = len(columns[names[0]])
    arrays = [np.asarray(columns[k]) for k in names]
    types = ["F" if a.dtype.kind == "f" else ("U" if a.dtype.kind == "u" else "I") for a in arrays]
    sizes = [a.dtype.itemsize for a in arrays]
    head = (f"# .PCD v0.7\nVERSION 0.7\nFIELDS {' '.join(names)}\nSIZE {' '.join(map(str, sizes))}\n"
            f"TYPE {' '.join(types)}\nCOUNT {' '.join('1' for _ in names)}\nWIDTH {n}\nHEIGHT 1\n"
            f"VIEWPOINT 0 0 0 1 0 0 0\nPOINTS {n}\nDATA {data}\n").encode("ascii")
    if data == "ascii":
        body = "".join(" ".join(repr(a[i].item()) for a in arrays) + "\n" for i in range(n)).encode("ascii")
        return head + body
    rec = np.zeros(n, dtype=[(k, a.dtype.newbyteorder("<")) for k, a in zip(names, arrays)])
    for k, a in zip(names, arrays):
        rec[k] = a
    return head + rec.tobytes()


# -- folder reader ---------------------------------------------------------------------------------
def _natural(p: Path) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)]


def read_pcd_folder(folder: Path | str, period_s: float = 0.1) -> LoadedSequence:
    """A folder of ``.pcd`` frames (natural order), or one ``.pcd`` file as a one-frame
    sequence; identity poses; header errors are raised at once, bodies are read lazily."""
    folder = Path(folder)
    files = [folder] if folder.is_file() else sorted(folder.glob("*.pcd"), key=_natural)
    if not files:
        raise FormatError(folder, "empty folder: expected .pcd files")
    frames = []
    for i, path in enumerate(files):
        with open(path, "rb") as handle:
            header = read_header(path, handle.read(MAX_HEADER_BYTES))
        frames.append(Frame(i, i * period_s, loader=lambda p=path: read_pcd_points(p), source_path=path,
                            meta={"point_fields": ["x", "y", "z"] + [f for f in header.fields
                                                                     if f not in ("x", "y", "z", "_")]}))
    name = folder.stem if folder.is_file() else folder.name
    return LoadedSequence(Sequence(name, frames, root=folder, format="pcd"))


def _sniff_folder(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() == ".pcd"
    return path.is_dir() and any(path.glob("*.pcd"))


register_reader(SequenceReader("pcd-folder", _sniff_folder, read_pcd_folder, priority=190))
