"""nuScenes (and nuScenes-schema, e.g. Lyft Level 5) datasets: reader and writer.

Reader: a dataroot with ``<version>/*.json`` tables and ``samples/``/``sweeps/``
LIDAR_TOP ``.pcd.bin`` files (5 float32: x y z intensity ring). One scene becomes a
sequence whose frames are the lidar channel's sample_data (sweeps included); world =
the global frame, ``T_world_sensor = ego2global . lidar2ego``. ``sample_annotation``
boxes (global frame, ``size = [w, l, h]``, rotation quaternion ``(w, x, y, z)``) become
annotations; instances become tracks. Tokens that point outside the tables are
allowed where the schema only links neighbours (prev/next, first/last), and are a
``FormatError`` where the box cannot be placed without them.

Writer: the full table set with consistent tokens (imported tokens are reused),
prev/next chains, first/last_annotation_token, nbr_annotations, num_lidar_pts counted
from the points, plus the point files. Frames that do not come from nuScenes get
``lidar2ego = identity`` (their sensor frame is the ego frame) and
``ego2global = T_world_sensor``; points are written in the sensor frame unchanged."""

from __future__ import annotations

import json
import math
import uuid
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..model import Annotation, Box, Frame, LabelSchema, Sequence, Track, default_schema, new_token
from ..model.geometry import transform_points
from .cameras import with_cameras
from .atomic import write_bytes_atomic, write_text_atomic
from .errors import FormatError
from .lazy import Rotation
from .paths import inside, plain_name
from .ply_bin import read_bin
from .registry import LoadedSequence, SequenceReader, register_reader

# Our own fields ride along in each record under this key (the devkit ignores unknown
# keys): the model's category, number, attributes, frame meta - so a nuScenes export
# read back by sweeplabel loses nothing (KITTI -> nuScenes -> KITTI is exact).
EXTRA = "sweeplabel"
_NUS_FRAME_KEYS = ("nuscenes_sample_data_token", "nuscenes_sample_token", "nuscenes_is_key_frame",
                   "nuscenes_timestamp_us", "nuscenes_filename", "lidar2ego", "ego2global")
TABLES = ("attribute", "calibrated_sensor", "category", "ego_pose", "instance", "log", "map", "sample",
          "sample_annotation", "sample_data", "scene", "sensor", "visibility")
# unlabelled data (e.g. a test split) may lack the annotation tables
OPTIONAL_TABLES = ("attribute", "category", "instance", "map", "sample_annotation", "visibility")
VISIBILITY = [("1", "v0-40", "visibility of whole object is between 0 and 40%"),
              ("2", "v40-60", "visibility of whole object is between 40 and 60%"),
              ("3", "v60-80", "visibility of whole object is between 60 and 80%"),
              ("4", "v80-100", "visibility of whole object is between 80 and 100%")]
# short (Lyft / mmdet3d) class names -> default-schema categories
SHORT_NAMES = {
    "car": "vehicle.car", "truck": "vehicle.truck", "bus": "vehicle.bus.rigid", "trailer": "vehicle.trailer",
    "construction_vehicle": "vehicle.construction", "other_vehicle": "vehicle.construction",
    "emergency_vehicle": "vehicle.emergency.ambulance", "motorcycle": "vehicle.motorcycle",
    "bicycle": "vehicle.bicycle", "pedestrian": "human.pedestrian.adult", "animal": "animal",
    "traffic_cone": "movable_object.trafficcone", "barrier": "movable_object.barrier",
}


# -- geometry helpers -------------------------------------------------------------------------
def transform_from(translation: Iterable[float], rotation_wxyz: Iterable[float]) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3] = Rotation.from_quat(list(rotation_wxyz), scalar_first=True).as_matrix()
    T[:3, 3] = list(translation)
    return T


def quaternion_of(T_or_R: np.ndarray) -> list[float]:
    """(w, x, y, z) of a rotation, sign chosen with w >= 0."""
    q = Rotation.from_matrix(np.asarray(T_or_R)[:3, :3]).as_quat(scalar_first=True)
    return (q if q[0] >= 0 else -q).tolist()


def yaw_quaternion(yaw_rad: float) -> list[float]:
    return [math.cos(yaw_rad / 2.0), 0.0, 0.0, math.sin(yaw_rad / 2.0)]


