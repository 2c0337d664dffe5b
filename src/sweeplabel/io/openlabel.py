"""ASAM OpenLABEL 1.0: export (``write_openlabel``) and import (``read_openlabel``).

One JSON file per sequence, ``{"openlabel": {...}}``:

- ``coordinate_systems``: ``world`` (the sequence's world frame, the root), ``lidar``
  (its child; ``pose_wrt_parent`` = the first frame's ``T_world_sensor``) and, where the
  frames carry a KITTI calibration, ``camera_2`` (child of ``lidar``) with its stream's
  pinhole intrinsics. Poses map child coordinates into the parent (X_parent = M X_child).
- per frame: ``frame_properties.timestamp`` (seconds), ``streams.lidar.uri`` (the points
  file) and ``transforms.lidar_to_world`` (``T_world_sensor``, src lidar, dst world).
- one ``objects`` entry per track: uid = the track token as a UUID, ``name`` = track
  number, ``type`` = category, ``frame_intervals``, static attributes in ``object_data``
  (with the track's score, review state and reviewer), ``object_data_pointers``.
- per frame and object: ``object_data.cuboid`` named ``box`` in the world frame as the
  10-value form (see ``openlabel_values``), with the box's source, score, review state
  and token as the cuboid's attributes; dynamic attributes beside it.

Sequence and frame metadata of the tool (KITTI calibration, DontCare lines, ...) travel
under ``metadata.sweeplabel`` and ``frame_properties.sweeplabel`` (both schemas allow
extra keys), so OpenLABEL -> project -> OpenLABEL and KITTI -> OpenLABEL -> KITTI lose
nothing. The reader also takes foreign files: 9-value Euler cuboids, cuboids in a
sensor coordinate system, numeric uids, types matched to the label schema."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..model import Annotation, LabelSchema, Sequence, Track
from ..model.geometry import invert_transform
from .atomic import write_text_atomic
from .kitti import IMAGE_SIZE_WH, KittiCalib, group_by_frame
from .labels_json import _plain
from .openlabel_values import cuboid_val, encode_data, encode_value, matrix_data
from .registry import SequenceReader, register_reader

SCHEMA_VERSION = "1.0.0"
WORLD_CS = "world"
LIDAR_CS = "lidar"
CAMERA_CS = "camera_2"
LIDAR_STREAM = "lidar"
CUBOID_NAME = "box"
TRANSFORM_NAME = "lidar_to_world"
EXTENSION_KEY = "sweeplabel"
TRACK_META = ("score", "review_state", "reviewed_by", "reviewed_s", "token")  # reserved object_data names
ESCAPE_PREFIX = "attr."  # a static attribute whose name is reserved is written as attr.<name>
_UUID_NAMESPACE = uuid.UUID("3e1c6b9a-5d2f-4a7e-9b1c-8f0d2e4a6c5b")
_HEX32 = re.compile(r"^[0-9a-f]{32}$")


UID_ATTRIBUTE = "openlabel_uid"  # a read-in object's own uid when it is not its token's UUID
_UID = re.compile(r"^(-?[0-9]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")


def _object_uids(tracks: list[Track]) -> dict[str, str]:
    """uid per track token: the uid a file gave it (while valid and unique), else ``object_uid``."""
    uids: dict[str, str] = {}
    used: set[str] = set()
    for track in tracks:
        own = track.attributes.get(UID_ATTRIBUTE)
        uid = own if isinstance(own, str) and _UID.match(own) and own not in used else object_uid(track.token)
        uids[track.token] = uid
        used.add(uid)
    return uids


def object_uid(token: str) -> str:
    """The OpenLABEL uid of a track token: the token itself as a dashed UUID when it
    is a uuid hex (as ``new_token``), otherwise a name-based UUID of it."""
    if _HEX32.match(token):
        return str(uuid.UUID(hex=token))
    return str(uuid.uuid5(_UUID_NAMESPACE, token))


def frame_numbers(sequence: Sequence) -> list[int]:
    """OpenLABEL frame number per frame index: the number a file read in gave the frame
    (``meta["openlabel_frame"]``) while they stay increasing, else the index."""
    numbers = [frame.meta.get("openlabel_frame", frame.index) for frame in sequence.frames]
    ok = all(isinstance(n, int) and n >= 0 for n in numbers) and all(a < b for a, b in zip(numbers, numbers[1:]))
    return numbers if ok else [frame.index for frame in sequence.frames]


def _intervals(frames: Iterable[int]) -> list[dict[str, int]]:
    """Closed intervals ``[{frame_start, frame_end}]`` covering sorted frame numbers."""
    out: list[dict[str, int]] = []
    for f in sorted(set(frames)):
        if out and out[-1]["frame_end"] == f - 1:
            out[-1]["frame_end"] = f
        else:
            out.append({"frame_start": f, "frame_end": f})
    return out


# -- coordinate systems and streams ---------------------------------------------------------
def _camera_calib(sequence: Sequence) -> KittiCalib | None:
    meta = sequence.frames[0].meta.get("kitti_calib") if sequence.frames else None
    return KittiCalib.from_meta(meta) if meta else None


def _coordinate_systems(sequence: Sequence, calib: KittiCalib | None) -> dict[str, Any]:
    T0 = sequence.frames[0].T_world_sensor if sequence.frames else np.eye(4)
    systems: dict[str, Any] = {
        WORLD_CS: {"type": "scene_cs", "parent": "", "children": [LIDAR_CS]},
        LIDAR_CS: {"type": "sensor_cs", "parent": WORLD_CS, "children": [CAMERA_CS] if calib else [],
                   "pose_wrt_parent": matrix_data(T0)},
    }
    if calib is not None:  # rectified camera 2: X_rect = R0_rect Tr_velo_to_cam X_velo
        systems[CAMERA_CS] = {"type": "sensor_cs", "parent": LIDAR_CS, "children": [],
                              "pose_wrt_parent": matrix_data(np.linalg.inv(calib.T_cam_velo))}
    return systems


def _streams(sequence: Sequence, calib: KittiCalib | None) -> dict[str, Any]:
    streams: dict[str, Any] = {LIDAR_STREAM: {"type": "lidar", "description": "LiDAR sweeps (sensor frame)"}}
    if calib is not None:
        w, h = sequence.frames[0].meta.get("kitti_image_size_wh", IMAGE_SIZE_WH)
        streams[CAMERA_CS] = {"type": "camera", "description": "KITTI rectified camera 2",
                              "stream_properties": {"intrinsics_pinhole": {
                                  "camera_matrix": [float(v) for v in calib.P2.reshape(12)],
                                  "width_px": int(w), "height_px": int(h)}}}
    return streams


def _uri(source: Path, base_dir: Path | None) -> str:
    """The points file relative to the OpenLABEL file's folder when it lies below it
    (the pair can move together), else absolute."""
    source = Path(source).resolve()
    if base_dir is not None:
        try:
            return source.relative_to(Path(base_dir).resolve()).as_posix()
        except ValueError:
            pass
    return str(source)


def _frame_properties(frame, base_dir: Path | None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "timestamp": float(frame.timestamp_s),
        "transforms": {TRANSFORM_NAME: {"src": LIDAR_CS, "dst": WORLD_CS,
                                        "transform_src_to_dst": matrix_data(frame.T_world_sensor)}},
    }
    if frame.source_path is not None:
        props["streams"] = {LIDAR_STREAM: {"uri": _uri(frame.source_path, base_dir)}}
    props[EXTENSION_KEY] = {"index": frame.index, "meta": _plain(frame.meta)}
    return props


# -- objects ------------------------------------------------------------------------------
def _track_data(track: Track) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in track.attributes.items():
        if name == UID_ATTRIBUTE:
            continue
        escaped = name in TRACK_META or name.startswith(ESCAPE_PREFIX)
        values[ESCAPE_PREFIX + name if escaped else name] = value
    values["review_state"] = track.review_state.value
    if track.score is not None:
        values["score"] = track.score
    if track.reviewed_by:
        values["reviewed_by"] = track.reviewed_by
    if track.reviewed_s:
        values["reviewed_s"] = track.reviewed_s
    if not _HEX32.match(track.token):  # the uid cannot give it back
        values["token"] = track.token
    return encode_data(_plain(values))


def _box_attributes(ann: Annotation) -> dict[str, Any]:
    values: dict[str, Any] = {"source": ann.source.value, "review_state": ann.review_state.value,
                              "token": ann.token}
    if ann.score is not None:
        values["score"] = ann.score
    if ann.reviewed_by:
        values["reviewed_by"] = ann.reviewed_by
    if ann.reviewed_s:
        values["reviewed_s"] = ann.reviewed_s
    return encode_data(values)


def _frame_object(ann: Annotation) -> dict[str, Any]:
    data = encode_data(_plain(dict(ann.attributes)))
    cuboid = {"name": CUBOID_NAME, "val": cuboid_val(ann.box), "coordinate_system": WORLD_CS,
              "attributes": _box_attributes(ann)}
    return {"object_data": {"cuboid": [cuboid], **data}}


def _pointers(anns: list[Annotation], static: dict[str, Any], numbers: list[int]) -> dict[str, Any]:
    pointers: dict[str, Any] = {}
    for kind, entries in static.items():
        for entry in entries:
            pointers[entry["name"]] = {"type": kind, "frame_intervals": []}
    frames_of: dict[str, set[int]] = {}
    kind_of: dict[str, str] = {}
    for ann in anns:
        for name, value in _plain(dict(ann.attributes)).items():
            frames_of.setdefault(name, set()).add(numbers[ann.frame_index])
            kind_of.setdefault(name, encode_value(name, value)[0])
    box_attrs = {"source": "text", "review_state": "text", "token": "text"}
    for ann in anns:
        if ann.score is not None:
            box_attrs["score"] = "num"
        if ann.reviewed_by:
            box_attrs["reviewed_by"] = "text"
        if ann.reviewed_s:
            box_attrs["reviewed_s"] = "num"
    pointers[CUBOID_NAME] = {"type": "cuboid", "frame_intervals": _intervals(numbers[a.frame_index] for a in anns),
                             "attribute_pointers": dict(sorted(box_attrs.items()))}
    for name in sorted(frames_of):
        pointers[name] = {"type": kind_of[name], "frame_intervals": _intervals(frames_of[name])}
    return pointers


def openlabel_document(sequence: Sequence, tracks: Iterable[Track], annotations: Iterable[Annotation],
                       schema: LabelSchema | None = None, base_dir: Path | None = None) -> dict[str, Any]:
    """The JSON-ready ``{"openlabel": {...}}`` of a labelled sequence (points files below
    ``base_dir`` get relative URIs)."""
    tracks = sorted(tracks, key=lambda t: (t.number, t.token))
    by_frame = group_by_frame(tracks, annotations)
    by_track: dict[str, list[Annotation]] = {}
    for items in by_frame.values():
        for ann, _ in items:
            by_track.setdefault(ann.track_token, []).append(ann)
    calib = _camera_calib(sequence)
    numbers = frame_numbers(sequence)
    uids = _object_uids(tracks)
    objects: dict[str, Any] = {}
    for track in tracks:
        anns = sorted(by_track.get(track.token, []), key=lambda a: a.frame_index)
        static = _track_data(track)
        objects[uids[track.token]] = {
            "name": str(track.number), "type": track.category, "coordinate_system": WORLD_CS,
            "frame_intervals": _intervals(numbers[a.frame_index] for a in anns), "object_data": static,
            "object_data_pointers": _pointers(anns, static, numbers)}
    frames: dict[str, Any] = {}
    for frame in sequence.frames:
        entry: dict[str, Any] = {"frame_properties": _frame_properties(frame, base_dir)}
        items = by_frame.get(frame.index, [])
        if items:
            entry["objects"] = {uids[track.token]: _frame_object(ann) for ann, track in items}
        frames[str(numbers[frame.index])] = entry
    extension = {"format": sequence.format, "root": str(sequence.root) if sequence.root else None,
                 "meta": _plain({k: v for k, v in sequence.meta.items() if k != "_schema"}),
                 "schema": schema.to_dict() if schema is not None else None}
    body: dict[str, Any] = {
        "metadata": {"schema_version": SCHEMA_VERSION, "name": sequence.name, "annotator": "sweeplabel",
                     EXTENSION_KEY: extension},
        "coordinate_systems": _coordinate_systems(sequence, calib),
        "streams": _streams(sequence, calib),
    }
    if sequence.frames:
        body["frame_intervals"] = _intervals(numbers)
    body["frames"] = frames
    body["objects"] = objects
    return {"openlabel": body}


def write_openlabel(path: Path | str, sequence: Sequence, tracks: Iterable[Track],
                    annotations: Iterable[Annotation], schema: LabelSchema | None = None) -> dict[str, int]:
    """Write the OpenLABEL file atomically; returns counts ``frames``, ``tracks``, ``boxes``."""
    doc = openlabel_document(sequence, tracks, annotations, schema, base_dir=Path(path).parent)
    write_text_atomic(path, json.dumps(doc, indent=1, allow_nan=False))
    body = doc["openlabel"]
    boxes = sum(len(f.get("objects", {})) for f in body["frames"].values())
    used = sum(1 for o in body["objects"].values() if o["frame_intervals"])
    return {"frames": len(body["frames"]), "tracks": used, "boxes": boxes}


def export_file_name(sequence: Sequence) -> str:
    """``<sequence name>.openlabel.json`` with unsafe characters replaced."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", sequence.name or "sequence") + ".openlabel.json"


def _is_openlabel_file(path: Path) -> bool:
    if not (path.is_file() and path.suffix.lower() == ".json"):
        return False
    with open(path, "rb") as handle:
        head = handle.read(512).lstrip()
    return head.startswith(b"{") and b'"openlabel"' in head[:64]


def file_beside(folder: Path) -> Path | None:
    """The one ``*.openlabel.json`` in a sequence folder (None when there is none or several)."""
    found = sorted(folder.glob("*.openlabel.json")) if folder.is_dir() else []
    return found[0] if len(found) == 1 and _is_openlabel_file(found[0]) else None


def _sniff(path: Path) -> bool:
    """An OpenLABEL file, or a folder with one ``*.openlabel.json`` beside its sweeps."""
    return _is_openlabel_file(path) or file_beside(path) is not None


def _read(path: Path):
    from .openlabel_read import read_openlabel

    return read_openlabel(path if path.is_file() else file_beside(path))


register_reader(SequenceReader("openlabel", _sniff, _read, priority=5))
