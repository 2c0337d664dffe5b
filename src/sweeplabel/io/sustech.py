"""SUSTechPOINTS scenes: ``lidar/NNNNNN.pcd`` + ``label/NNNNNN.json`` (boxes with ``obj_id``).

Label boxes are in the LiDAR frame: ``psr.position`` = geometric centre, ``psr.scale``
= (length, width, height) along the box axes, ``psr.rotation.z`` = yaw about +z. The
small x/y tilts are kept in ``attributes["sustech_rotation_xy"]`` (the model's boxes are
upright). ``obj_id`` ties boxes of one object across frames into a track. No poses:
world = each frame's LiDAR frame."""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..model import Annotation, Box, Frame, LabelSchema, Sequence, Track, default_schema, new_token
from .errors import FormatError
from .pcd import MAX_HEADER_BYTES, read_header, read_pcd
from .registry import LoadedSequence, SequenceReader, register_reader

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
    digits = re.sub(r"\D", "", stem)
    return int(digits) if digits else fallback


def read_label_json(path: Path) -> list[dict]:
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FormatError(path, f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    if isinstance(items, dict) and "objs" in items:  # newer SUSTechPOINTS files wrap the list
        items = items["objs"]
    if not isinstance(items, list):
        raise FormatError(path, "expected a list of objects with psr, obj_type, obj_id")
    for k, item in enumerate(items):
        try:
            psr = item["psr"]
            [float(psr[g][a]) for g in ("position", "scale", "rotation") for a in "xyz"]
        except (KeyError, TypeError, ValueError):
            raise FormatError(path, f"object {k}: expected psr.position/scale/rotation with numeric x, y, z") from None
    return items


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
    for index, scan in enumerate(scans):
        with open(scan, "rb") as handle:
            read_header(scan, handle.read(MAX_HEADER_BYTES))
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
                tracks[key] = Track(new_token(), _category(obj_type, schema),
                                    int(obj_id) if obj_id.isdigit() else len(tracks),
                                    {"sustech_obj_id": obj_id, "sustech_obj_type": obj_type})
            p, s, r = psr["position"], psr["scale"], psr["rotation"]
            box = Box([p["x"], p["y"], p["z"]], [s["x"], s["y"], s["z"]], float(r["z"]))
            anns.append(Annotation(new_token(), tracks[key].token, index, box,
                                   {"sustech_rotation_xy": [float(r["x"]), float(r["y"])]}))
    seq = Sequence(root.name, frames, root=root, format="sustech")
    return LoadedSequence(seq, sorted(tracks.values(), key=lambda t: t.number), anns)


def _sniff(path: Path) -> bool:
    """``lidar/*.pcd`` (``label/`` is optional: unlabelled scenes open too)."""
    lidar = path / "lidar"
    return path.is_dir() and lidar.is_dir() and ((path / "label").is_dir() or any(lidar.glob("*.pcd")))


register_reader(SequenceReader("sustech", _sniff, read_sustech, priority=25))
