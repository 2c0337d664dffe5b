"""The tool's own JSON: every field of the model (sequence and frame metadata, poses,
tracks, annotations with source and review state) plus the label schema, versioned.

Lossless: ``read_labels_json(write_labels_json(x))`` gives the same model objects.
Points are not copied; frames point at their source files (loaded lazily)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from ..model import Annotation, Box, Frame, LabelSchema, ReviewState, Sequence, Source, Track
from .atomic import write_text_atomic
from .errors import FormatError, SchemaVersionError
from .registry import LoadedSequence, SequenceReader, register_reader

FORMAT_NAME = "sweeplabel-labels"
FORMAT_VERSION = 1


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def labels_document(sequence: Sequence, tracks: Iterable[Track], annotations: Iterable[Annotation],
                    schema: LabelSchema | None = None) -> dict[str, Any]:
    """The JSON-ready dictionary of a labelled sequence."""
    return {
        "format": FORMAT_NAME, "version": FORMAT_VERSION,
        "schema": schema.to_dict() if schema is not None else None,
        "sequence": {"name": sequence.name, "format": sequence.format,
                     "root": str(sequence.root) if sequence.root else None,
                     "meta": _plain({k: v for k, v in sequence.meta.items() if k != "_schema"}),
                     "frames": [{"index": f.index, "timestamp_s": f.timestamp_s,
                                 "T_world_sensor": f.T_world_sensor.tolist(),
                                 "source_path": str(f.source_path) if f.source_path else None,
                                 "meta": _plain(f.meta)} for f in sequence.frames]},
        "tracks": [{"token": t.token, "category": t.category, "number": t.number,
                    "attributes": _plain(dict(t.attributes)),
                    "score": t.score} for t in sorted(tracks, key=lambda t: t.number)],
        "annotations": [{"token": a.token, "track_token": a.track_token, "frame_index": a.frame_index,
                         "center_m": a.box.center_m.tolist(), "size_lwh_m": a.box.size_lwh_m.tolist(),
                         "yaw_rad": a.box.yaw_rad, "attributes": _plain(dict(a.attributes)),
                         "source": a.source.value, "review_state": a.review_state.value, "score": a.score}
                        for a in sorted(annotations, key=lambda a: (a.frame_index, a.track_token))],
    }


def write_labels_json(path: Path | str, sequence: Sequence, tracks: Iterable[Track],
                      annotations: Iterable[Annotation], schema: LabelSchema | None = None) -> dict[str, int]:
    """Write the document atomically; returns counts ``frames``, ``tracks``, ``boxes``."""
    doc = labels_document(sequence, tracks, annotations, schema)
    write_text_atomic(path, json.dumps(doc, indent=1))
    return {"frames": len(doc["sequence"]["frames"]), "tracks": len(doc["tracks"]),
            "boxes": len(doc["annotations"])}


def _loader_for(path: Path, meta: dict[str, Any]):
    """A lazy point loader chosen by the file's suffix (None when the file is gone)."""
    if not path.is_file():
        return None
    name = path.name.lower()
    if name.endswith(".pcd"):
        from .pcd import read_pcd_points
        return lambda: read_pcd_points(path)
    if name.endswith((".las", ".laz")):
        from .las import read_las
        return lambda: read_las(path).points
    if name.endswith(".ply"):
        from .ply_bin import read_ply
        return lambda: read_ply(path)
    from .ply_bin import read_bin, sniff_bin_fields
    fields = int(meta.get("bin_fields") or len(meta.get("point_fields", [])) or sniff_bin_fields(path))
    return lambda: read_bin(path, fields)


def read_labels_json(path: Path | str) -> LoadedSequence:
    """Read a document written by ``write_labels_json``; every record is checked (types,
    finite poses and boxes, positive sizes, frame indices, track tokens) and a bad one is
    a FormatError at its line."""
    from .sequence_folder import JsonDoc

    path = Path(path)
    doc = JsonDoc(path)
    root = doc.root
    if root.get("format") != FORMAT_NAME:
        raise doc.fail((), f"format: expected {FORMAT_NAME!r}", key="format")
    version = root.get("version", 0)
    if not isinstance(version, int) or isinstance(version, bool):
        raise doc.fail((), "version: expected a whole number", key="version")
    if version > FORMAT_VERSION:
        raise SchemaVersionError(path, f"written by a newer sweeplabel (version {version} > {FORMAT_VERSION})",
                                 line=doc.line_of((), "version"))
    checker = _Checker(doc)
    s = checker.obj(root, (), "sequence")
    frames = [checker.frame(f, ("sequence", "frames", i)) for i, f in enumerate(checker.list(s, ("sequence",), "frames"))]
    seq = Sequence(checker.str(s, ("sequence",), "name"), frames,
                   root=Path(s["root"]) if isinstance(s.get("root"), str) else None,
                   format=checker.str(s, ("sequence",), "format"), meta=checker.obj(s, ("sequence",), "meta"))
    tracks = [checker.track(t, ("tracks", i)) for i, t in enumerate(checker.list(root, (), "tracks"))]
    known = {t.token for t in tracks}
    anns = [checker.annotation(a, ("annotations", i), len(frames), known)
            for i, a in enumerate(checker.list(root, (), "annotations"))]
    if root.get("schema"):
        seq.meta["_schema"] = root["schema"]  # see schema_of()
    warnings = [f"{path}, line {doc.line_of(('sequence', 'frames', f.index), 'source_path')}: frame {f.index}: "
                f"point file {f.source_path} is missing; the frame has no points"
                for f in frames if f.source_path is not None and f.loader is None]
    return LoadedSequence(seq, tracks, anns, warnings)