def box_from_record(rec: dict[str, Any]) -> Box:
    """A global-frame box from a sample_annotation (size w l h, quaternion w x y z)."""
    w, l, h = rec["size"]
    R = Rotation.from_quat(rec["rotation"], scalar_first=True).as_matrix()
    return Box(rec["translation"], (l, w, h), math.atan2(R[1, 0], R[0, 0]))


# -- tables ----------------------------------------------------------------------------------------
# fields each record must have (checked when a record is used): kind per key
_RECORD_FIELDS: dict[str, dict[str, str]] = {
    "scene": {"token": "str"},
    "sample": {"token": "str", "scene_token": "str"},
    "sample_data": {"token": "str", "sample_token": "str", "calibrated_sensor_token": "str",
                    "ego_pose_token": "str", "timestamp": "number", "filename": "str"},
    "calibrated_sensor": {"token": "str", "translation": "vec3", "rotation": "quat"},
    "ego_pose": {"token": "str", "translation": "vec3", "rotation": "quat"},
    "sample_annotation": {"token": "str", "instance_token": "str", "sample_token": "str",
                          "translation": "vec3", "size": "size", "rotation": "quat"},
    "instance": {"token": "str", "category_token": "str"},
    "category": {"token": "str", "name": "str"},
}
_KIND_TEXT = {"str": "a string", "number": "a finite number", "vec3": "a list of 3 finite numbers",
              "size": "a list of 3 positive numbers", "quat": "a unit quaternion [w, x, y, z]",
              "dict": "an object", "list": "a list"}


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _kind_ok(kind: str, v: Any) -> bool:
    if kind == "str":
        return isinstance(v, str)
    if kind == "number":
        return _finite(v)
    if kind in ("vec3", "size"):
        return (isinstance(v, list) and len(v) == 3 and all(_finite(x) for x in v)
                and (kind == "vec3" or all(x > 0 for x in v)))
    if kind == "quat":
        return (isinstance(v, list) and len(v) == 4 and all(_finite(x) for x in v)
                and abs(math.sqrt(sum(x * x for x in v)) - 1.0) < 1e-2)
    return isinstance(v, dict if kind == "dict" else list)


class Tables:
    """The JSON tables of one version folder, indexed by token; errors at the line of the
    record (and key) in its table file."""

    def __init__(self, folder: Path) -> None:
        from .sequence_folder import JsonDoc

        self.folder = folder
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.by_token: dict[str, dict[str, dict[str, Any]]] = {}
        self.docs: dict[str, JsonDoc] = {}
        self._index: dict[str, dict[int, int]] = {}
        self._checked: set[int] = set()
        for name in TABLES:
            path = folder / f"{name}.json"
            if not path.is_file():
                if name in OPTIONAL_TABLES:
                    self.rows[name], self.by_token[name], self._index[name] = [], {}, {}
                    continue
                raise FormatError(path, f"missing table {name}.json (expected the nuScenes table set)")
            doc = JsonDoc(path, top=list)
            rows = doc.root
            for i, r in enumerate(rows):
                if not isinstance(r, dict) or not isinstance(r.get("token"), str):
                    raise doc.fail((i,), f"record {i}: expected an object with a string 'token'")
            self.docs[name] = doc
            self.rows[name] = rows
            self.by_token[name] = {r["token"]: r for r in rows}
            self._index[name] = {id(r): i for i, r in enumerate(rows)}

    def fail(self, table: str, rec: dict[str, Any], message: str, key: str | None = None) -> FormatError:
        """A FormatError at the line of ``rec`` (its ``key``) in ``table``.json."""
        i = self._index.get(table, {}).get(id(rec))
        if i is None or table not in self.docs:
            return FormatError(self.folder / f"{table}.json", message, line=1)
        return self.docs[table].fail((i,), f"{table} record {rec.get('token')}: {message}", key=key)

    def check(self, table: str, rec: dict[str, Any], extra: dict[str, str] | None = None) -> dict[str, Any]:
        """``rec`` with the fields the reader needs checked (once per record)."""
        if id(rec) in self._checked and not extra:
            return rec
        for key, kind in {**_RECORD_FIELDS.get(table, {}), **(extra or {})}.items():
            if key not in rec or not _kind_ok(kind, rec[key]):
                got = f", got {json.dumps(rec[key])[:40]}" if key in rec else " (missing)"
                raise self.fail(table, rec, f"{key}: expected {_KIND_TEXT[kind]}{got}", key=key)
        self._checked.add(id(rec))
        return rec

    def get(self, table: str, token: str, referrer: str, field: str, owner: str,
            referrer_rec: dict[str, Any] | None = None) -> dict[str, Any]:
        """The record ``token`` of ``table`` (checked); a dangling token is a FormatError
        that names the referring file and the line where the token stands."""
        rec = self.by_token[table].get(token) if isinstance(token, str) else None
        if rec is None:
            message = f"{field} {token!r} not found in {table}.json"
            if referrer_rec is not None:
                raise self.fail(referrer, referrer_rec, message, key=field)
            path = self.folder / f"{referrer}.json"
            raise FormatError(path, f"{referrer} {owner}: {message}", line=_line_of(path, str(token)))
        return self.check(table, rec)


