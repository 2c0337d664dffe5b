"""LAS/LAZ through laspy, streamed in chunks (``laspy.open(...).chunk_iterator``):
memory stays at one chunk plus the output. Keeps intensity and classification.

Map coordinates (UTM and the like) lose centimetres in float32, so a LAS file becomes
one frame whose ``T_world_sensor`` is a translation to a whole-metre origin near the
data; the frame's float32 points are relative to it (world = file coordinates)."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import laspy
import numpy as np

from ..model import Frame, Sequence
from .errors import FormatError
from .registry import LoadedSequence, SequenceReader, register_reader

POINT_FIELDS = ["x", "y", "z", "intensity", "classification"]
DEFAULT_CHUNK_POINTS = 1_000_000
# LAZ of identical points reaches 84 points per byte (format 3) and 144 (format 0), measured
# with laspy/lazrs; real recordings ~0.2 (autzen_trim.laz). Above this a header count is
# impossible; below it decoding stops with a clear error where the data ends, and
# nothing is allocated from the header's count alone (see read_las).
MAX_LAZ_POINTS_PER_BYTE = 160
VLR_HEADER_BYTES = 54
EVLR_HEADER_BYTES = 60
MAX_ABS_SCALE = 1e3  # metres per integer step; real files use 1e-2 .. 1e-7
MIN_ABS_SCALE = 1e-10
MAX_ABS_COORDINATE = 1e9  # metres or degrees: beyond any map projection of the Earth


@dataclass(frozen=True)
class LasLayout:
    """The public header block's fields that bound the file (read before laspy touches it)."""

    version: tuple[int, int]
    header_size: int
    offset_to_points: int
    vlr_count: int
    record_bytes: int
    point_count: int
    compressed: bool
    evlr_start: int
    evlr_count: int
    file_size: int

    @property
    def trailing_bytes(self) -> int:
        """Bytes after the point records that no header field accounts for (uncompressed)."""
        if self.compressed:
            return 0
        end = self.offset_to_points + self.point_count * self.record_bytes
        limit = self.evlr_start if self.evlr_count and self.evlr_start >= end else self.file_size
        return max(limit - end, 0)


def _u(raw: bytes, offset: int, fmt: str) -> int | float:
    return struct.unpack_from("<" + fmt, raw, offset)[0]


def check_las_layout(path: Path) -> LasLayout:
    """FormatError (with the byte offset of the field) for a header whose sizes, counts,
    scales, offsets or bounds cannot be true for this file: done on the raw bytes, before
    laspy reads VLRs or allocates anything."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        raw = handle.read(375)
    if raw[:4] != b"LASF":
        raise FormatError(path, f"expected the LAS signature 'LASF', got {raw[:4]!r}", offset=0)
    if len(raw) < 227:
        raise FormatError(path, f"truncated header: expected at least 227 bytes, file has {size}", offset=size)
    version = (raw[24], raw[25])
    if version[0] != 1 or version[1] > 4:
        raise FormatError(path, f"LAS version {version[0]}.{version[1]}: expected 1.0 to 1.4", offset=24)
    header_size, offset_points, vlrs = _u(raw, 94, "H"), _u(raw, 96, "I"), _u(raw, 100, "I")
    minimum = {3: 235, 4: 375}.get(version[1], 227)
    if not minimum <= header_size <= size:
        raise FormatError(path, f"header size {header_size}: expected {minimum} to the file size {size}", offset=94)
    if not header_size <= offset_points <= size:
        raise FormatError(path, f"offset to point data {offset_points}: expected {header_size} (header size) to "
                          f"{size} (file size)", offset=96)
    if vlrs * VLR_HEADER_BYTES > offset_points - header_size:
        raise FormatError(path, f"{vlrs} VLRs need at least {vlrs * VLR_HEADER_BYTES} bytes, the header leaves "
                          f"{offset_points - header_size} before the points", offset=100)
    format_id, record = raw[104], _u(raw, 105, "H")
    count = _u(raw, 107, "I")
    evlr_start = evlr_count = 0
    if version[1] >= 4 and len(raw) >= 255:
        evlr_start, evlr_count = _u(raw, 235, "Q"), _u(raw, 243, "I")
        count = _u(raw, 247, "Q") or count
        if evlr_count and (evlr_start > size or evlr_count * EVLR_HEADER_BYTES > size - evlr_start):
            raise FormatError(path, f"{evlr_count} extended VLRs from byte {evlr_start} do not fit the file "
                              f"({size} bytes)", offset=235)
    _check_numbers(path, raw)
    layout = LasLayout(version, header_size, offset_points, vlrs, record, count, bool(format_id & 0x80),
                       evlr_start, evlr_count, size)
    _check_count(path, layout)
    if layout.compressed:
        _check_laz_chunk_table(path, layout)
    return layout


LASZIP_USER_ID = b"laszip encoded"
LASZIP_RECORD_ID = 22204


def _laszip_chunk_size(path: Path, handle, layout: LasLayout) -> int | None:
    """The laszip VLR's chunk size in points (0xFFFFFFFF = variable), None without the VLR."""
    pos = layout.header_size
    for _ in range(layout.vlr_count):
        handle.seek(pos)
        head = handle.read(VLR_HEADER_BYTES)
        if len(head) < VLR_HEADER_BYTES:
            raise FormatError(path, "truncated VLR header", offset=pos)
        user, record_id, length = head[2:18].rstrip(b"\0"), _u(head, 18, "H"), _u(head, 20, "H")
        if pos + VLR_HEADER_BYTES + length > layout.offset_to_points:
            raise FormatError(path, f"VLR of {length} bytes runs past the start of the points "
                              f"(byte {layout.offset_to_points})", offset=pos + 20)
        if user == LASZIP_USER_ID and record_id == LASZIP_RECORD_ID and length >= 16:
            return int(_u(handle.read(16), 12, "I"))
        pos += VLR_HEADER_BYTES + length
    return None


