"""Argoverse 2 sensor dataset: one log ``<split>/<log_id>/`` of Feather tables (pyarrow).

* ``sensors/lidar/<timestamp_ns>.feather``: a sweep (``x y z`` in the ego frame, ``intensity``
  uint8, ...). Only the sweeps on disk become frames, in timestamp order.
* ``city_SE3_egovehicle.feather``: ego -> city pose per timestamp; the city frame is the world.
* ``calibration/egovehicle_SE3_sensor.feather`` (optional): the ``up_lidar`` row gives the
  LiDAR's pose in the ego frame. Without it ``DEFAULT_EGO_SE3_LIDAR`` is used: the roof
  LiDAR of the AV2 fleet, 1.35 m ahead of the rear axle and 1.64 m above the ground.
* ``annotations.feather``: one row per box (ego frame, geometric centre, ``qw qx qy qz``
  scalar first, ``length_m width_m height_m``); rows of the same ``track_uuid`` form one
  track; categories map into the schema through its ``av2_categories``.

The kernels expect sensor-centred points (the ground at about minus the sensor height), so
each frame delivers its points in the LiDAR frame, ``T_world_sensor = city_SE3_ego @
ego_SE3_lidar``; the intensity becomes the 4th column on a 0-1 scale. Boxes are stored in
the world (city) frame. Bad tables (missing columns, wrong types, non-finite rows, a sweep
without a pose) raise one ``FormatError`` naming the file and the column or row."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

import numpy as np

from ..model import Annotation, Box, Frame, LabelSchema, Sequence, Track, default_schema, new_token
from ..model.geometry import invert_transform, make_transform, yaw_of_rotation
from .errors import FormatError
from .lazy import LazyModule, Rotation
from .registry import LoadedSequence, SequenceReader, register_reader

pa = LazyModule("pyarrow")  # imported when a log is read, not when a path is sniffed
feather = LazyModule("pyarrow.feather")
ipc = LazyModule("pyarrow.ipc")

LIDAR_DIR = Path("sensors") / "lidar"
POSES = "city_SE3_egovehicle.feather"
ANNOTATIONS = "annotations.feather"
CALIBRATION = Path("calibration") / "egovehicle_SE3_sensor.feather"
LIDAR_NAME = "up_lidar"
DEFAULT_EGO_SE3_LIDAR = make_transform(np.eye(3), np.array([1.35, 0.0, 1.64]))

POSE_COLUMNS = {"qw": "float", "qx": "float", "qy": "float", "qz": "float",
                "tx_m": "float", "ty_m": "float", "tz_m": "float"}
SWEEP_COLUMNS = {"x": "float", "y": "float", "z": "float", "intensity": "int"}
ANNOTATION_COLUMNS = {"timestamp_ns": "int", "track_uuid": "string", "category": "string",
                      "length_m": "float", "width_m": "float", "height_m": "float", **POSE_COLUMNS}

_KINDS = {"float": ("is_floating", "is_integer"), "int": ("is_integer",),
          "string": ("is_string", "is_large_string"), "bool": ("is_boolean",)}  # pyarrow.types tests


# -- tables ------------------------------------------------------------------------------
def check_schema(path: Path, schema: pa.Schema, columns: Mapping[str, str]) -> None:
    """One FormatError for the first missing or mistyped column."""
    for name, kind in columns.items():
        index = schema.get_field_index(name)
        if index < 0:
            raise FormatError(path, f"missing column {name!r} (expected columns {', '.join(columns)})")
        typ = schema.field(index).type
        if not any(getattr(pa.types, test)(typ) for test in _KINDS[kind]):
            raise FormatError(path, f"column {name!r}: expected {kind} values, got {typ}")


def read_table(path: Path, columns: Mapping[str, str]) -> pa.Table:
    """A Feather table with the given columns checked (other columns are ignored)."""
    try:
        table = feather.read_table(path, columns=None)
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        raise FormatError(path, f"not an Arrow Feather table ({exc})") from None
    check_schema(path, table.schema, columns)
    return table


def _floats(path: Path, table: pa.Table, names: list[str]) -> np.ndarray:
    """(N, len(names)) float64; a null or non-finite value names its row and column."""
    out = np.empty((table.num_rows, len(names)))
    for k, name in enumerate(names):
        col = table.column(name)
        if col.null_count:
            row = int(np.nonzero(np.asarray(col.is_null()))[0][0])
            raise FormatError(path, f"row {row}: column {name!r} is empty (null)")
        out[:, k] = col.to_numpy().astype(np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        row, k = (int(v) for v in np.argwhere(bad)[0])
        raise FormatError(path, f"row {row}: column {names[k]!r} is {out[row, k]}, expected a finite number")
    return out


def _transforms(path: Path, values: np.ndarray) -> np.ndarray:
    """(N, 4, 4) from rows ``qw qx qy qz tx ty tz``; a zero quaternion names its row."""
    norms = np.linalg.norm(values[:, :4], axis=1)
    if len(norms) and norms.min() < 1e-9:
        raise FormatError(path, f"row {int(np.argmin(norms))}: quaternion qw qx qy qz is zero")
    T = np.tile(np.eye(4), (len(values), 1, 1))
    if len(values):
        T[:, :3, :3] = Rotation.from_quat(values[:, :4], scalar_first=True).as_matrix()
        T[:, :3, 3] = values[:, 4:7]
    return T


def read_poses(path: Path) -> dict[int, np.ndarray]:
    """``city_SE3_egovehicle`` per ``timestamp_ns``."""
    table = read_table(path, {"timestamp_ns": "int", **POSE_COLUMNS})
    T = _transforms(path, _floats(path, table, list(POSE_COLUMNS)))
    return dict(zip(table.column("timestamp_ns").to_numpy().tolist(), T))


def read_ego_se3_lidar(path: Path) -> np.ndarray:
    """The ``up_lidar`` pose in the ego frame from ``egovehicle_SE3_sensor.feather``."""
    table = read_table(path, {"sensor_name": "string", **POSE_COLUMNS})
    names = table.column("sensor_name").to_pylist()
    if LIDAR_NAME not in names:
        raise FormatError(path, f"no row with sensor_name {LIDAR_NAME!r} (found {', '.join(map(str, names))})")
    row = names.index(LIDAR_NAME)
    return _transforms(path, _floats(path, table.slice(row, 1), list(POSE_COLUMNS)))[0]


def read_sweep_ego(path: Path) -> np.ndarray:
    """(N, 4) float64 ``x y z intensity/255`` in the ego frame."""
    table = read_table(path, SWEEP_COLUMNS)
    xyz = _floats(path, table, ["x", "y", "z"])
    intensity = table.column("intensity").to_numpy(zero_copy_only=False).astype(np.float64) / 255.0
    return np.c_[xyz, intensity]


def _sweep_loader(path: Path, T_lidar_ego: np.ndarray):
    def load() -> np.ndarray:
        pts = read_sweep_ego(path)
        out = np.empty((len(pts), 4), dtype=np.float32)
        out[:, :3] = pts[:, :3] @ T_lidar_ego[:3, :3].T + T_lidar_ego[:3, 3]
        out[:, 3] = pts[:, 3]
        return out
    return load


# -- layout --------------------------------------------------------------------------------
def _is_log(path: Path) -> bool:
    return (path / LIDAR_DIR).is_dir() and (path / POSES).is_file()


def find_logs(path: Path) -> list[Path]:
    """The log folders at ``path``: the log itself, a split, or a dataset root."""
    if _is_log(path):
        return [path]
    if not path.is_dir():
        return []
    logs = sorted(p for p in path.iterdir() if p.is_dir() and _is_log(p))
    if logs:
        return logs
    return sorted(q for p in path.iterdir() if p.is_dir() for q in p.iterdir() if q.is_dir() and _is_log(q))


def _sniff(path: Path) -> bool:
    return bool(find_logs(path))


def _sweeps(log: Path) -> list[tuple[int, Path]]:
    out = []
    for p in (log / LIDAR_DIR).glob("*.feather"):
        if not p.stem.isdigit():
            raise FormatError(p, "expected a sweep named <timestamp_ns>.feather")
        try:
            check_schema(p, ipc.open_file(p).schema, SWEEP_COLUMNS)
        except (pa.ArrowInvalid, OSError) as exc:
            raise FormatError(p, f"not an Arrow Feather table ({exc})") from None
        out.append((int(p.stem), p))
    if not out:
        raise FormatError(log / LIDAR_DIR, "empty folder: expected <timestamp_ns>.feather sweeps")
    return sorted(out)


# -- annotations -----------------------------------------------------------------------------
def _category(av2: str, schema: LabelSchema, unknown: set[str]) -> str:
    cat = schema.category_for_av2(av2)
    if cat is not None:
        return cat.name
    unknown.add(av2)
    return "misc" if schema.has_category("misc") else schema.default_category


def ego_box_to_world(box_ego: Box, T_world_ego: np.ndarray) -> Box:
    """An ego-frame label box in the world (city) frame, upright there.

    The ego is tilted against the city frame (2.6 degrees in the shared log), so a yaw
    does not carry over exactly; the world yaw is chosen so that ``Box.transformed`` brings
    the box back to the label's own yaw in the ego (and LiDAR) frame, where AV2 counted its
    ``num_interior_pts``."""
    centre = T_world_ego[:3, :3] @ box_ego.center_m + T_world_ego[:3, 3]
    return Box(centre, box_ego.size_lwh_m, box_ego.yaw_rad - yaw_of_rotation(T_world_ego[:3, :3].T))


def read_annotations(path: Path, frames_by_ns: Mapping[int, Frame], T_world_ego: Mapping[int, np.ndarray],
                     schema: LabelSchema) -> tuple[list[Track], list[Annotation], list[str]]:
    """Tracks (by ``track_uuid``) and boxes of the rows whose sweep is on disk."""
    table = read_table(path, ANNOTATION_COLUMNS)
    stamps = table.column("timestamp_ns").to_numpy()
    keep = np.isin(stamps, np.fromiter(frames_by_ns, dtype=np.int64))
    rows = np.nonzero(keep)[0]
    table = table.take(pa.array(rows, type=pa.int64()))
    names = ["tx_m", "ty_m", "tz_m", "length_m", "width_m", "height_m", "qw", "qx", "qy", "qz"]
    values = _floats(path, table, names)
    if len(values) and values[:, 3:6].min() < 0:
        k = int(np.argwhere(values[:, 3:6] < 0)[0][0])
        raise FormatError(path, f"row {int(rows[k])}: negative box size, expected length/width/height >= 0")
    quat = values[:, 6:10]
    norms = np.linalg.norm(quat, axis=1)
    if len(norms) and norms.min() < 1e-9:
        raise FormatError(path, f"row {int(rows[int(np.argmin(norms))])}: quaternion qw qx qy qz is zero")
    heading = Rotation.from_quat(quat, scalar_first=True).apply([1.0, 0.0, 0.0]) if len(quat) else np.zeros((0, 3))
    uuids, cats = table.column("track_uuid").to_pylist(), table.column("category").to_pylist()
    has_count = table.schema.get_field_index("num_interior_pts") >= 0
    counts = table.column("num_interior_pts").to_numpy() if has_count else None
    tracks: dict[str, Track] = {}
    anns: list[Annotation] = []
    unknown: set[str] = set()
    for k, ns in enumerate(table.column("timestamp_ns").to_numpy().tolist()):
        uuid, av2_cat = str(uuids[k]), str(cats[k])
        track = tracks.get(uuid)
        if track is None:
            track = Track(new_token(), _category(av2_cat, schema, unknown), len(tracks),
                          {"av2_track_uuid": uuid, "av2_category": av2_cat})
            tracks[uuid] = track
        box_ego = Box(values[k, :3], values[k, 3:6], math.atan2(heading[k, 1], heading[k, 0]))
        attrs = {"av2_row": int(rows[k])}
        if counts is not None:
            attrs["av2_num_interior_pts"] = int(counts[k])
        frame = frames_by_ns[ns]
        anns.append(Annotation(new_token(), track.token, frame.index, ego_box_to_world(box_ego, T_world_ego[ns]),
                               attrs))
    warnings = [f"{path}: AV2 categories not in the schema, loaded as misc: {', '.join(sorted(unknown))}"] \
        if unknown else []
    return list(tracks.values()), anns, warnings


# -- the reader --------------------------------------------------------------------------------
def read_av2(path: Path | str, schema: LabelSchema | None = None) -> LoadedSequence:
    """One AV2 sensor log (the log folder, its split or the dataset root: the first log)."""
    path = Path(path)
    schema = schema or default_schema()
    logs = find_logs(path)
    if not logs:
        raise FormatError(path, f"not an Argoverse 2 log: expected {LIDAR_DIR}/ and {POSES}")
    log = logs[0]
    warnings = [f"{len(logs)} logs under {path}; reading {log.name}"] if len(logs) > 1 else []
    sweeps = _sweeps(log)
    poses = read_poses(log / POSES)
    calib = log / CALIBRATION
    ego_se3_lidar = read_ego_se3_lidar(calib) if calib.is_file() else DEFAULT_EGO_SE3_LIDAR
    if not calib.is_file():
        warnings.append(f"{log}: no {CALIBRATION}; LiDAR assumed {DEFAULT_EGO_SE3_LIDAR[2, 3]} m above the ground")
    T_lidar_ego = invert_transform(ego_se3_lidar)
    frames, by_ns = [], {}
    for index, (ns, sweep) in enumerate(sweeps):
        if ns not in poses:
            raise FormatError(log / POSES, f"no row for timestamp_ns {ns} (the sweep {sweep.name})")
        frame = Frame(index=index, timestamp_s=ns * 1e-9, T_world_sensor=poses[ns] @ ego_se3_lidar,
                      loader=_sweep_loader(sweep, T_lidar_ego), source_path=sweep,
                      meta={"av2_timestamp_ns": ns, "av2_ego_SE3_lidar": ego_se3_lidar.tolist()})
        frames.append(frame)
        by_ns[ns] = frame
    tracks, anns = [], []
    if (log / ANNOTATIONS).is_file():
        tracks, anns, more = read_annotations(log / ANNOTATIONS, by_ns, poses, schema)
        warnings += more
    seq = Sequence(name=log.name, frames=frames, root=log, format="av2-sensor",
                   meta={"av2_log_id": log.name, "av2_split": log.parent.name})
    return LoadedSequence(seq, tracks, anns, warnings)


register_reader(SequenceReader("av2-sensor", _sniff, read_av2, priority=15))