def _line_of(path: Path, text: str) -> int:
    try:
        content = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 1
    pos = content.find(text)
    return content.count("\n", 0, pos) + 1 if pos >= 0 else 1


def find_version_folder(root: Path) -> Path | None:
    if (root / "sample_data.json").is_file():
        return root
    found = sorted(p.parent for p in root.glob("*/sample_data.json"))
    return found[0] if found else None


def _category(name: str, schema: LabelSchema) -> str:
    cat = schema.category_for_nuscenes(name)
    if cat is not None:
        return cat.name
    short = SHORT_NAMES.get(name)
    if short and schema.has_category(short):
        return short
    return "misc" if schema.has_category("misc") else schema.default_category


def _str_in(value: Any, container: Any) -> bool:
    return isinstance(value, str) and value in container


def _lidar_calibrations(t: Tables, channel: str) -> set[str]:
    sensors = {s["token"] for s in t.rows["sensor"] if s.get("channel") == channel}
    return {c["token"] for c in t.rows["calibrated_sensor"]
            if isinstance(c.get("sensor_token"), str) and c["sensor_token"] in sensors}


def read_nuscenes(path: Path | str, scene: str | None = None, channel: str = "LIDAR_TOP",
                  schema: LabelSchema | None = None) -> LoadedSequence:
    """One scene (the first, or the one named/tokened ``scene``) of a nuScenes dataroot."""
    root = Path(path)
    folder = find_version_folder(root)
    if folder is None:
        raise FormatError(root, "expected a dataroot with <version>/sample_data.json")
    dataroot = folder.parent
    schema = schema or default_schema()
    t = Tables(folder)
    warnings: list[str] = []
    scenes = t.rows["scene"]
    if not scenes:
        raise FormatError(folder / "scene.json", "no scene records")
    scene_rec = next((s for s in scenes if scene in (s["token"], s.get("name"))), None) if scene else scenes[0]
    if scene_rec is None:
        raise FormatError(folder / "scene.json", f"no scene named {scene!r}", line=1)
    t.check("scene", scene_rec)
    samples = {s["token"]: s for s in t.rows["sample"] if s.get("scene_token") == scene_rec["token"]}
    if not all(isinstance(s.get("name", ""), str) for s in scenes):
        bad = next(s for s in scenes if not isinstance(s.get("name", ""), str))
        raise t.fail("scene", bad, "name: expected a string", key="name")
    calibs = _lidar_calibrations(t, channel)
    records = [t.check("sample_data", sd) for sd in t.rows["sample_data"]
               if _str_in(sd.get("calibrated_sensor_token"), calibs) and _str_in(sd.get("sample_token"), samples)]
    records.sort(key=lambda sd: sd["timestamp"])
    if not records:
        raise t.fail("scene", scene_rec, f"no {channel} sample_data in this scene (sample_data.json has none "
                     f"of its samples with a {channel} calibrated_sensor)")
    frames: list[Frame] = []
    key_frame_of_sample: dict[str, int] = {}
    missing = 0
    for index, sd in enumerate(records):
        owner = f"record {sd['token']}"
        cs = t.get("calibrated_sensor", sd["calibrated_sensor_token"], "sample_data", "calibrated_sensor_token", owner,
                   sd)
        ep = t.get("ego_pose", sd["ego_pose_token"], "sample_data", "ego_pose_token", owner, sd)
        t.check("sample_data", sd, {EXTRA: "dict"} if EXTRA in sd else None)
        T_ego_sensor = transform_from(cs["translation"], cs["rotation"])
        T_world_ego = transform_from(ep["translation"], ep["rotation"])
        file = inside(dataroot, sd["filename"], f"sample_data {sd['token']}: filename", folder / "sample_data.json")
        loader = None
        if file.is_file():
            loader = (lambda f=file: read_bin(f, 5))
        else:
            missing += 1
        frames.append(Frame(index, sd["timestamp"] / 1e6, T_world_ego @ T_ego_sensor, loader=loader,
                            source_path=file, meta={
                                "nuscenes_sample_data_token": sd["token"], "nuscenes_sample_token": sd["sample_token"],
                                "nuscenes_is_key_frame": bool(sd.get("is_key_frame")),
                                "nuscenes_timestamp_us": sd["timestamp"], "nuscenes_filename": sd["filename"],
                                "lidar2ego": T_ego_sensor.tolist(), "ego2global": T_world_ego.tolist(),
                                "point_fields": ["x", "y", "z", "intensity", "ring"]}))
        frames[-1].meta = {**sd.get(EXTRA, {}), **frames[-1].meta}
        if sd.get("is_key_frame"):
            key_frame_of_sample[sd["sample_token"]] = index
    if missing:
        warnings.append(f"{missing} of {len(records)} point files are not in {dataroot}; frames without points")
    tracks, anns = _annotations(t, key_frame_of_sample, schema)
    log = t.by_token["log"].get(scene_rec.get("log_token"), {}) if isinstance(scene_rec.get("log_token"), str) else {}
    if not isinstance(scene_rec.get(EXTRA, {}), dict):
        raise t.fail("scene", scene_rec, f"{EXTRA}: expected an object", key=EXTRA)
    seq = Sequence(scene_rec.get("name", "scene"), frames, root=dataroot, format="nuscenes", meta={
        "nuscenes_version": folder.name, "nuscenes_scene_token": scene_rec["token"],
        "nuscenes_scene_description": scene_rec.get("description", ""), "nuscenes_log": dict(log),
        "nuscenes_channel": channel})
    seq.meta = {**scene_rec.get(EXTRA, {}), **seq.meta}
    return with_cameras(LoadedSequence(seq, tracks, anns, warnings), t)  # CAM_* sample_data