def _check_laz_chunk_table(path: Path, layout: LasLayout) -> None:
    """The LAZ chunk table's offset and chunk count must fit the file and the point count:
    lazrs allocates from them unchecked (a garbled table aborted the process asking for
    56 GB)."""
    with open(path, "rb") as handle:
        chunk_size = _laszip_chunk_size(path, handle, layout)
        if chunk_size is None:
            raise FormatError(path, "compressed points without a laszip VLR (user 'laszip encoded', "
                              "record 22204)", offset=layout.header_size)
        handle.seek(layout.offset_to_points)
        raw = handle.read(8)
        if len(raw) < 8:
            raise FormatError(path, "truncated LAZ data: expected the 8-byte chunk table offset",
                              offset=layout.offset_to_points)
        table = struct.unpack("<q", raw)[0]
        where = layout.offset_to_points
        if table == -1:  # written at the end by a streaming writer
            handle.seek(max(layout.file_size - 8, 0))
            table, where = struct.unpack("<q", handle.read(8))[0], layout.file_size - 8
        if not layout.offset_to_points + 8 <= table <= layout.file_size - 8:
            raise FormatError(path, f"point data ends early or is corrupt: LAZ chunk table offset {table}, "
                              f"expected {layout.offset_to_points + 8} to {layout.file_size - 8}",
                              offset=layout.file_size if table > layout.file_size - 8 else where)
        handle.seek(table)
        version, chunks = struct.unpack("<II", handle.read(8))
    most = (layout.point_count // chunk_size + 1) if 0 < chunk_size < 0xFFFFFFFF else layout.point_count + 1
    if version != 0 or chunks > most or chunks > (layout.file_size - table) * 8:
        raise FormatError(path, f"LAZ chunk table: version {version}, {chunks} chunks; expected version 0 and at "
                          f"most {most} chunks for {layout.point_count} points", offset=table)


def _check_numbers(path: Path, raw: bytes) -> None:
    names = ("x", "y", "z")
    for k in range(3):
        scale, offset = _u(raw, 131 + 8 * k, "d"), _u(raw, 155 + 8 * k, "d")
        if not (math.isfinite(scale) and MIN_ABS_SCALE <= abs(scale) <= MAX_ABS_SCALE):
            raise FormatError(path, f"{names[k]} scale {scale!r}: expected a finite number with "
                              f"{MIN_ABS_SCALE:g} <= |scale| <= {MAX_ABS_SCALE:g}", offset=131 + 8 * k)
        if not (math.isfinite(offset) and abs(offset) <= MAX_ABS_COORDINATE):
            raise FormatError(path, f"{names[k]} offset {offset!r}: expected a finite number within "
                              f"+-{MAX_ABS_COORDINATE:g}", offset=155 + 8 * k)
    for k, name in enumerate(("max x", "min x", "max y", "min y", "max z", "min z")):
        value = _u(raw, 179 + 8 * k, "d")
        if not (math.isfinite(value) and abs(value) <= MAX_ABS_COORDINATE):
            raise FormatError(path, f"{name} {value!r}: expected a finite coordinate within "
                              f"+-{MAX_ABS_COORDINATE:g}", offset=179 + 8 * k)


def _check_count(path: Path, layout: LasLayout) -> None:
    count, size = layout.point_count, layout.file_size
    room = size - layout.offset_to_points
    if layout.compressed:
        if count > room * MAX_LAZ_POINTS_PER_BYTE:
            raise FormatError(path, f"header claims {count} points, more than {room} compressed bytes can hold "
                              f"(at most {MAX_LAZ_POINTS_PER_BYTE} points per byte)", offset=107)
        return
    need = layout.offset_to_points + count * layout.record_bytes
    end = layout.evlr_start if layout.evlr_count else size
    if need > max(end, 0) or need > size:
        raise FormatError(path, f"truncated file: header claims {count} points of {layout.record_bytes} "
                          f"bytes from byte {layout.offset_to_points} (= {need} bytes), file has {size}",
                          offset=size)


@dataclass
class LasCloud:
    """Points relative to ``origin_m`` as (N, 5) float32: x, y, z, intensity, classification."""

    points: np.ndarray
    origin_m: np.ndarray
    point_count_in_file: int


def check_las_header(path: Path, header: laspy.LasHeader) -> None:
    """Raise :class:`FormatError` where the header's point count cannot fit the file's size."""
    size = path.stat().st_size
    count = int(header.point_count)
    compressed = bool(header.are_points_compressed)
    if compressed:
        if count > size * MAX_LAZ_POINTS_PER_BYTE:
            raise FormatError(path, f"header claims {count} points, more than {size} compressed bytes can hold",
                              offset=0)
        return
    need = int(header.offset_to_point_data) + count * header.point_format.size
    if need > size:
        raise FormatError(path, f"truncated file: header claims {count} points of {header.point_format.size} "
                          f"bytes from byte {header.offset_to_point_data} (= {need} bytes), file has {size}",
                          offset=size)


class LasStream:
    """An open LAS/LAZ file whose header passed :func:`check_las_header`: ``total`` points,
    streamed by :meth:`chunks` as (k, 5) float32 relative to ``origin_m`` (by default the
    whole metres below the header's mins). Use as a context manager."""

    def __init__(self, path: Path | str, origin_m: np.ndarray | None = None) -> None:
        self.path = Path(path)
        self.layout = check_las_layout(self.path)
        try:
            self._reader = laspy.open(self.path)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - laspy/lazrs raise many types for bad bytes
            raise FormatError(self.path, f"not a readable LAS/LAZ file ({type(exc).__name__}: "
                              f"{str(exc)[:120]})", offset=0) from None
        header = self._reader.header
        try:
            check_las_header(self.path, header)
        except FormatError:
            self._reader.close()
            raise
        self.total = int(header.point_count)
        self.origin_m = las_origin(header) if origin_m is None else np.asarray(origin_m, dtype=np.float64)
        self._scales = np.asarray(header.scales, dtype=np.float64)
        self._shift = np.asarray(header.offsets, dtype=np.float64) - self.origin_m

    def __enter__(self) -> LasStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._reader.close()

    def chunks(self, chunk_points: int = DEFAULT_CHUNK_POINTS,
               stride: int = 1) -> Iterator[tuple[np.ndarray, int, int]]:
        """(points, done, total) per chunk of the file: every ``stride``-th point of the file
        (global indices 0, stride, 2*stride, ...) as x, y, z (local metres), intensity,
        classification; ``done`` counts the points decoded so far, kept or not."""
        done = 0
        try:
            for chunk in self._reader.chunk_iterator(chunk_points):
                start = (-done) % stride
                block = np.empty((len(range(start, len(chunk), stride)), 5), dtype=np.float32)
                for axis, raw in enumerate((chunk.X, chunk.Y, chunk.Z)):  # scaled ints -> local metres
                    block[:, axis] = np.asarray(raw)[start::stride] * self._scales[axis] + self._shift[axis]
                block[:, 3] = np.asarray(chunk.intensity)[start::stride]
                block[:, 4] = np.asarray(chunk.classification)[start::stride]
                done += len(chunk)
                yield block, done, self.total
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - lazrs/laspy decoding errors of many types
            raise FormatError(self.path, f"point data ends early or is corrupt: decoded {done} of {self.total} "
                              f"points ({exc})", offset=self.path.stat().st_size) from None


def las_origin(header: laspy.LasHeader) -> np.ndarray:
    """The whole-metre origin near the data: the floor of the header's mins (0 if not finite)."""
    origin = np.floor(np.asarray(header.mins, dtype=np.float64))
    return origin if np.all(np.isfinite(origin)) else np.zeros(3)


def iter_las_chunks(path: Path | str, chunk_points: int = DEFAULT_CHUNK_POINTS,
                    stride: int = 1) -> Iterator[tuple[np.ndarray, int, int]]:
    """:meth:`LasStream.chunks` of the file (points relative to :func:`las_origin`)."""
    with LasStream(path) as las:
        yield from las.chunks(chunk_points, stride)


def voxel_keys(xyz_m: np.ndarray, voxel_m: float) -> np.ndarray:
    """One int64 key per point for its voxel (21 bits per axis, wraps far away)."""
    cells = np.floor(xyz_m / voxel_m).astype(np.int64) & ((1 << 21) - 1)
    return (cells[:, 0] << 42) | (cells[:, 1] << 21) | cells[:, 2]


def voxel_decimate(points: np.ndarray, voxel_m: float) -> np.ndarray:
    """Keep the first point of every occupied voxel (order preserved)."""
    _, first = np.unique(voxel_keys(points[:, :3].astype(np.float64), voxel_m), return_index=True)
    return points[np.sort(first)]


def read_las(path: Path | str, voxel_m: float | None = None, chunk_points: int = DEFAULT_CHUNK_POINTS,
             progress: Callable[[int, int], None] | None = None) -> LasCloud:
    """Read a LAS/LAZ file chunk by chunk; ``voxel_m`` decimates for display."""
    with LasStream(path) as las:
        total = las.total
        # LAZ counts are only bounded loosely by the size: collect what really decodes
        collect = bool(voxel_m) or (las.layout.compressed and total > las.layout.file_size)
        out = np.empty((0 if collect else total, 5), dtype=np.float32)
        parts: list[np.ndarray] = []
        done = 0
        for block, done, _ in las.chunks(chunk_points):
            if voxel_m:
                parts.append(voxel_decimate(block, voxel_m))
            elif collect:
                parts.append(block)
            else:
                out[done - len(block):done] = block
            if progress is not None:
                progress(done, total)
        if done != total:
            raise FormatError(las.path, f"expected {total} points, read {done}", offset=las.path.stat().st_size)
    if voxel_m:
        out = voxel_decimate(np.concatenate(parts) if parts else out, voxel_m)
    elif collect:
        out = np.concatenate(parts) if parts else out
    return LasCloud(out, las.origin_m, total)


def read_las_sequence(path: Path | str, voxel_m: float | None = None) -> LoadedSequence:
    """One frame for the file (or one per file of a folder of .las/.laz)."""
    path = Path(path)
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".las", ".laz")) if path.is_dir() else [path]
    if not files:
        raise FormatError(path, "empty folder: expected .las or .laz files")
    frames = []
    warnings = []
    for i, file in enumerate(files):
        with LasStream(file) as las:
            origin = las.origin_m
            if las.layout.trailing_bytes:
                warnings.append(f"{file}, byte {las.layout.file_size - las.layout.trailing_bytes}: "
                                f"{las.layout.trailing_bytes} bytes after the last point record ignored")
        T = np.eye(4)
        T[:3, 3] = origin
        frames.append(Frame(i, float(i), T, loader=lambda f=file: read_las(f, voxel_m).points, source_path=file,
                            meta={"point_fields": POINT_FIELDS, "las_point_count": las.total}))
    return LoadedSequence(Sequence(path.stem, frames, root=path, format="las"), warnings=warnings)


def las_point_count(path: Path | str) -> int:
    """The point count a LAS/LAZ header declares, from the raw header (FormatError if bad)."""
    return check_las_layout(Path(path)).point_count


def _sniff(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() in (".las", ".laz")
    return path.is_dir() and any(p.suffix.lower() in (".las", ".laz") for p in path.iterdir())


register_reader(SequenceReader("las", _sniff, read_las_sequence, priority=180))
