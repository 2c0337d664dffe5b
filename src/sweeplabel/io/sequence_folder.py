"""Reader for sweeplabel's own sequence folder (docs/sequence-format.md).

``sequence.json`` + ``poses.txt`` + ``points/NNNNNN.bin`` (+ ``ground/``, ``labels/``).
Registers itself with the registry on import. Every problem in the input is one
``FormatError`` naming the file, the line or byte offset and what was expected."""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import math
import uuid
from functools import cached_property, partial
from pathlib import Path
from typing import Any

import numpy as np

from ..model import Annotation, Box, Frame, Sequence, Source, Track, default_schema
from .errors import FormatError
from .registry import LoadedSequence, SequenceReader, register_reader
from .text import loads_json, parse_float, read_text

FORMAT_NAME = "sweeplabel-sequence"
FORMAT_VERSION = 1
TRACKS_FORMAT_NAME = "sweeplabel-tracks"
POINT_FIELDS = ("x", "y", "z", "intensity", "ring")
POINT_DTYPE = np.dtype("<f4")
POINT_RECORD_BYTES = POINT_DTYPE.itemsize * len(POINT_FIELDS)  # 20
_POSE_FIELDS = 13  # timestamp_s + 12 numbers of T_world_sensor[:3, :4]
_ANNOTATION_NAMESPACE = uuid.UUID("0b8d3f6a-2c1e-5f4a-8b7d-9e6c5a4b3d2f")


def points_path(root: Path, frame_index: int) -> Path:
    return Path(root) / "points" / f"{frame_index:06d}.bin"


def ground_path(root: Path, frame_index: int) -> Path:
    return Path(root) / "ground" / f"{frame_index:06d}.bin"


# -- JSON with line numbers -----------------------------------------------------------


class _PosDict(dict):
    """A JSON object that remembers where it starts in the text."""

    pos = 0


class _PosDecoder(json.JSONDecoder):
    """``json`` decoder whose objects carry their start offset (the pure-Python
    scanner is used because the C scanner offers no hook with positions)."""

    def __init__(self) -> None:
        super().__init__()

        def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None):
            values, end = json.decoder.JSONObject(s_and_end, strict, scan_once, None, None, memo)
            obj = _PosDict(values)
            obj.pos = s_and_end[1] - 1
            return obj, end

        self.parse_object = parse_object
        self.scan_once = json.scanner.py_make_scanner(self)


class _JsonDoc:
    """A parsed JSON file plus helpers that raise ``FormatError`` at the right line.

    Parsing uses the fast C decoder; only when an error is reported is the text
    parsed again with positions to find the line. ``at`` is the path to an object,
    e.g. ``("tracks", 1, "boxes", 0)``."""

    def __init__(self, path: Path, top: type = dict) -> None:
        self.path = path
        self.text = read_text(path)
        self.root = loads_json(path, self.text)
        if not isinstance(self.root, top):
            raise FormatError(path, f"expected a JSON {'object' if top is dict else 'value'} at the top level",
                              line=1)

    @cached_property
    def _positioned(self) -> _PosDict:
        return _PosDecoder().decode(self.text)

    def where(self, at: tuple) -> str:
        text = "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in at).lstrip(".")
        return text or self.path.name

    def line_of(self, at: tuple, key: str | None = None) -> int:
        """Line of ``key`` in the object at ``at`` (or of the object itself)."""
        node = obj = self._positioned
        list_key = None
        for step in at:
            node = node[step]
            if isinstance(node, _PosDict):
                obj, list_key = node, None
            elif isinstance(step, str):
                list_key = step
        if not isinstance(node, _PosDict):  # not an object: point at the key holding the list
            key = list_key if list_key is not None else key
        pos = getattr(obj, "pos", 0)
        if key is not None:
            found = self.text.find(json.dumps(key), pos)
            pos = found if found >= 0 else pos
        return self.text.count("\n", 0, pos) + 1

    def fail(self, at: tuple, message: str, key: str | None = None) -> FormatError:
        return FormatError(self.path, f"{self.where(at)}: {message}", line=self.line_of(at, key))

    def error(self, obj: dict, at: tuple, key: str, expected: str) -> FormatError:
        got = f", got {_short(obj[key])}" if key in obj else ""
        return FormatError(self.path, f"{self.where((*at, key))}: expected {expected}{got}",
                           line=self.line_of(at, key))

    def get(self, obj: dict, at: tuple, key: str, kind: str, *, required: bool = True, **opts: Any) -> Any:
        """``obj[key]`` checked to be of ``kind`` (see ``_CHECKS``)."""
        if key not in obj:
            if required:
                raise self.fail(at, f"missing field {key!r} ({kind})")
            return opts.get("default")
        value = obj[key]
        ok, expected = _CHECKS[kind](value, **{k: v for k, v in opts.items() if k != "default"})
        if not ok:
            raise self.error(obj, at, key, expected)
        return value


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_int(value: Any, minimum: int = 0, maximum: int | None = None) -> tuple[bool, str]:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= minimum
    ok = ok and (maximum is None or value <= maximum)
    upper = f" and <= {maximum}" if maximum is not None else ""
    return ok, f"an integer >= {minimum}{upper}"


