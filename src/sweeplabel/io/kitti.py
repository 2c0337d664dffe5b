"""KITTI 3D-object data: ``velodyne/*.bin``, ``label_2/*.txt``, ``calib/*.txt``.

Also the pieces KITTI tracking shares (calib, label lines, camera <-> LiDAR boxes).

Conventions (DESIGN.md section 2): model boxes live in the velodyne frame of each
frame (identity pose for KITTI object). Label boxes are in the rectified camera frame
``X_rect = R0_rect . Tr_velo_to_cam . X_velo``: location = bottom centre, dims
``h w l``, ``rotation_y`` about camera y (heading direction ``(cos ry, 0, -sin ry)``).

Round trip: the imported 2D bbox, truncation, occlusion and alpha are kept in the
annotation's attributes (``kitti_bbox``, ``kitti_truncated``, ``kitti_occluded``,
``kitti_alpha``) together with the box as imported (``kitti_import_box``); the writer
reuses them while the box is unedited and recomputes them (projection into ``P2``,
clipped to the image) once it was moved. ``DontCare`` lines are not boxes (their sizes
are -1 placeholders): they are kept verbatim in ``frame.meta["kitti_dontcare"]`` and
written back at their original line positions (``kitti_line`` records the order)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from ..kernels import project_to_cameras
from ..model import Annotation, Box, Frame, LabelSchema, Sequence, Track, default_schema, new_token
from ..model.geometry import invert_transform
from .atomic import write_text_atomic
from .cameras import with_cameras
from .errors import FormatError
from .paths import plain_name
from .ply_bin import read_bin
from .registry import LoadedSequence, SequenceReader, register_reader
from .text import parse_float, parse_int, read_text

IMAGE_SIZE_WH = (1242, 375)
DONTCARE = "DontCare"

# KITTI type -> preferred category of the default schema (schema order would map
# "Misc" to a bus, so name the intended ones; unknown types fall back to the schema).
KITTI_TYPE_TO_CATEGORY = {
    "Car": "vehicle.car", "Van": "vehicle.van", "Truck": "vehicle.truck",
    "Pedestrian": "human.pedestrian.adult", "Person_sitting": "human.pedestrian.sitting",
    "Cyclist": "vehicle.cyclist", "Tram": "vehicle.tram", "Misc": "misc",
}

_CALIB_ALIASES = {
    "R_rect": "R0_rect", "R0_rect": "R0_rect",
    "Tr_velo_cam": "Tr_velo_to_cam", "Tr_velo_to_cam": "Tr_velo_to_cam",
    "Tr_imu_velo": "Tr_imu_to_velo", "Tr_imu_to_velo": "Tr_imu_to_velo",
}
_CALIB_SIZES = {"P0": 12, "P1": 12, "P2": 12, "P3": 12, "R0_rect": 9, "Tr_velo_to_cam": 12,
                "Tr_imu_to_velo": 12}


# -- calibration -------------------------------------------------------------------------
@dataclass
class KittiCalib:
    """A KITTI calibration. Matrices as float64: P* 3x4, R0_rect 3x3, Tr_* 3x4."""

    matrices: dict[str, np.ndarray]

    @property
    def P2(self) -> np.ndarray:
        return self.matrices["P2"]

    @property
    def T_cam_velo(self) -> np.ndarray:
        """4x4 velodyne -> rectified camera 0: ``R0_rect . Tr_velo_to_cam``."""
        R0 = np.eye(4)
        R0[:3, :3] = self.matrices["R0_rect"]
        Tr = np.eye(4)
        Tr[:3, :] = self.matrices["Tr_velo_to_cam"]
        return R0 @ Tr

    def to_meta(self) -> dict[str, list[float]]:
        return {k: v.reshape(-1).tolist() for k, v in self.matrices.items()}

    @classmethod
    def from_meta(cls, meta: Mapping[str, list[float]]) -> "KittiCalib":
        return cls({k: np.array(v, dtype=np.float64).reshape(3, -1) for k, v in meta.items()})

    def to_text(self) -> str:
        """Object-style calib text (``R0_rect``/``Tr_velo_to_cam`` names, colons)."""
        order = ["P0", "P1", "P2", "P3", "R0_rect", "Tr_velo_to_cam", "Tr_imu_to_velo"]
        keys = [k for k in order if k in self.matrices] + [k for k in self.matrices if k not in order]
        return "".join(f"{k}: " + " ".join(f"{v:.12e}" for v in self.matrices[k].reshape(-1)) + "\n"
                       for k in keys) + "\n"


def default_calib() -> KittiCalib:
    """The 2011_09_26 KITTI calibration (for exporting data that has none)."""
    values = {
        "P0": [721.5377, 0, 609.5593, 0, 0, 721.5377, 172.854, 0, 0, 0, 1, 0],
        "P1": [721.5377, 0, 609.5593, -387.5744, 0, 721.5377, 172.854, 0, 0, 0, 1, 0],
        "P2": [721.5377, 0, 609.5593, 44.85728, 0, 721.5377, 172.854, 0.2163791, 0, 0, 1, 0.002745884],
        "P3": [721.5377, 0, 609.5593, -339.5242, 0, 721.5377, 172.854, 2.199936, 0, 0, 1, 0.002729905],
        "R0_rect": [0.9999239, 0.00983776, -0.007445048, -0.009869795, 0.9999421, -0.004278459,
                    0.007402527, 0.004351614, 0.9999631],
        "Tr_velo_to_cam": [0.007533745, -0.9999714, -0.000616602, -0.004069766, 0.01480249,
                           0.0007280733, -0.9998902, -0.07631618, 0.9998621, 0.007523790,
                           0.01480755, -0.2717806],
    }
    return KittiCalib({k: np.array(v, dtype=np.float64).reshape(3, -1) for k, v in values.items()})


def read_calib(path: Path | str) -> KittiCalib:
    """Parse a KITTI calib file; accepts ``R0_rect:``/``Tr_velo_to_cam:`` and the
    tracking spelling ``R_rect``/``Tr_velo_cam`` (with or without colon)."""
    path = Path(path)
    matrices: dict[str, np.ndarray] = {}
    lines: dict[str, int] = {}
    for line_no, line in enumerate(read_text(path).splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        key = parts[0].rstrip(":")
        key = _CALIB_ALIASES.get(key, key)
        want = _CALIB_SIZES.get(key)
        if want is None:
            continue  # other calibrations (cameras, imu) are not used here
        try:
            values = np.array([parse_float(v) for v in parts[1:]], dtype=np.float64)
        except ValueError as exc:
            raise FormatError(path, f"{key}: expected finite numbers, got {str(exc)[:40]!r}", line=line_no) from None
        if values.size != want:
            raise FormatError(path, f"{key}: expected {want} numbers, got {values.size}", line=line_no)
        matrices[key] = values.reshape(3, -1)
        lines[key] = line_no
    for required in ("P2", "R0_rect", "Tr_velo_to_cam"):
        if required not in matrices:
            raise FormatError(path, f"missing {required} (expected a line '{required}: <numbers>')", line=1)
    for key in ("R0_rect", "Tr_velo_to_cam"):
        R = matrices[key][:, :3]
        if not (np.allclose(R @ R.T, np.eye(3), atol=1e-3) and abs(np.linalg.det(R) - 1.0) < 1e-3):
            raise FormatError(path, f"{key}: the 3x3 part is not a rotation (det {np.linalg.det(R):.4g}); "
                              "expected an orthonormal matrix", line=lines[key])
    return KittiCalib(matrices)


# -- label lines ------------------------------------------------------------------------
@dataclass
class KittiObject:
    """One label line. ``frame``/``track_id`` are set for tracking labels."""

    type: str
    truncated: float
    occluded: int
    alpha: float
    bbox: tuple[float, float, float, float]
    dims_hwl_m: tuple[float, float, float]
    location_m: tuple[float, float, float]
    rotation_y_rad: float
    score: float | None = None
    frame: int | None = None
    track_id: int | None = None
    raw_fields: list[str] = field(default_factory=list)  # the tokens after the type


def parse_label_line(text: str, path: Path, line_no: int, tracking: bool) -> KittiObject:
    """Parse one label line (15/16 fields; tracking: 17/18 with frame and track id)."""
    parts = text.split()
    base = 17 if tracking else 15
    if len(parts) not in (base, base + 1):
        raise FormatError(path, f"expected {base} fields ({'frame track_id ' if tracking else ''}type "
                          f"truncated occluded alpha bbox(4) h w l x y z rotation_y [score]), "
                          f"got {len(parts)}", line=line_no)
    head = parts[:2] if tracking else []
    body = parts[2:] if tracking else parts
    try:
        nums = [parse_float(v) for v in body[1:]]
        frame, track_id = (parse_int(head[0]), parse_int(head[1])) if tracking else (None, None)
    except ValueError as exc:
        bad = str(exc)
        shown = bad if len(bad) <= 24 else bad[:20] + f"... ({len(bad)} characters)"
        what = "a whole number (frame, track id)" if bad in head else "a number"
        raise FormatError(path, f"expected {what}, got {shown!r}", line=line_no) from None
    if tracking and (frame < 0 or track_id < -1):
        raise FormatError(path, f"expected frame >= 0 and track id >= -1, got {frame} {track_id}", line=line_no)
    if body[0] != DONTCARE and not all(v > 0 for v in nums[7:10]):
        raise FormatError(path, f"{body[0]}: expected positive dimensions h w l, got "
                          f"{' '.join(body[8:11])}", line=line_no)
    return KittiObject(
        type=body[0], truncated=nums[0], occluded=int(nums[1]), alpha=nums[2],
        bbox=tuple(nums[3:7]), dims_hwl_m=tuple(nums[7:10]), location_m=tuple(nums[10:13]),
        rotation_y_rad=nums[13], score=nums[14] if len(nums) > 14 else None,
        frame=frame, track_id=track_id, raw_fields=body[1:])


def format_label_line(obj: KittiObject, decimals: int, int_truncated: bool = False) -> str:
    """One label line, numbers with ``decimals`` places (KITTI object uses 2)."""
    f = f"{{:.{decimals}f}}"
    trunc = str(int(round(obj.truncated))) if int_truncated else f.format(obj.truncated)
    nums = [obj.alpha, *obj.bbox, *obj.dims_hwl_m, *obj.location_m, obj.rotation_y_rad]
    fields = [obj.type, trunc, str(int(obj.occluded))] + [f.format(v) for v in nums]
    if obj.score is not None:
        fields.append(f.format(obj.score))
    if obj.frame is not None:
        fields = [str(obj.frame), str(obj.track_id)] + fields
    return " ".join(fields)


# -- camera <-> LiDAR boxes ------------------------------------------------------------
def box_from_camera(obj: KittiObject, T_cam_velo: np.ndarray) -> Box:
    """The label's box in the velodyne frame (geometric centre, l w h, yaw about +z)."""
    h, w, l = obj.dims_hwl_m
    x, y, z = obj.location_m
    center_cam = np.array([x, y - h / 2.0, z, 1.0])
    # R0_rect . Tr is orthonormal only to ~1e-7; a true inverse keeps round trips exact
    T_velo_cam = np.linalg.inv(T_cam_velo)
    center = (T_velo_cam @ center_cam)[:3]
    ry = obj.rotation_y_rad
    heading = T_velo_cam[:3, :3] @ np.array([math.cos(ry), 0.0, -math.sin(ry)])
    return Box(center, (l, w, h), math.atan2(heading[1], heading[0]))