def _annotations(t: Tables, frame_of_sample: dict[str, int], schema: LabelSchema
                 ) -> tuple[list[Track], list[Annotation]]:
    tracks: dict[str, Track] = {}
    anns: list[Annotation] = []
    for rec in t.rows["sample_annotation"]:
        sample_token = rec.get("sample_token")
        if isinstance(sample_token, str) and sample_token not in frame_of_sample and sample_token in t.by_token["sample"]:
            continue  # another scene
        t.check("sample_annotation", rec)
        try:
            _annotation(t, rec, frame_of_sample, schema, tracks, anns)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # fields of sweeplabel's extras
            raise t.fail("sample_annotation", rec, f"unusable record ({type(exc).__name__}: {exc})") from None
    return list(tracks.values()), anns


def _annotation(t: Tables, rec: dict[str, Any], frame_of_sample: dict[str, int], schema: LabelSchema,
                tracks: dict[str, Track], anns: list[Annotation]) -> None:
    owner = f"record {rec.get('token')}"
    inst = t.get("instance", rec["instance_token"], "sample_annotation", "instance_token", owner, rec)
    if rec["sample_token"] not in t.by_token["sample"]:
        t.get("sample", rec["sample_token"], "sample_annotation", "sample_token", owner, rec)
    frame_index = frame_of_sample.get(rec["sample_token"])
    if frame_index is None:
        return  # another scene
    track = tracks.get(inst["token"])
    if track is None:
        cat = t.get("category", inst["category_token"], "instance", "category_token", f"record {inst['token']}",
                    inst)
        extra = inst.get(EXTRA, {})
        category = extra.get("category")
        if not (category and schema.has_category(category)):
            category = _category(cat["name"], schema)
        track = Track(new_token(), category, int(extra.get("number", len(tracks))),
                      {**extra.get("attributes", {}), "nuscenes_category": cat["name"],
                       "nuscenes_instance_token": inst["token"]})
        tracks[inst["token"]] = track
    attr_names = [str(t.by_token["attribute"][a].get("name", "")) for a in rec.get("attribute_tokens", [])
                  if isinstance(a, str) and a in t.by_token["attribute"]]
    extra = rec.get(EXTRA, {})
    anns.append(Annotation(new_token(), track.token, frame_index, box_from_record(rec), {
        **extra.get("attributes", {}),
        "nuscenes_token": rec["token"], "nuscenes_attributes": attr_names,
        "nuscenes_visibility_token": rec.get("visibility_token", ""),
        "nuscenes_num_lidar_pts": rec.get("num_lidar_pts", 0),
        "nuscenes_num_radar_pts": rec.get("num_radar_pts", 0)},
        source=extra.get("source", "manual"), review_state=extra.get("review_state", "unreviewed")))


