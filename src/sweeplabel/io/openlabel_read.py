"""Read an ASAM OpenLABEL 1.0 file (see ``openlabel`` for the layout it writes).

Every problem is one ``FormatError`` naming the file and the key path, e.g.
``openlabel.frames.3.objects.<uid>.object_data.cuboid[0].val: ...``."""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from ..model import (Annotation, Frame, LabelSchema, ReviewState, SchemaError, Sequence, Source, Track,
                     default_schema)
from ..model.geometry import invert_transform
from .errors import FormatError
from .labels_json import _loader_for
from .openlabel import ESCAPE_PREFIX, EXTENSION_KEY, TRACK_META, UID_ATTRIBUTE, object_uid
from .paths import inside
from .openlabel_values import DATA_KINDS, box_of_cuboid, decode_entry, transform_matrix
from .registry import LoadedSequence

TILT_WARN_RAD = math.radians(10.0)
_UID_NAMESPACE = uuid.UUID("9a4f2c1e-7b3d-4e5a-8c6f-1d2e3f4a5b6c")


class _Doc:
    """The parsed file plus ``fail(key_path, message)`` for one-line errors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.warnings: list[str] = []
        try:
            self.root = json.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError as err:
            raise FormatError(path, f"not UTF-8 text ({err.reason})", offset=err.start) from None
        except json.JSONDecodeError as err:
            raise FormatError(path, f"not valid JSON: {err.msg} (column {err.colno})", line=err.lineno) from None

    def fail(self, at: str, message: str) -> FormatError:
        return FormatError(self.path, f"{at}: {message}")

    def obj(self, value: Any, at: str, required: bool = True) -> dict[str, Any]:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise self.fail(at, f"expected a JSON object, got {_short(value)}")
        return value


def _short(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# -- coordinate systems -----------------------------------------------------------------------
class _Frames:
    """Coordinate systems and per-frame transforms: ``T_world(cs, frame)``."""

    def __init__(self, doc: _Doc, body: dict[str, Any]) -> None:
        self.doc = doc
        self.systems = doc.obj(body.get("coordinate_systems"), "openlabel.coordinate_systems", required=False)
        for name, cs in self.systems.items():
            at = f"openlabel.coordinate_systems.{name}"
            doc.obj(cs, at)
            parent = cs.get("parent") or ""
            if not isinstance(parent, str):
                raise doc.fail(f"{at}.parent", f"expected the parent's name, got {_short(parent)}")
            if parent and parent not in self.systems:
                raise doc.fail(f"{at}.parent", f"unknown coordinate system {parent!r} "
                                               f"(declared: {', '.join(sorted(self.systems))})")
        roots = [n for n, cs in self.systems.items() if not cs.get("parent")]
        self.world = roots[0] if roots else ""
        self.static = {n: self._matrix(cs.get("pose_wrt_parent"), f"openlabel.coordinate_systems.{n}.pose_wrt_parent")
                       for n, cs in self.systems.items() if cs.get("pose_wrt_parent") is not None}

    def _matrix(self, data: Any, at: str) -> np.ndarray:
        try:
            return transform_matrix(self.doc.obj(data, at))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise self.doc.fail(at, f"expected matrix4x4 (16 numbers), quaternion + translation or "
                                    f"euler_angles + translation ({exc})") from None

    def check(self, cs: Any, at: str) -> str:
        """The name of a declared coordinate system (an undeclared one is an error)."""
        if cs is None or cs == "":
            return self.world
        if not isinstance(cs, str) or (cs not in self.systems and not (cs == self.world == "")):
            known = ", ".join(sorted(self.systems)) or "none"
            raise self.doc.fail(at, f"unknown coordinate system {_short(cs)} (declared: {known})")
        return cs

    def frame_transforms(self, props: dict[str, Any], at: str) -> dict[tuple[str, str], np.ndarray]:
        out: dict[tuple[str, str], np.ndarray] = {}
        transforms = self.doc.obj(props.get("transforms"), f"{at}.transforms", required=False)
        for name, t in transforms.items():
            t_at = f"{at}.transforms.{name}"
            self.doc.obj(t, t_at)
            src = self.check(t.get("src"), f"{t_at}.src")
            dst = self.check(t.get("dst"), f"{t_at}.dst")
            out[(src, dst)] = self._matrix(t.get("transform_src_to_dst"), f"{t_at}.transform_src_to_dst")
        return out

    def T_world(self, cs: str, transforms: dict[tuple[str, str], np.ndarray], depth: int = 0) -> np.ndarray:
        """Pose of ``cs`` in the world (X_world = T X_cs) in one frame."""
        if cs == self.world or depth > len(self.systems):
            return np.eye(4)
        if (cs, self.world) in transforms:
            return transforms[(cs, self.world)]
        if (self.world, cs) in transforms:
            return invert_transform(transforms[(self.world, cs)])
        parent = self.systems[cs].get("parent") or self.world
        if (cs, parent) in transforms:
            T_parent = transforms[(cs, parent)]
        elif (parent, cs) in transforms:
            T_parent = invert_transform(transforms[(parent, cs)])
        else:
            T_parent = self.static.get(cs, np.eye(4))
        return self.T_world(parent, transforms, depth + 1) @ T_parent


# -- the document -------------------------------------------------------------------------------
def read_openlabel(path: Path | str, schema: LabelSchema | None = None) -> LoadedSequence:
    """An OpenLABEL file as a sequence with its tracks and boxes (world frame)."""
    doc = _Doc(Path(path))
    if not isinstance(doc.root, dict) or not isinstance(doc.root.get("openlabel"), dict):
        raise doc.fail("openlabel", 'expected a top-level {"openlabel": {...}} object')
    body = doc.root["openlabel"]
    metadata = doc.obj(body.get("metadata"), "openlabel.metadata")
    version = metadata.get("schema_version")
    if version is None:
        raise doc.fail("openlabel.metadata.schema_version", 'missing (expected "1.0.0")')
    if not (isinstance(version, str) and version.split(".")[0] == "1"):
        raise doc.fail("openlabel.metadata.schema_version", f'expected "1.0.0", got {_short(version)}')
    ext = doc.obj(metadata.get(EXTENSION_KEY), f"openlabel.metadata.{EXTENSION_KEY}", required=False)
    if not isinstance(ext.get("meta") or {}, dict):
        raise doc.fail(f"openlabel.metadata.{EXTENSION_KEY}.meta", "expected a JSON object")
    if schema is None:
        schema = _schema(doc, ext.get("schema"))
    systems = _Frames(doc, body)
    streams = doc.obj(body.get("streams"), "openlabel.streams", required=False)
    lidar_stream = next((n for n, s in streams.items() if isinstance(s, dict) and s.get("type") == "lidar"), None)
    lidar_cs = "lidar" if "lidar" in systems.systems else (lidar_stream if lidar_stream in systems.systems
                                                            else systems.world)
    by_key = doc.obj(body.get("frames"), "openlabel.frames", required=False)
    raw_frames: dict[str, Any] = {}
    for key, value in by_key.items():  # keyed by the number as we print it ("007" -> "7")
        if str(_frame_number(doc, key)) in raw_frames:
            raise doc.fail(f"openlabel.frames.{key}", f"frame {int(key)} is given twice")
        raw_frames[str(int(key))] = value
    numbers = sorted(int(k) for k in raw_frames)
    index_of = {n: i for i, n in enumerate(numbers)}
    frames, transforms = [], []
    for number in numbers:
        frame, T = _read_frame(doc, systems, raw_frames[str(number)], number, index_of[number],
                               lidar_stream, lidar_cs)
        frames.append(frame)
        transforms.append(T)
    tracks = _read_objects(doc, body, schema)
    anns = _read_boxes(doc, systems, raw_frames, numbers, index_of, transforms, tracks)
    meta = dict(ext.get("meta") or {})
    if ext.get("schema"):
        meta["_schema"] = ext["schema"]
    root = ext.get("root") if "root" in ext else str(doc.path.parent)
    if root is not None and not isinstance(root, str):
        raise doc.fail(f"openlabel.metadata.{EXTENSION_KEY}.root", f"expected a folder name, got {_short(root)}")
    seq = Sequence(str(metadata.get("name") or doc.path.stem), frames, root=Path(root) if root else None,
                   format=str(ext.get("format") or "openlabel"), meta=meta)
    track_list = sorted((t for t, _ in tracks.values()), key=lambda t: t.number)
    return LoadedSequence(seq, track_list, anns, doc.warnings)


def _schema(doc: _Doc, data: Any) -> LabelSchema:
    """The label schema stored with the file (our exports), else the default one."""
    if not data:
        return default_schema()
    try:
        schema = LabelSchema.from_dict(data, str(doc.path))
        if all(isinstance(c.name, str) and isinstance(c.label, str) for c in schema.categories):
            return schema
    except (SchemaError, AttributeError, KeyError, TypeError, ValueError):
        pass
    raise doc.fail(f"openlabel.metadata.{EXTENSION_KEY}.schema", "not a valid label schema")


def _frame_number(doc: _Doc, key: str) -> int:
    if not (key.isascii() and key.isdigit()):
        raise doc.fail(f"openlabel.frames.{key}", "frame keys must be frame numbers (digits)")
    return int(key)


def _read_frame(doc: _Doc, systems: _Frames, raw: Any, number: int, index: int, lidar_stream: str | None,
                lidar_cs: str) -> tuple[Frame, dict]:
    at = f"openlabel.frames.{number}"
    raw = doc.obj(raw, at)
    props = doc.obj(raw.get("frame_properties"), f"{at}.frame_properties", required=False)
    transforms = systems.frame_transforms(props, f"{at}.frame_properties")
    stamp = props.get("timestamp", float(number))
    try:
        timestamp_s = float(stamp)
    except (TypeError, ValueError):
        raise doc.fail(f"{at}.frame_properties.timestamp", f"expected seconds, got {_short(stamp)}") from None
    ext = doc.obj(props.get(EXTENSION_KEY), f"{at}.frame_properties.{EXTENSION_KEY}", required=False)
    meta = dict(doc.obj(ext.get("meta"), f"{at}.frame_properties.{EXTENSION_KEY}.meta", required=False))
    if number != index:
        meta["openlabel_frame"] = number
    frame_streams = doc.obj(props.get("streams"), f"{at}.frame_properties.streams", required=False)
    stream = frame_streams.get(lidar_stream) if lidar_stream else None
    uri = stream.get("uri") if isinstance(stream, dict) else None
    source = None
    if isinstance(uri, str) and uri:
        source = Path(uri[7:] if uri.startswith("file://") else uri)
        if not source.is_absolute():  # relative: below the OpenLABEL file's folder only
            source = inside(doc.path.parent, uri, f"{at}.frame_properties.streams.{lidar_stream}.uri", doc.path)
    loader = _loader_for(source, meta) if source is not None else None
    if source is not None and loader is None:
        doc.warnings.append(f"frame {number}: points file {source} not found")
    T_world_sensor = systems.T_world(lidar_cs, transforms)
    frame = Frame(index, timestamp_s, T_world_sensor, loader=loader, source_path=source, meta=meta)
    return frame, transforms


# -- objects (tracks) ------------------------------------------------------------------------------
def _category(doc: _Doc, schema: LabelSchema, type_name: Any, at: str) -> str:
    if not isinstance(type_name, str) or not type_name:
        raise doc.fail(at, f"expected the object's class as a string, got {_short(type_name)}")
    if schema.has_category(type_name):
        return type_name
    low = type_name.lower()
    for cat in schema.categories:
        if low in (cat.name.lower(), cat.name.lower().rsplit(".", 1)[-1], cat.label.lower()):
            return cat.name
    from .kitti import category_for_kitti_type

    name = category_for_kitti_type(type_name[:1].upper() + type_name[1:], schema)
    doc.warnings.append(f"{at}: class {type_name!r} is not in the label schema; read as {name!r}")
    return name


def _data_values(doc: _Doc, data: dict[str, Any], at: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for kind in DATA_KINDS:
        entries = data.get(kind) or []
        if not isinstance(entries, list):
            raise doc.fail(f"{at}.{kind}", f"expected a list, got {_short(entries)}")
        for k, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise doc.fail(f"{at}.{kind}[{k}]", "expected an object with a name and a val")
            try:
                values[entry["name"]] = decode_entry(entry)
            except json.JSONDecodeError as exc:
                raise doc.fail(f"{at}.{kind}[{k}].val", f"JSON-encoded value is malformed ({exc.msg})") from None
    return values


def _checked_intervals(doc: _Doc, obj: dict[str, Any], at: str) -> list[tuple[int, int]]:
    raw = obj.get("frame_intervals") or []
    if not isinstance(raw, list):
        raise doc.fail(f"{at}.frame_intervals", "expected a list of {frame_start, frame_end}")
    out = []
    for k, fi in enumerate(raw):
        fi_at = f"{at}.frame_intervals[{k}]"
        start, end = (fi.get("frame_start"), fi.get("frame_end")) if isinstance(fi, dict) else (None, None)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
            raise doc.fail(fi_at, "expected integer frame_start and frame_end")
        if start > end:
            raise doc.fail(fi_at, f"inverted frame interval: frame_start {start} > frame_end {end}")
        out.append((start, end))
    return out


def _token_of_uid(uid: str, token: Any) -> str:
    if isinstance(token, str) and token:
        return token
    try:
        return uuid.UUID(uid).hex
    except ValueError:  # a numeric uid
        return uuid.uuid5(_UID_NAMESPACE, uid).hex


def _meta_value(doc: _Doc, values: dict[str, Any], name: str, at: str, check) -> Any:
    if name not in values:
        return None
    try:
        return check(values[name])
    except (TypeError, ValueError) as exc:
        raise doc.fail(at, f"{name}: {exc}") from None


def _score(value: Any) -> float:
    if not _is_num(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"expected a confidence in [0, 1], got {_short(value)}")
    return float(value)


def _state(value: Any) -> ReviewState:
    try:
        return ReviewState(value)
    except ValueError:
        raise ValueError(f"expected one of {', '.join(s.value for s in ReviewState)}, got {_short(value)}") from None


def _read_objects(doc: _Doc, body: dict[str, Any], schema: LabelSchema
                  ) -> dict[str, tuple[Track, list[tuple[int, int]]]]:
    objects = doc.obj(body.get("objects"), "openlabel.objects", required=False)
    out: dict[str, tuple[Track, list[tuple[int, int]]]] = {}
    used: set[int] = set()
    pending: list[tuple[str, dict]] = []
    for uid, obj in objects.items():
        at = f"openlabel.objects.{uid}"
        obj = doc.obj(obj, at)
        intervals = _checked_intervals(doc, obj, at)
        data = doc.obj(obj.get("object_data"), f"{at}.object_data", required=False)
        values = _data_values(doc, data, f"{at}.object_data")
        data_at = f"{at}.object_data"
        kwargs = {"score": _meta_value(doc, values, "score", data_at, _score),
                  "review_state": _meta_value(doc, values, "review_state", data_at, _state) or ReviewState.UNREVIEWED,
                  "reviewed_by": str(values.get("reviewed_by", "")),
                  "reviewed_s": _meta_value(doc, values, "reviewed_s", data_at, float) or 0.0}
        attrs = {(k[len(ESCAPE_PREFIX):] if k.startswith(ESCAPE_PREFIX) else k): v
                 for k, v in values.items() if k not in TRACK_META}
        if object_uid(_token_of_uid(uid, values.get("token"))) != uid:
            attrs[UID_ATTRIBUTE] = uid  # written back under the same uid
        category = _category(doc, schema, obj.get("type"), f"{at}.type")
        name = obj.get("name")
        number = int(name) if isinstance(name, str) and name.isascii() and name.isdigit() else None
        if number is None or number in used:
            pending.append((uid, {"category": category, "attrs": attrs, "kw": kwargs, "iv": intervals,
                                  "token": values.get("token")}))
            continue
        used.add(number)
        out[uid] = (Track(_token_of_uid(uid, values.get("token")), category, number, attrs, **kwargs), intervals)
    next_number = max(used, default=-1) + 1
    for uid, p in pending:  # names that are not track numbers (or repeat one) get fresh numbers
        out[uid] = (Track(_token_of_uid(uid, p["token"]), p["category"], next_number, p["attrs"], **p["kw"]),
                    p["iv"])
        next_number += 1
    seen: dict[str, str] = {}
    for uid, (track, _) in out.items():
        if track.token in seen:
            raise doc.fail(f"openlabel.objects.{uid}", f"same track token {track.token} as object {seen[track.token]}")
        seen[track.token] = uid
    return out


# -- per-frame boxes ---------------------------------------------------------------------------------
def _read_boxes(doc: _Doc, systems: _Frames, raw_frames: dict[str, Any], numbers: list[int],
                index_of: dict[int, int], transforms: list[dict], tracks: dict) -> list[Annotation]:
    anns: list[Annotation] = []
    tokens: set[str] = set()
    tilted = 0
    for number in numbers:
        at = f"openlabel.frames.{number}"
        frame_objects = doc.obj(raw_frames[str(number)].get("objects"), f"{at}.objects", required=False)
        for uid, fobj in frame_objects.items():
            o_at = f"{at}.objects.{uid}"
            if uid not in tracks:
                raise doc.fail(o_at, "object not declared in openlabel.objects")
            track, intervals = tracks[uid]
            data = doc.obj(doc.obj(fobj, o_at).get("object_data"), f"{o_at}.object_data", required=False)
            if intervals and not any(s <= number <= e for s, e in intervals):
                doc.warnings.append(f"{o_at}: frame {number} is outside the object's frame_intervals")
            ann, tilt = _read_box(doc, systems, data, f"{o_at}.object_data", track, index_of[number],
                                  transforms[index_of[number]])
            if ann is not None:
                if ann.token in tokens:
                    raise doc.fail(f"{o_at}.object_data.cuboid[0].attributes",
                                   f"box token {ann.token} is used twice")
                tokens.add(ann.token)
                anns.append(ann)
                tilted += tilt > TILT_WARN_RAD
    if tilted:
        doc.warnings.append(f"{tilted} cuboids tilted more than 10 degrees; read upright (yaw kept)")
    return anns


def _cuboid_values(doc: _Doc, cuboid: Any, at: str) -> list[float]:
    val = doc.obj(cuboid, at).get("val")
    if not isinstance(val, list) or not all(_is_num(v) for v in val):
        raise doc.fail(f"{at}.val", f"expected a list of 9 or 10 finite numbers, got {_short(val)}")
    if len(val) not in (9, 10):
        raise doc.fail(f"{at}.val", f"expected 10 values (x, y, z, qx, qy, qz, qw, sx, sy, sz) or 9 "
                                    f"(x, y, z, rx, ry, rz, sx, sy, sz), got {len(val)}")
    for axis, size in zip(("sx", "sy", "sz"), val[-3:]):
        if size < 0:
            raise doc.fail(f"{at}.val", f"negative size {axis} = {size} (sizes must be >= 0)")
    return [float(v) for v in val]


def _read_box(doc: _Doc, systems: _Frames, data: dict[str, Any], at: str, track: Track, index: int,
              transforms: dict) -> tuple[Annotation | None, float]:
    cuboids = data.get("cuboid") or []
    if not isinstance(cuboids, list):
        raise doc.fail(f"{at}.cuboid", f"expected a list of cuboids, got {_short(cuboids)}")
    if not cuboids:
        if data:
            doc.warnings.append(f"{at}: no cuboid; its attributes are not read")
        return None, 0.0
    if len(cuboids) > 1:
        doc.warnings.append(f"{at}.cuboid: {len(cuboids)} cuboids, the first is read")
    c_at = f"{at}.cuboid[0]"
    val = _cuboid_values(doc, cuboids[0], c_at)
    cs = systems.check(cuboids[0].get("coordinate_system"), f"{c_at}.coordinate_system")
    try:
        box, tilt = box_of_cuboid(val, systems.T_world(cs, transforms))
    except ValueError as exc:
        raise doc.fail(f"{c_at}.val", str(exc)) from None
    meta = _data_values(doc, doc.obj(cuboids[0].get("attributes"), f"{c_at}.attributes", required=False),
                        f"{c_at}.attributes")
    attrs = _data_values(doc, data, at)
    a_at = f"{c_at}.attributes"
    source = meta.pop("source", Source.MANUAL.value)
    try:
        source = Source(source)
    except ValueError:
        raise doc.fail(a_at, f"source: expected one of {', '.join(s.value for s in Source)}, "
                             f"got {_short(source)}") from None
    score = _meta_value(doc, meta, "score", a_at, _score)
    if score is None:
        score = _meta_value(doc, meta, "confidence", a_at, _score)
    kwargs = {"review_state": _meta_value(doc, meta, "review_state", a_at, _state) or ReviewState.UNREVIEWED,
              "reviewed_by": str(meta.get("reviewed_by", "")),
              "reviewed_s": _meta_value(doc, meta, "reviewed_s", a_at, float) or 0.0}
    token = meta.get("token") if isinstance(meta.get("token"), str) else \
        uuid.uuid5(_UID_NAMESPACE, f"{track.token}/{index}").hex
    extra = {k: v for k, v in meta.items()
             if k not in ("score", "confidence", "review_state", "reviewed_by", "reviewed_s", "token")}
    return Annotation(token, track.token, index, box, {**extra, **attrs}, source, score=score, **kwargs), tilt