def rotation_y_of_yaw(yaw_rad: float, T_cam_velo: np.ndarray) -> float:
    """Exact inverse of the ``rotation_y -> yaw`` map of ``box_from_camera``: the camera
    heading ``(cos ry, 0, -sin ry)`` lying in the vertical velodyne plane of ``yaw``
    (projecting the heading instead would drift by ~1e-4 rad per round trip)."""
    R_velo_cam = np.linalg.inv(T_cam_velo)[:3, :3]
    normal = R_velo_cam.T @ np.array([-math.sin(yaw_rad), math.cos(yaw_rad), 0.0])
    ry = math.atan2(normal[0], normal[2])
    heading_velo = R_velo_cam @ np.array([math.cos(ry), 0.0, -math.sin(ry)])
    if heading_velo[0] * math.cos(yaw_rad) + heading_velo[1] * math.sin(yaw_rad) < 0:
        ry += math.pi
    return (ry + math.pi) % (2 * math.pi) - math.pi


def camera_from_box(box: Box, T_cam_velo: np.ndarray) -> tuple[tuple, tuple, float]:
    """``(location_m bottom centre, dims_hwl_m, rotation_y_rad)`` in the rect camera frame."""
    l, w, h = box.size_lwh_m
    center = T_cam_velo[:3, :3] @ box.center_m + T_cam_velo[:3, 3]
    ry = rotation_y_of_yaw(box.yaw_rad, T_cam_velo)
    location = (center[0], center[1] + h / 2.0, center[2])
    return tuple(float(v) for v in location), (float(h), float(w), float(l)), ry


