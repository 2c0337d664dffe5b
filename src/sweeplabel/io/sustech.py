"""SUSTechPOINTS scenes: ``lidar/NNNNNN.pcd`` + ``label/NNNNNN.json`` (boxes with ``obj_id``).

Label boxes are in the LiDAR frame: ``psr.position`` = geometric centre, ``psr.scale``
= (length, width, height) along the box axes, ``psr.rotation.z`` = yaw about +z. The
small x/y tilts are kept in ``attributes["sustech_rotation_xy"]`` (the model's boxes are
upright). ``obj_id`` ties boxes of one object across frames into a track. No poses:
world = each frame's LiDAR frame."""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..model import Annotation, Box, Frame, LabelSchema, Sequence, Track, default_schema, new_token
from .cameras import with_cameras
from .errors import FormatError
from .pcd import WarningCollector, file_warnings, read_pcd
from .registry import LoadedSequence, SequenceReader, register_reader
from .sequence_folder import JsonDoc

SUSTECH_TYPES = {
    "Car": "vehicle.car", "Van": "vehicle.van", "Bus": "vehicle.bus.rigid", "Truck": "vehicle.truck",
    "Pedestrian": "human.pedestrian.adult", "Rider": "vehicle.cyclist", "Cyclist": "vehicle.cyclist",
    "Bicycle": "vehicle.bicycle", "Motor": "vehicle.motorcycle", "Motorcycle": "vehicle.motorcycle",
    "Tricycle": "vehicle.motorcycle", "Cone": "movable_object.trafficcone",
}


def _category(obj_type: str, schema: LabelSchema) -> str:
    name = SUSTECH_TYPES.get(obj_type)
    if name and schema.has_category(name):
        return name
    return "misc" if schema.has_category("misc") else schema.default_category


def _number(stem: str, fallback: int) -> int:
    digits = re.sub(r"[^0-9]", "", stem)[:12]
    return int(digits) if digits else fallback


def read_label_json(path: Path) -> list[dict]:
    """The label objects, each checked: psr position/rotation finite, scale positive,
    obj_id an ASCII whole number or a name, obj_type a string."""
    doc = JsonDoc(path, top=(list, dict))
    items, at0 = doc.root, ()
    if isinstance(items, dict) and "objs" in items:  # newer SUSTechPOINTS files wrap the list
        items, at0 = items["objs"], ("objs",)
    if not isinstance(items, list):
        raise FormatError(path, "expected a list of objects with psr, obj_type, obj_id", line=1)
    for k, item in enumerate(items):
        _check_item(doc, item, (*at0, k))
    return items


def _check_item(doc: JsonDoc, item: object, at: tuple) -> None:
    k = at[-1]
    if not isinstance(item, dict) or not isinstance(item.get("psr"), dict):
        raise doc.fail(at, f"object {k}: expected psr {{position, scale, rotation}}")
    for group in ("position", "scale", "rotation"):
        vec = item["psr"].get(group)
        ok = isinstance(vec, dict) and all(_finite(vec.get(a)) for a in "xyz")
        if ok and group == "scale":
            ok = all(vec[a] > 0 for a in "xyz")
        if not ok:
            what = "positive numbers" if group == "scale" else "finite numbers"
            raise doc.fail((*at, "psr", group) if isinstance(vec, dict) else (*at, "psr"),
                           f"object {k}: expected psr.{group} with x, y, z {what}", key=group)
    obj_id = item.get("obj_id", "")
    if not (isinstance(obj_id, str) or (isinstance(obj_id, int) and not isinstance(obj_id, bool))):
        raise doc.fail(at, f"obj_id: expected a string or a whole number, got {obj_id!r}", key="obj_id")
    if isinstance(obj_id, str) and any(ch.isdigit() and not ch.isascii() for ch in obj_id):
        raise doc.fail(at, f"obj_id {obj_id!r}: expected ASCII digits (0-9) or a name without other digits",
                       key="obj_id")
    if not isinstance(item.get("obj_type", ""), str):
        raise doc.fail(at, "obj_type: expected a string", key="obj_type")


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _track_number(obj_id: str) -> int | None:
    """An ASCII whole-number obj_id as the track number (not '١٢' or '²')."""
    return int(obj_id) if obj_id.isascii() and obj_id.isdigit() and len(obj_id) < 10 else None


def read_sustech(path: Path | str, schema: LabelSchema | None = None) -> LoadedSequence:
    """A SUSTechPOINTS scene folder (containing ``lidar/`` and ``label/``)."""
    root = Path(path)
    schema = schema or default_schema()
    scans = sorted((root / "lidar").glob("*.pcd"))
    if not scans:
        raise FormatError(root / "lidar", "empty folder: expected NNNNNN.pcd scans")
    frames: list[Frame] = []
    tracks: dict[str, Track] = {}
    anns: list[Annotation] = []
    notes = WarningCollector()
    for index, scan in enumerate(scans):
        notes.add(scan, file_warnings(scan))
        number = _number(scan.stem, index)
        frames.append(Frame(index, number * 0.1, loader=lambda p=scan: read_pcd(p).points(), source_path=scan,
                            meta={"sustech_id": scan.stem}))
        label = root / "label" / f"{scan.stem}.json"
        for item in read_label_json(label) if label.is_file() else []:
            psr = item["psr"]
            obj_id = str(item.get("obj_id", ""))
            obj_type = str(item.get("obj_type", ""))
            key = obj_id or new_token()
            if key not in tracks:
                number = _track_number(obj_id)
                tracks[key] = Track(new_token(), _category(obj_type, schema),
                                    number if number is not None else len(tracks),
                                    {"sustech_obj_id": obj_id, "sustech_obj_type": obj_type})
            p, s, r = psr["position"], psr["scale"], psr["rotation"]
            box = Box([p["x"], p["y"], p["z"]], [s["x"], s["y"], s["z"]], float(r["z"]))
            anns.append(Annotation(new_token(), tracks[key].token, index, box,
                                   {"sustech_rotation_xy": [float(r["x"]), float(r["y"])]}))
    seq = Sequence(root.name, frames, root=root, format="sustech")
    return with_cameras(LoadedSequence(seq, sorted(tracks.values(), key=lambda t: t.number), anns, notes.lines()))


def _sniff(path: Path) -> bool:
    """``lidar/*.pcd`` (``label/`` is optional: unlabelled scenes open too)."""
    lidar = path / "lidar"
    return path.is_dir() and lidar.is_dir() and ((path / "label").is_dir() or any(lidar.glob("*.pcd")))


register_reader(SequenceReader("sustech", _sniff, read_sustech, priority=25))