def _check_number(value: Any, positive: bool = False) -> tuple[bool, str]:
    ok = _is_number(value) and (not positive or value > 0)
    return ok, "a positive number" if positive else "a finite number"


def _check_vec3(value: Any, nonnegative: bool = False) -> tuple[bool, str]:
    ok = isinstance(value, list) and len(value) == 3 and all(_is_number(v) for v in value)
    ok = ok and (not nonnegative or all(v >= 0 for v in value))
    return ok, "a list of 3 non-negative numbers" if nonnegative else "a list of 3 finite numbers"


def _check_str(value: Any, choices: tuple[str, ...] | None = None) -> tuple[bool, str]:
    if choices is not None:
        return value in choices, " or ".join(repr(c) for c in choices)
    return isinstance(value, str) and bool(value), "a non-empty string"


def _check_size3(value: Any) -> tuple[bool, str]:
    ok = isinstance(value, list) and len(value) == 3 and all(_is_number(v) and v > 0 for v in value)
    return ok, "a list of 3 positive numbers"


_CHECKS = {
    "size3": _check_size3,
    "int": _check_int,
    "number": _check_number,
    "vec3": _check_vec3,
    "str": _check_str,
    "list": lambda v: (isinstance(v, list), "a list"),
    "object": lambda v: (isinstance(v, dict), "an object"),
}


# -- sniff and read ---------------------------------------------------------------------


def _root_of(path: Path) -> Path:
    path = Path(path)
    return path.parent if path.name == "sequence.json" else path


JsonDoc = _JsonDoc  # for the other JSON readers: errors at the line of a key


def sniff(path: Path) -> bool:
    """A folder (or its sequence.json) whose sequence.json names this format, or that
    has sequence.json next to poses.txt (a damaged sequence.json gets its error)."""
    root = _root_of(path)
    meta = root / "sequence.json"
    try:
        with meta.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return f'"{FORMAT_NAME}"'.encode() in head or (root / "poses.txt").is_file()


def read(path: Path) -> LoadedSequence:
    """Read a sequence folder: frames (points loaded lazily), poses, ground-truth tracks."""
    root = _root_of(path)
    meta = _read_meta(root / "sequence.json")
    frame_count = meta["frame_count"]
    poses = _read_poses(root / "poses.txt", frame_count)
    frames = []
    for index, (timestamp_s, T) in enumerate(poses):
        pts = points_path(root, index)
        _check_points_size(pts)
        frames.append(Frame(index, timestamp_s, T, loader=partial(load_points, pts), source_path=pts,
                            meta={"ground_path": ground_path(root, index)}))
    sequence = Sequence(meta["name"], frames, root=root, format=FORMAT_NAME, meta=meta)
    loaded = LoadedSequence(sequence)
    tracks_file = root / "labels" / "tracks.json"
    if tracks_file.exists():
        _read_tracks(tracks_file, frame_count, loaded)
    return loaded