def alpha_of(location_m: tuple, rotation_y_rad: float) -> float:
    """Observation angle: ``rotation_y - atan2(x, z)`` wrapped to [-pi, pi)."""
    a = rotation_y_rad - math.atan2(location_m[0], location_m[2])
    return (a + math.pi) % (2 * math.pi) - math.pi


def project_to_image(points_velo_m: np.ndarray, calib: KittiCalib) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates in image 2 (``P2 . R0_rect . Tr_velo_to_cam``) of (N, 3) velodyne
    points and their depth along the camera axis (metres; <= 0 is behind the camera)."""
    pts = np.asarray(points_velo_m, dtype=np.float64).reshape(-1, 3)
    cam = pts @ calib.T_cam_velo[:3, :3].T + calib.T_cam_velo[:3, 3]
    uvw = np.c_[cam, np.ones(len(cam))] @ calib.P2.T
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = uvw[:, :2] / uvw[:, 2:3]
    return uv, cam[:, 2]


def project_bbox(box_velo: Box, calib: KittiCalib,
                 image_size_wh: tuple[int, int] = IMAGE_SIZE_WH) -> tuple[tuple, float]:
    """2D box of the 3D box in image 2, clipped to the image, and the truncation (fraction of
    the unclipped 2D box outside the image). Edges behind the camera are clipped at the near
    plane, not dropped (the one projection: ``kernels.project_to_cameras``)."""
    P = calib.P2 @ calib.T_cam_velo
    proj = project_to_cameras(np.zeros((0, 3), np.float32), box_velo.to_array()[None], P, [image_size_wh])
    if not np.isfinite(proj.bbox_px[0, 0]).all():
        return (0.0, 0.0, 0.0, 0.0), 1.0
    x0, y0, x1, y1 = proj.bbox_px[0, 0]
    W, H = image_size_wh
    cx0, cy0, cx1, cy1 = max(x0, 0.0), max(y0, 0.0), min(x1, W - 1.0), min(y1, H - 1.0)
    full = max(x1 - x0, 0.0) * max(y1 - y0, 0.0)
    inside = max(cx1 - cx0, 0.0) * max(cy1 - cy0, 0.0)
    trunc = 1.0 - inside / full if full > 0 else 1.0
    return (float(cx0), float(cy0), float(max(cx1, cx0)), float(max(cy1, cy0))), float(trunc)


# -- model <-> label objects --------------------------------------------------------------
def category_for_kitti_type(kitti_type: str, schema: LabelSchema) -> str:
    name = KITTI_TYPE_TO_CATEGORY.get(kitti_type)
    if name and schema.has_category(name):
        return name
    cat = schema.category_for_kitti(kitti_type)
    if cat is not None:
        return cat.name
    return "misc" if schema.has_category("misc") else schema.default_category


def kitti_type_for_track(track: Track, schema: LabelSchema) -> str:
    """The imported KITTI type while the category is still the one it mapped to,
    else the category's ``kitti_type``."""
    imported = track.attributes.get("kitti_type")
    if imported and category_for_kitti_type(imported, schema) == track.category:
        return imported
    return schema.category(track.category).kitti_type if schema.has_category(track.category) else "Misc"