def _is_nuscenes(path: Path) -> bool:
    return path.is_dir() and find_version_folder(path) is not None


# -- the mmdet3d demo sweep (a .pcd.bin with boxes from mmdet3d's info file) --------------------
def read_mmdet3d_demo(path: Path | str, schema: LabelSchema | None = None) -> LoadedSequence:
    """The mmdet3d nuScenes demo: ``samples/LIDAR_TOP/*.pcd.bin`` plus ``derived_gt_*.json``
    (boxes ``[x, y, z, l, w, h, yaw]`` at the gravity centre in the LIDAR_TOP frame)."""
    root = Path(path)
    schema = schema or default_schema()
    gt_files = sorted(root.glob("derived_gt_*.json"))
    if not gt_files:
        raise FormatError(root, "expected a derived_gt_<sample>.json next to samples/")
    frames, tracks, anns = [], [], []
    for index, gt_path in enumerate(gt_files):
        from .sequence_folder import JsonDoc

        doc = JsonDoc(gt_path)
        gt = doc.root
        try:
            _mmdet3d_frame(root, index, gt_path, doc, schema, frames, tracks, anns)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise FormatError(gt_path, f"unusable mmdet3d info ({type(exc).__name__}: {str(exc)[:80]})",
                              line=1) from None
    seq = Sequence(root.name, frames, root=root, format="nuscenes-mmdet3d")
    return LoadedSequence(seq, tracks, anns)


def _mmdet3d_frame(root: Path, index: int, gt_path: Path, doc, schema: LabelSchema, frames: list, tracks: list,
                   anns: list) -> None:
    """One derived_gt file: its frame and boxes (every box finite with positive sizes)."""
    gt = doc.root
    for key in ("lidar2ego", "ego2global", "lidar_path"):
        if key not in gt:
            raise doc.fail((), f"missing key {key!r}")
    poses = []
    for key in ("lidar2ego", "ego2global"):
        T = np.array(gt[key], dtype=np.float64)
        if T.shape != (4, 4) or not np.isfinite(T).all():
            raise doc.fail((), f"{key}: expected a finite 4x4 matrix", key=key)
        poses.append(T)
    T_ego_sensor, T_world_ego = poses
    if not isinstance(gt["lidar_path"], str):
        raise doc.fail((), "lidar_path: expected a string", key="lidar_path")
    lidar_file = root / gt["lidar_path"]
    T = T_world_ego @ T_ego_sensor
    fields = gt.get("num_pts_feats", 5)
    if fields not in (4, 5):
        raise doc.fail((), f"num_pts_feats: expected 4 or 5, got {fields!r}", key="num_pts_feats")
    if not lidar_file.is_file():
        raise doc.fail((), f"lidar_path {gt['lidar_path']!r} does not exist", key="lidar_path")
    if lidar_file.stat().st_size % (4 * fields):
        read_bin(lidar_file, fields)
    timestamp_s = gt.get("timestamp_s", index)
    if not (isinstance(timestamp_s, (int, float)) and math.isfinite(timestamp_s)):
        raise doc.fail((), "timestamp_s: expected a finite number", key="timestamp_s")
    frames.append(Frame(index, float(timestamp_s), T,
                        loader=lambda f=lidar_file, n=fields: read_bin(f, n), source_path=lidar_file,
                        meta={"nuscenes_sample_token": gt.get("sample_token"), "nuscenes_is_key_frame": True,
                              "nuscenes_timestamp_us": int(round(float(timestamp_s) * 1e6)),
                              "lidar2ego": T_ego_sensor.tolist(), "ego2global": T_world_ego.tolist(),
                              "point_fields": ["x", "y", "z", "intensity", "ring"][:fields]}))
    for k, inst in enumerate(gt.get("instances", [])):
        at = ("instances", k)
        box = inst.get("bbox_3d") if isinstance(inst, dict) else None
        if not (isinstance(box, list) and len(box) == 7 and all(_finite(v) for v in box) and min(box[3:6]) > 0):
            raise doc.fail(at, "bbox_3d: expected [x, y, z, l, w, h, yaw], finite, with positive l w h",
                           key="bbox_3d")
        x, y, z, l, w, h, yaw = box
        box_sensor = Box((x, y, z), (l, w, h), yaw)
        name = inst.get("label") or "misc"
        track = Track(new_token(), _category(str(name), schema), len(tracks), {"nuscenes_category": name})
        tracks.append(track)
        anns.append(Annotation(new_token(), track.token, index, _box_to_world(box_sensor, T), {
            "nuscenes_num_lidar_pts": inst.get("num_lidar_pts", 0), "mmdet3d_index": k,
            "velocity_mps": list(inst.get("velocity", [0.0, 0.0]))}))