def _read_meta(path: Path) -> dict[str, Any]:
    doc = _JsonDoc(path)
    meta = doc.root
    doc.get(meta, (), "format", "str", choices=(FORMAT_NAME,))
    version = doc.get(meta, (), "version", "int", minimum=1)
    if version > FORMAT_VERSION:
        raise doc.error(meta, (), "version", f"version <= {FORMAT_VERSION} (written by a newer sweeplabel)")
    doc.get(meta, (), "name", "str")
    doc.get(meta, (), "frame_count", "int", minimum=0)
    doc.get(meta, (), "frame_rate_hz", "number", positive=True)
    fields = doc.get(meta, (), "point_fields", "list", required=False)
    if fields is not None and tuple(fields) != POINT_FIELDS:
        raise doc.error(meta, (), "point_fields", f"{list(POINT_FIELDS)}")
    doc.get(meta, (), "lidar", "object", required=False)
    return meta


def _read_poses(path: Path, frame_count: int) -> list[tuple[float, np.ndarray]]:
    """poses.txt: one line per frame, ``timestamp_s`` + 12 numbers (row-major 3x4)."""
    if not path.is_file():
        raise FormatError(path, f"file is missing (expected {frame_count} pose lines)", line=1)
    lines = read_text(path).splitlines()
    poses: list[tuple[float, np.ndarray]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if len(poses) == frame_count:
            raise FormatError(path, f"more pose lines than the {frame_count} frames in sequence.json", line=number)
        poses.append(_parse_pose(path, number, line))
    if len(poses) < frame_count:
        raise FormatError(path, f"expected {frame_count} pose lines (one per frame), found {len(poses)}",
                          line=len(lines) + 1)
    return poses


def _parse_pose(path: Path, number: int, line: str) -> tuple[float, np.ndarray]:
    fields = line.split()
    if len(fields) != _POSE_FIELDS:
        raise FormatError(path, f"expected {_POSE_FIELDS} numbers (timestamp_s + 3x4 T_world_sensor), "
                                f"found {len(fields)}", line=number)
    values = []
    for column, text in enumerate(fields, start=1):
        try:
            value = parse_float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise FormatError(path, f"field {column}: expected a finite number, got {text!r}", line=number)
        values.append(value)
    T = np.eye(4)
    T[:3, :4] = np.array(values[1:]).reshape(3, 4)
    R = T[:3, :3]
    if not np.allclose(R @ R.T, np.eye(3), atol=1e-6) or np.linalg.det(R) < 0:
        raise FormatError(path, "fields 2-13: the 3x3 part is not a rotation matrix", line=number)
    return values[0], T


def _check_points_size(path: Path) -> int:
    """Number of points in ``path``; FormatError if missing or not whole records."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise FormatError(path, "points file is missing") from None
    if size % POINT_RECORD_BYTES:
        raise FormatError(path, f"size {size} bytes is not a multiple of {POINT_RECORD_BYTES} "
                                f"(5 float32 per point: x, y, z, intensity, ring); the last record is cut",
                          offset=size - size % POINT_RECORD_BYTES)
    return size // POINT_RECORD_BYTES


def load_points(path: Path) -> np.ndarray:
    """(N, 5) float32 points of one frame, sensor frame: x, y, z, intensity, ring."""
    count = _check_points_size(path)
    points = np.fromfile(path, dtype=POINT_DTYPE, count=count * len(POINT_FIELDS))
    return points.reshape(count, len(POINT_FIELDS)).astype(np.float32, copy=False)


def read_ground_labels(root: Path, frame_index: int) -> np.ndarray:
    """(N,) bool: True where point ``i`` of the frame hit road, sidewalk or kerb top."""
    root = _root_of(root)
    path = ground_path(root, frame_index)
    count = _check_points_size(points_path(root, frame_index))
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise FormatError(path, "ground label file is missing") from None
    if size != count:
        raise FormatError(path, f"expected {count} bytes (one uint8 per point of "
                                f"{points_path(root, frame_index).name}), found {size}",
                          offset=min(size, count))
    labels = np.fromfile(path, dtype=np.uint8)
    bad = np.flatnonzero(labels > 1)
    if bad.size:
        raise FormatError(path, f"expected 0 or 1, got {labels[bad[0]]}", offset=int(bad[0]))
    return labels.astype(bool)


def _read_tracks(path: Path, frame_count: int, loaded: LoadedSequence) -> None:
    doc = _JsonDoc(path)
    root = doc.root
    doc.get(root, (), "format", "str", required=False, choices=(TRACKS_FORMAT_NAME,))
    version = doc.get(root, (), "version", "int", required=False, minimum=1, default=1)
    if version > FORMAT_VERSION:
        raise doc.error(root, (), "version", f"version <= {FORMAT_VERSION} (written by a newer sweeplabel)")
    schema = default_schema()
    seen_tokens: set[str] = set()
    for t, entry in enumerate(doc.get(root, (), "tracks", "list")):
        at = ("tracks", t)
        if not isinstance(entry, dict):
            raise doc.fail(at, "expected an object")
        track = _read_track(doc, entry, at)
        if track.token in seen_tokens:
            raise doc.error(entry, at, "token", "a token not used by another track")
        seen_tokens.add(track.token)
        if not schema.has_category(track.category):
            loaded.warnings.append(f"{path}, line {doc.line_of(at, 'category')}: category "
                                   f"{track.category!r} is not in the default schema")
        loaded.tracks.append(track)
        frames_seen: set[int] = set()
        for b, box_entry in enumerate(doc.get(entry, at, "boxes", "list")):
            box_at = (*at, "boxes", b)
            if not isinstance(box_entry, dict):
                raise doc.fail(box_at, "expected an object")
            annotation = _read_box(doc, box_entry, box_at, track, frame_count)
            if annotation.frame_index in frames_seen:
                raise doc.error(box_entry, box_at, "frame", "one box per track and frame")
            frames_seen.add(annotation.frame_index)
            loaded.annotations.append(annotation)


def _read_track(doc: _JsonDoc, entry: dict, at: tuple) -> Track:
    attributes = doc.get(entry, at, "attributes", "object", required=False, default={})
    return Track(
        token=doc.get(entry, at, "token", "str"),
        category=doc.get(entry, at, "category", "str"),
        number=doc.get(entry, at, "number", "int", minimum=0),
        attributes=attributes,
    )


def _read_box(doc: _JsonDoc, entry: dict, at: tuple, track: Track, frame_count: int) -> Annotation:
    frame = doc.get(entry, at, "frame", "int", minimum=0, maximum=frame_count - 1)
    center = doc.get(entry, at, "center_m", "vec3")
    size = doc.get(entry, at, "size_lwh_m", "size3")
    yaw = doc.get(entry, at, "yaw_rad", "number")
    default_token = uuid.uuid5(_ANNOTATION_NAMESPACE, f"{track.token}/{frame}").hex
    token = doc.get(entry, at, "token", "str", required=False, default=default_token)
    attributes = dict(doc.get(entry, at, "attributes", "object", required=False, default={}))
    num_points = doc.get(entry, at, "num_points", "int", required=False, minimum=0)
    if num_points is not None:
        attributes["num_points"] = num_points
    return Annotation(token, track.token, frame, Box(center, size, yaw), attributes, source=Source.AUTO)


register_reader(SequenceReader(FORMAT_NAME, sniff, read, priority=10))