def annotation_attributes(obj: KittiObject, box: Box, line_index: int,
                          frame_index: int | None = None) -> dict[str, Any]:
    attrs: dict[str, Any] = {"kitti_import_frame": frame_index,
        "kitti_truncated": obj.truncated, "kitti_occluded": obj.occluded, "kitti_alpha": obj.alpha,
        "kitti_bbox": list(obj.bbox), "kitti_import_box": box.to_array().tolist(), "kitti_line": line_index,
    }
    if obj.score is not None:
        attrs["kitti_score"] = obj.score
    return attrs


def label_object_for(ann: Annotation, track: Track, box_velo: Box, calib: KittiCalib,
                     schema: LabelSchema, image_size_wh: tuple[int, int] = IMAGE_SIZE_WH) -> KittiObject:
    """The KITTI label object of an annotation whose box is given in the velodyne frame."""
    a = ann.attributes
    location, dims, ry = camera_from_box(box_velo, calib.T_cam_velo)
    imported = a.get("kitti_import_box")
    unedited = (imported is not None and Box.from_array(np.array(imported)).isclose(ann.box, 1e-9, 1e-9)
                and a.get("kitti_import_frame", ann.frame_index) in (None, ann.frame_index))  # not a copy
    if unedited and "kitti_bbox" in a:
        bbox, trunc_calc = tuple(float(v) for v in a["kitti_bbox"]), 0.0
        alpha = float(a.get("kitti_alpha", alpha_of(location, ry)))
    else:
        bbox, trunc_calc = project_bbox(box_velo, calib, image_size_wh)
        alpha = alpha_of(location, ry)
    return KittiObject(
        type=kitti_type_for_track(track, schema),
        truncated=float(a.get("kitti_truncated", 0.0)) if unedited and "kitti_bbox" in a else trunc_calc,
        occluded=int(a.get("kitti_occluded", 0)), alpha=alpha, bbox=bbox, dims_hwl_m=dims,
        location_m=location, rotation_y_rad=ry, score=a.get("kitti_score"))