def _box_to_world(box_sensor: Box, T_world_sensor: np.ndarray) -> Box:
    """Sensor box -> world, heading taken as the world yaw of the rotated heading vector."""
    center = transform_points(T_world_sensor, box_sensor.center_m[None])[0]
    heading = T_world_sensor[:3, :3] @ box_sensor.heading_vector()
    return Box(center, box_sensor.size_lwh_m, math.atan2(heading[1], heading[0]))


def _is_mmdet3d_demo(path: Path) -> bool:
    return path.is_dir() and any(path.glob("derived_gt_*.json")) and (path / "samples").is_dir()


# -- writer -------------------------------------------------------------------------------------------
def _stable_token(namespace: str, key: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"sweeplabel:{namespace}:{key}").hex


def _points_in_box(points_world: np.ndarray, box: Box) -> int:
    radius = float(np.linalg.norm(box.size_lwh_m)) / 2.0
    near = np.all(np.abs(points_world - box.center_m) <= radius, axis=1)
    return int(box.contains(points_world[near]).sum()) if near.any() else 0


def _frame_poses(frame: Frame) -> tuple[np.ndarray, np.ndarray]:
    """(lidar2ego, ego2global) of a frame; identity lidar2ego when not from nuScenes."""
    if "lidar2ego" in frame.meta and "ego2global" in frame.meta:
        return np.array(frame.meta["lidar2ego"]), np.array(frame.meta["ego2global"])
    return np.eye(4), frame.T_world_sensor


def nuscenes_category_for_track(track: Track, schema: LabelSchema) -> str:
    imported = track.attributes.get("nuscenes_category")
    if imported and _category(imported, schema) == track.category:
        return imported
    return schema.category(track.category).nuscenes_category if schema.has_category(track.category) else track.category


