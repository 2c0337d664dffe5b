"""The tool's own JSON: every field of the model (sequence and frame metadata, poses,
tracks, annotations with source and review state) plus the label schema, versioned.

Lossless: ``read_labels_json(write_labels_json(x))`` gives the same model objects.
Points are not copied; frames point at their source files (loaded lazily)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..model import Annotation, Box, Frame, LabelSchema, Sequence, Track
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
    """Read a document written by ``write_labels_json``."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FormatError(path, f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise FormatError(path, f"expected a {FORMAT_NAME!r} document")
    if int(doc.get("version", 0)) > FORMAT_VERSION:
        raise SchemaVersionError(path, f"written by a newer sweeplabel (version {doc['version']} > {FORMAT_VERSION})")
    try:
        s = doc["sequence"]
        frames = [Frame(f["index"], f["timestamp_s"], np.array(f["T_world_sensor"]),
                        loader=_loader_for(Path(f["source_path"]), f["meta"]) if f["source_path"] else None,
                        source_path=Path(f["source_path"]) if f["source_path"] else None, meta=f["meta"])
                  for f in s["frames"]]
        seq = Sequence(s["name"], frames, root=Path(s["root"]) if s["root"] else None, format=s["format"],
                       meta=s["meta"])
        tracks = [Track(t["token"], t["category"], t["number"], t["attributes"], score=t.get("score"))
                  for t in doc["tracks"]]
        anns = [Annotation(a["token"], a["track_token"], a["frame_index"],
                           Box(a["center_m"], a["size_lwh_m"], a["yaw_rad"]), a["attributes"],
                           a["source"], a["review_state"], score=a.get("score")) for a in doc["annotations"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(path, f"malformed {FORMAT_NAME} document ({exc!r})") from None
    if doc.get("schema"):
        seq.meta["_schema"] = doc["schema"]  # see schema_of()
    return LoadedSequence(seq, tracks, anns)


def schema_of(loaded: LoadedSequence) -> LabelSchema | None:
    """The label schema stored in a document read by ``read_labels_json``."""
    data = loaded.sequence.meta.get("_schema")
    return LabelSchema.from_dict(data) if data else None


def _sniff(path: Path) -> bool:
    if not (path.is_file() and path.suffix == ".json"):
        return False
    with open(path, "rb") as handle:
        return FORMAT_NAME.encode() in handle.read(256)


register_reader(SequenceReader("sweeplabel-json", _sniff, read_labels_json, priority=5))