class _Checker:
    """Typed access to the document's records; failures at the record's line."""

    def __init__(self, doc) -> None:
        self.doc = doc

    def _get(self, obj: Any, at: tuple, key: str, ok: Callable[[Any], bool], expected: str) -> Any:
        if not isinstance(obj, dict):
            raise self.doc.fail(at, "expected an object")
        if key not in obj or not ok(obj[key]):
            raise self.doc.fail(at, f"{key}: expected {expected}", key=key)
        return obj[key]

    def obj(self, obj: Any, at: tuple, key: str) -> dict:
        return self._get(obj, at, key, lambda v: isinstance(v, dict), "an object")

    def list(self, obj: Any, at: tuple, key: str) -> list:
        return self._get(obj, at, key, lambda v: isinstance(v, list), "a list")

    def str(self, obj: Any, at: tuple, key: str) -> str:
        return self._get(obj, at, key, lambda v: isinstance(v, str), "a string")

    def int(self, obj: Any, at: tuple, key: str, lo: int = 0, hi: int | None = None) -> int:
        return self._get(obj, at, key, lambda v: _is_int(v) and v >= lo and (hi is None or v <= hi),
                         f"a whole number >= {lo}" + (f" and <= {hi}" if hi is not None else ""))

    def numbers(self, obj: Any, at: tuple, key: str, n: int, positive: bool = False) -> list[float]:
        return self._get(obj, at, key, lambda v: isinstance(v, list) and len(v) == n
                         and all(_is_finite(x) and (not positive or x > 0) for x in v),
                         f"a list of {n} {'positive' if positive else 'finite'} numbers")

    def score(self, obj: dict, at: tuple) -> float | None:
        return self._get(obj, at, "score", lambda v: v is None or (_is_finite(v) and 0 <= v <= 1),
                         "null or a number in [0, 1]") if "score" in obj else None

    def frame(self, f: Any, at: tuple) -> Frame:
        index = self.int(f, at, "index", at[-1], at[-1])
        T = np.array(self._get(f, at, "T_world_sensor", _is_pose, "a 4x4 rigid transform (finite)"), dtype=np.float64)
        timestamp = self._get(f, at, "timestamp_s", _is_finite, "a finite number")
        source = self._get(f, at, "source_path", lambda v: v is None or isinstance(v, str), "null or a string")
        meta = self.obj(f, at, "meta")
        if "bin_fields" in meta and not (_is_int(meta["bin_fields"]) and 3 <= meta["bin_fields"] <= 64):
            raise self.doc.fail((*at, "meta"), "bin_fields: expected a whole number 3 to 64", key="bin_fields")
        if "point_fields" in meta and not (isinstance(meta["point_fields"], list) and 3 <= len(meta["point_fields"]) <= 64):
            raise self.doc.fail((*at, "meta"), "point_fields: expected a list of 3 to 64 names", key="point_fields")
        return Frame(index, timestamp, T, loader=_loader_for(Path(source), meta) if source else None,
                     source_path=Path(source) if source else None, meta=meta)

    def track(self, t: Any, at: tuple) -> Track:
        return Track(self.str(t, at, "token"), self.str(t, at, "category"), self.int(t, at, "number"),
                     self.obj(t, at, "attributes"), score=self.score(t, at))

    def annotation(self, a: Any, at: tuple, frames: int, tracks: set[str]) -> Annotation:
        track = self._get(a, at, "track_token", lambda v: v in tracks, "the token of a track in 'tracks'")
        box = Box(self.numbers(a, at, "center_m", 3), self.numbers(a, at, "size_lwh_m", 3, positive=True),
                  self._get(a, at, "yaw_rad", _is_finite, "a finite number"))
        source = self._get(a, at, "source", lambda v: v in {s.value for s in Source}, "a box source name")
        review = self._get(a, at, "review_state", lambda v: v in {r.value for r in ReviewState}, "a review state")
        return Annotation(self.str(a, at, "token"), track, self.int(a, at, "frame_index", 0, frames - 1), box,
                          self.obj(a, at, "attributes"), source, review, score=self.score(a, at))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_pose(v: Any) -> bool:
    if not (isinstance(v, list) and len(v) == 4 and all(isinstance(r, list) and len(r) == 4 for r in v)):
        return False
    if not all(_is_finite(x) for r in v for x in r):
        return False
    T = np.array(v, dtype=np.float64)
    R = T[:3, :3]
    return bool(np.allclose(R @ R.T, np.eye(3), atol=1e-6) and np.linalg.det(R) > 0
                and np.allclose(T[3], [0, 0, 0, 1]))


def schema_of(loaded: LoadedSequence) -> LabelSchema | None:
    """The label schema stored in a document read by ``read_labels_json``."""
    data = loaded.sequence.meta.get("_schema")
    return LabelSchema.from_dict(data) if data else None


def _sniff(path: Path) -> bool:
    """A ``.json`` file that names this format near its start, or any single ``.json`` file
    but ``sequence.json`` (no other reader opens one; a damaged one gets its error)."""
    if not (path.is_file() and path.suffix.lower() == ".json"):
        return False
    return path.name != "sequence.json"


register_reader(SequenceReader("sweeplabel-json", _sniff, read_labels_json, priority=5))