def write_nuscenes(sequence: Sequence, tracks: Iterable[Track], annotations: Iterable[Annotation],
                   out_dir: Path | str, version: str | None = None, schema: LabelSchema | None = None,
                   progress=None) -> dict[str, int]:
    """Write a nuScenes dataroot: ``out_dir/<version>/*.json`` and the lidar files.

    Only frames that are keyframes (all frames for non-nuScenes data) become samples;
    annotations on other frames are counted as ``skipped``."""
    out_dir = Path(out_dir)
    schema = schema or default_schema()
    version = plain_name(version or sequence.meta.get("nuscenes_version") or "v1.0-sweeplabel",
                         "the nuScenes version")
    tracks = {t.token: t for t in tracks}
    annotations = list(annotations)
    seq_key = str(sequence.meta.get("nuscenes_scene_token") or sequence.name)
    tok = lambda kind, key: _stable_token(f"{seq_key}:{kind}", str(key))  # noqa: E731
    log_meta = dict(sequence.meta.get("nuscenes_log") or {})
    log_token = log_meta.get("token") or tok("log", 0)
    log = [{"token": log_token, "logfile": log_meta.get("logfile", sequence.name),
            "vehicle": log_meta.get("vehicle", ""), "date_captured": log_meta.get("date_captured", ""),
            "location": log_meta.get("location", "")}]
    sensor_token = tok("sensor", "LIDAR_TOP")
    sensor = [{"token": sensor_token, "channel": "LIDAR_TOP", "modality": "lidar"}]
    calibrated: dict[bytes, dict[str, Any]] = {}
    ego_poses, sample_data, samples = [], [], []
    key_of_frame: dict[int, bool] = {}
    sample_of_frame: dict[int, str] = {}
    is_nus = any("nuscenes_is_key_frame" in f.meta for f in sequence.frames)
    for frame in sequence.frames:
        key_of_frame[frame.index] = bool(frame.meta.get("nuscenes_is_key_frame", True)) if is_nus else True
    last_sample = None
    key_frames = [f for f in sequence.frames if key_of_frame[f.index]]
    for frame in key_frames:
        sample_of_frame[frame.index] = frame.meta.get("nuscenes_sample_token") or tok("sample", frame.index)
    for frame in sequence.frames:  # sweeps belong to the previous keyframe's sample (or the next)
        if key_of_frame[frame.index]:
            last_sample = sample_of_frame[frame.index]
        elif last_sample is not None:
            sample_of_frame[frame.index] = last_sample
    first_sample = sample_of_frame[key_frames[0].index] if key_frames else None
    for frame in sequence.frames:
        sample_of_frame.setdefault(frame.index, first_sample)
    points_cache: dict[int, np.ndarray] = {}
    for n, frame in enumerate(sequence.frames):
        lidar2ego, ego2global = _frame_poses(frame)
        key = np.round(lidar2ego, 12).tobytes()
        if key not in calibrated:
            calibrated[key] = {"token": tok("calibrated_sensor", len(calibrated)), "sensor_token": sensor_token,
                               "translation": lidar2ego[:3, 3].tolist(), "rotation": quaternion_of(lidar2ego),
                               "camera_intrinsic": []}
        ts = int(frame.meta.get("nuscenes_timestamp_us", round(frame.timestamp_s * 1e6)))
        ep_token = tok("ego_pose", frame.index)
        ego_poses.append({"token": ep_token, "timestamp": ts, "translation": ego2global[:3, 3].tolist(),
                          "rotation": quaternion_of(ego2global)})
        folder = "samples" if key_of_frame[frame.index] else "sweeps"
        name = plain_name(Path(str(frame.meta["nuscenes_filename"])).name if "nuscenes_filename" in frame.meta
                          else f"{sequence.name}__LIDAR_TOP__{ts}.pcd.bin", f"frame {frame.index + 1}: lidar file name")
        filename = f"{folder}/LIDAR_TOP/{name}"
        pts = frame.load_points()
        points_cache[frame.index] = pts
        write_bytes_atomic(out_dir / filename, _as_pcd_bin(pts))
        sample_data.append({"token": frame.meta.get("nuscenes_sample_data_token") or tok("sample_data", frame.index),
                            "sample_token": sample_of_frame[frame.index], "ego_pose_token": ep_token,
                            "calibrated_sensor_token": calibrated[key]["token"], "timestamp": ts,
                            "fileformat": "pcd", "is_key_frame": key_of_frame[frame.index], "height": 0, "width": 0,
                            "filename": filename, "prev": "", "next": "",
                            EXTRA: _jsonable({k: v for k, v in frame.meta.items() if k not in _NUS_FRAME_KEYS})})
        if key_of_frame[frame.index]:
            samples.append({"token": sample_of_frame[frame.index], "timestamp": ts, "scene_token": "",
                            "prev": "", "next": ""})
        if progress is not None:
            progress(n + 1, len(sequence.frames))
    _chain(sample_data)
    _chain(samples)
    scene_token = sequence.meta.get("nuscenes_scene_token") or tok("scene", 0)
    for s in samples:
        s["scene_token"] = scene_token
    scene = [{"token": scene_token, "log_token": log_token, "nbr_samples": len(samples),
              "first_sample_token": samples[0]["token"] if samples else "",
              "last_sample_token": samples[-1]["token"] if samples else "",
              "name": sequence.name, "description": sequence.meta.get("nuscenes_scene_description", ""),
              EXTRA: _jsonable({k: v for k, v in sequence.meta.items() if not k.startswith("nuscenes")})}]
    tables = _annotation_tables(sequence, tracks, annotations, key_of_frame, sample_of_frame, points_cache,
                                schema, tok)
    tables.update({"log": log, "sensor": sensor, "calibrated_sensor": list(calibrated.values()),
                   "ego_pose": ego_poses, "sample_data": sample_data, "sample": samples, "scene": scene,
                   "map": [{"token": tok("map", 0), "log_tokens": [log_token], "category": "semantic_prior",
                            "filename": ""}],
                   "visibility": [{"token": t, "level": lv, "description": d} for t, lv, d in VISIBILITY]})
    for name in TABLES:
        write_text_atomic(out_dir / version / f"{name}.json", json.dumps(tables[name], indent=0))
    written = len(tables["sample_annotation"])
    return {"frames": len(sequence.frames), "tracks": len(tables["instance"]), "boxes": written,
            "skipped": tables.pop("_skipped")}