def calib_of_frame(frame: Frame) -> KittiCalib:
    meta = frame.meta.get("kitti_calib")
    return KittiCalib.from_meta(meta) if meta else default_calib()


def frame_label_lines(frame: Frame, items: list[tuple[Annotation, Track]], schema: LabelSchema,
                      decimals: int, int_truncated: bool, tracking_ids: dict[str, int] | None = None,
                      frame_number: int | None = None) -> list[str]:
    """All label lines of one frame in their original order (new boxes last)."""
    calib = calib_of_frame(frame)
    image_size = tuple(frame.meta.get("kitti_image_size_wh") or next(
        (c.image_size_wh for c in frame.cameras if c.image_path is not None and c.usable), IMAGE_SIZE_WH))
    T_sensor_world = invert_transform(frame.T_world_sensor)
    keyed: list[tuple[float, int, str]] = []
    for n, dc in enumerate(frame.meta.get("kitti_dontcare", [])):
        head = f"{frame_number} -1 " if frame_number is not None else ""
        keyed.append((dc.get("line", 1e9), n, head + " ".join([DONTCARE, *dc["fields"]])))
    for n, (ann, track) in enumerate(items):
        obj = label_object_for(ann, track, ann.box.transformed(T_sensor_world), calib, schema, image_size)
        if tracking_ids is not None:
            obj.frame, obj.track_id = frame_number, tracking_ids[track.token]
        keyed.append((ann.attributes.get("kitti_line", 1e9), 10_000 + n,
                      format_label_line(obj, decimals, int_truncated)))
    return [text for _, _, text in sorted(keyed)]


# -- reading -----------------------------------------------------------------------------
def read_label_file(path: Path, tracking: bool) -> list[KittiObject]:
    """Every non-empty line of a label file."""
    objects = []
    for line_no, text in enumerate(read_text(path).splitlines(), 1):
        if text.strip():
            objects.append(parse_label_line(text, path, line_no, tracking))
    return objects


def _object_root(path: Path) -> Path:
    return path / "training" if (path / "training" / "velodyne").is_dir() else path


def _is_kitti_object(path: Path) -> bool:
    root = _object_root(path)
    velo = root / "velodyne"
    return (velo.is_dir() and (root / "calib").is_dir() and any(velo.glob("*.bin"))
            and not (root / "label_02").is_dir())


