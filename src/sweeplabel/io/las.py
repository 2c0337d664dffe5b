"""LAS/LAZ through laspy, streamed in chunks (``laspy.open(...).chunk_iterator``):
memory stays at one chunk plus the output. Keeps intensity and classification.

Map coordinates (UTM and the like) lose centimetres in float32, so a LAS file becomes
one frame whose ``T_world_sensor`` is a translation to a whole-metre origin near the
data; the frame's float32 points are relative to it (world = file coordinates)."""

from __future__ import annotations

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
MAX_LAZ_POINTS_PER_BYTE = 64  # LAZ hardly beats ~10:1; a header claiming more is corrupt


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
        try:
            self._reader = laspy.open(self.path)
        except (laspy.errors.LaspyException, OSError, ValueError) as exc:
            raise FormatError(self.path, f"not a readable LAS/LAZ file ({exc})", offset=0) from None
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
        except (RuntimeError, ValueError, laspy.errors.LaspyException) as exc:
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
        out = np.empty((0 if voxel_m else total, 5), dtype=np.float32)
        parts: list[np.ndarray] = []
        done = 0
        for block, done, _ in las.chunks(chunk_points):
            if voxel_m:
                parts.append(voxel_decimate(block, voxel_m))
            else:
                out[done - len(block):done] = block
            if progress is not None:
                progress(done, total)
        if done != total:
            raise FormatError(las.path, f"expected {total} points, read {done}", offset=las.path.stat().st_size)
    if voxel_m:
        out = voxel_decimate(np.concatenate(parts) if parts else out, voxel_m)
    return LasCloud(out, las.origin_m, total)


def read_las_sequence(path: Path | str, voxel_m: float | None = None) -> LoadedSequence:
    """One frame for the file (or one per file of a folder of .las/.laz)."""
    path = Path(path)
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".las", ".laz")) if path.is_dir() else [path]
    if not files:
        raise FormatError(path, "empty folder: expected .las or .laz files")
    frames = []
    for i, file in enumerate(files):
        with laspy.open(file) as reader:
            check_las_header(file, reader.header)
            origin = np.floor(np.asarray(reader.header.mins, dtype=np.float64))
        T = np.eye(4)
        T[:3, 3] = origin
        frames.append(Frame(i, float(i), T, loader=lambda f=file: read_las(f, voxel_m).points, source_path=file,
                            meta={"point_fields": POINT_FIELDS}))
    return LoadedSequence(Sequence(path.stem, frames, root=path, format="las"))


def _sniff(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() in (".las", ".laz")
    return path.is_dir() and any(p.suffix.lower() in (".las", ".laz") for p in path.iterdir())


register_reader(SequenceReader("las", _sniff, read_las_sequence, priority=180))