def _as_pcd_bin(points: np.ndarray) -> bytes:
    """(N, 5) float32 x y z intensity ring; missing columns are 0."""
    out = np.zeros((len(points), 5), dtype="<f4")
    k = min(points.shape[1], 5)
    out[:, :k] = points[:, :k]
    return out.tobytes()


def _jsonable(value: Any) -> Any:
    """Plain JSON data (tuples -> lists, numpy -> Python)."""
    return json.loads(json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o)))


def _chain(records: list[dict[str, Any]]) -> None:
    for a, b in zip(records, records[1:]):
        a["next"], b["prev"] = b["token"], a["token"]


def _annotation_tables(sequence, tracks, annotations, key_of_frame, sample_of_frame, points_cache, schema, tok):
    categories: dict[str, dict[str, Any]] = {}
    attributes: dict[str, dict[str, Any]] = {}
    by_track: dict[str, list[Annotation]] = {}
    skipped = 0
    for ann in annotations:
        if not key_of_frame.get(ann.frame_index, False):
            skipped += 1
            continue
        by_track.setdefault(ann.track_token, []).append(ann)
    instances, sample_annotations = [], []
    used_tokens: set[str] = set()  # an imported token is used once; a copy gets its own
    for track_token in sorted(by_track, key=lambda k: tracks[k].number):
        track = tracks[track_token]
        anns = sorted(by_track[track_token], key=lambda a: a.frame_index)
        cat_name = nuscenes_category_for_track(track, schema)
        cat = categories.setdefault(cat_name, {"token": tok("category", cat_name), "name": cat_name,
                                               "description": ""})
        inst_token = track.attributes.get("nuscenes_instance_token") or track.token
        records = []
        for ann in anns:
            frame = sequence.frames[ann.frame_index]
            attr_tokens = []
            for attr_name in _attribute_names(ann):
                attr = attributes.setdefault(attr_name, {"token": tok("attribute", attr_name), "name": attr_name,
                                                         "description": ""})
                attr_tokens.append(attr["token"])
            pts = points_cache.get(ann.frame_index)
            n_pts = _points_in_box(transform_points(frame.T_world_sensor, pts), ann.box) if pts is not None and len(pts) else 0
            l, w, h = ann.box.size_lwh_m.tolist()
            imported_token = ann.attributes.get("nuscenes_token")
            token = imported_token if imported_token and imported_token not in used_tokens else ann.token
            used_tokens.add(token)
            records.append({"token": token,
                            "sample_token": sample_of_frame[ann.frame_index], "instance_token": inst_token,
                            "visibility_token": ann.attributes.get("nuscenes_visibility_token") or "",
                            "attribute_tokens": attr_tokens, "translation": ann.box.center_m.tolist(),
                            "size": [w, l, h], "rotation": yaw_quaternion(ann.box.yaw_rad), "prev": "", "next": "",
                            "num_lidar_pts": n_pts, "num_radar_pts": int(ann.attributes.get("nuscenes_num_radar_pts", 0)),
                            EXTRA: _jsonable({"source": ann.source.value, "review_state": ann.review_state.value,
                                              "attributes": {k: v for k, v in ann.attributes.items()
                                                             if not k.startswith("nuscenes")}})})
        _chain(records)
        sample_annotations += records
        instances.append({"token": inst_token, "category_token": cat["token"], "nbr_annotations": len(records),
                          "first_annotation_token": records[0]["token"], "last_annotation_token": records[-1]["token"],
                          EXTRA: _jsonable({"category": track.category, "number": track.number,
                                            "attributes": {k: v for k, v in track.attributes.items()
                                                           if not k.startswith("nuscenes")}})})
    return {"category": list(categories.values()), "attribute": list(attributes.values()), "instance": instances,
            "sample_annotation": sample_annotations, "_skipped": skipped}


def _attribute_names(ann: Annotation) -> list[str]:
    """nuScenes attribute names: imported ones, else schema-group values such as
    ``vehicle.parked`` (values containing a dot are nuScenes attribute names)."""
    if "nuscenes_attributes" in ann.attributes:
        return list(ann.attributes["nuscenes_attributes"])
    return [v for k, v in ann.attributes.items() if isinstance(v, str) and "." in v and not k.startswith("kitti")]


register_reader(SequenceReader("nuscenes", _is_nuscenes, read_nuscenes, priority=15))
register_reader(SequenceReader("nuscenes-mmdet3d", _is_mmdet3d_demo, read_mmdet3d_demo, priority=16))