def read_kitti_object(path: Path | str, schema: LabelSchema | None = None) -> LoadedSequence:
    """A KITTI object folder (``training`` or its parent): one frame per velodyne scan,
    each its own world (identity pose); every labelled object becomes one track."""
    root = _object_root(Path(path))
    schema = schema or default_schema()
    scans = sorted((root / "velodyne").glob("*.bin"))
    if not scans:
        raise FormatError(root / "velodyne", "empty folder: expected NNNNNN.bin velodyne scans")
    frames, tracks, anns = [], [], []
    for index, scan in enumerate(scans):
        stem = scan.stem
        read_bin_size_check(scan)
        calib = read_calib(root / "calib" / f"{stem}.txt")
        frame = Frame(index=index, timestamp_s=float(index), loader=_bin_loader(scan), source_path=scan,
                      meta={"kitti_id": stem, "kitti_calib": calib.to_meta(), "kitti_dontcare": []})
        label_path = root / "label_2" / f"{stem}.txt"
        objects = read_label_file(label_path, tracking=False) if label_path.is_file() else []
        for line, obj in enumerate(objects):
            if obj.type == DONTCARE:
                frame.meta["kitti_dontcare"].append({"line": line, "fields": obj.raw_fields})
                continue
            box = box_from_camera(obj, calib.T_cam_velo)
            track = Track(new_token(), category_for_kitti_type(obj.type, schema), len(tracks),
                          {"kitti_type": obj.type})
            tracks.append(track)
            anns.append(Annotation(new_token(), track.token, index, box,
                                   annotation_attributes(obj, box, line, index)))
        frames.append(frame)
    seq = Sequence(name=root.parent.name if root.name == "training" else root.name, frames=frames,
                   root=root, format="kitti-object", meta={"kitti_label_decimals": 2})
    return with_cameras(LoadedSequence(seq, tracks, anns))  # frame.cameras: image_2 + P2


def read_bin_size_check(path: Path, fields: int = 4) -> None:
    """Raise the clear FormatError up front when a scan's size does not fit the records."""
    size = path.stat().st_size
    if size % (4 * fields):
        read_bin(path, fields)


def _bin_loader(path: Path):
    return lambda: read_bin(path, 4)


# -- writing ------------------------------------------------------------------------------
def group_by_frame(tracks: Iterable[Track], annotations: Iterable[Annotation]
                   ) -> dict[int, list[tuple[Annotation, Track]]]:
    by_token = {t.token: t for t in tracks}
    out: dict[int, list[tuple[Annotation, Track]]] = {}
    for ann in annotations:
        out.setdefault(ann.frame_index, []).append((ann, by_token[ann.track_token]))
    for items in out.values():
        items.sort(key=lambda at: (at[1].number, at[0].token))
    return out


def frame_id(frame: Frame) -> str:
    return plain_name(frame.meta.get("kitti_id", f"{frame.index:06d}"), f"frame {frame.index + 1}: KITTI frame id")


def write_kitti_object(sequence: Sequence, tracks: Iterable[Track], annotations: Iterable[Annotation],
                       out_dir: Path | str, schema: LabelSchema | None = None,
                       progress=None) -> dict[str, int]:
    """Write ``out_dir/label_2/NNNNNN.txt`` (and ``calib/NNNNNN.txt``) for every frame.
    Each file is written atomically. Returns counts ``frames``, ``tracks``, ``boxes``."""
    out_dir = Path(out_dir)
    schema = schema or default_schema()
    tracks = list(tracks)
    by_frame = group_by_frame(tracks, annotations)
    decimals = int(sequence.meta.get("kitti_label_decimals", 2))
    boxes = 0
    for frame in sequence.frames:
        items = by_frame.get(frame.index, [])
        lines = frame_label_lines(frame, items, schema, decimals, int_truncated=False)
        write_text_atomic(out_dir / "label_2" / f"{frame_id(frame)}.txt", "".join(l + "\n" for l in lines))
        write_text_atomic(out_dir / "calib" / f"{frame_id(frame)}.txt", calib_of_frame(frame).to_text())
        boxes += len(items)
        if progress is not None:
            progress(frame.index + 1, len(sequence.frames))
    used = {a.track_token for items in by_frame.values() for a, _ in items}
    return {"frames": len(sequence.frames), "tracks": len(used), "boxes": boxes}


register_reader(SequenceReader("kitti-object", _is_kitti_object, read_kitti_object, priority=20))
