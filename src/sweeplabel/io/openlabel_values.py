"""OpenLABEL element data <-> attribute values, and the geometry of its cuboids.

Attribute values become ``boolean``, ``num``, ``text`` or ``vec`` entries by their
type; anything else (dicts, nested lists) is a ``text`` holding JSON, marked by a
nested ``encoding: json`` attribute, so every value survives a round trip.

Cuboids: the 10-value form ``(x, y, z, qx, qy, qz, qw, sx, sy, sz)`` with a
scalar-LAST quaternion (as scipy's ``Rotation.as_quat``; nuScenes is scalar-first)
and ``sx, sy, sz`` = the box's own length, width, height; the 9-value form
``(x, y, z, rx, ry, rz, sx, sy, sz)`` whose Euler angles apply in the order Z, Y, X
(R = Rz(rz) Ry(ry) Rx(rx))."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from ..model import Box
from ..model.geometry import yaw_of_rotation
from .lazy import Rotation

DATA_KINDS = ("boolean", "num", "text", "vec")
_JSON_MARK = {"text": [{"name": "encoding", "val": "json"}]}


def _is_num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def encode_value(name: str, value: Any) -> tuple[str, dict[str, Any]]:
    """``(kind, entry)`` of one attribute: the element data type and its JSON object."""
    if isinstance(value, bool):
        return "boolean", {"name": name, "val": value}
    if _is_num(value) and math.isfinite(value):
        return "num", {"name": name, "val": value}
    if isinstance(value, str):
        return "text", {"name": name, "val": value}
    if isinstance(value, (list, tuple)) and all(
            (_is_num(v) and math.isfinite(v)) or isinstance(v, str) for v in value):
        return "vec", {"name": name, "val": list(value)}
    text = json.dumps(value, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
    return "text", {"name": name, "val": text, "attributes": _JSON_MARK}


def decode_entry(entry: dict[str, Any]) -> Any:
    """The attribute value of an element data entry written by ``encode_value``."""
    value = entry.get("val")
    nested = entry.get("attributes")
    marks = nested.get("text") if isinstance(nested, dict) else None
    if isinstance(value, str) and isinstance(marks, list) and any(
            isinstance(m, dict) and m.get("name") == "encoding" and m.get("val") == "json" for m in marks):
        return json.loads(value)
    return value


def encode_data(values: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Element data (``{"num": [...], "text": [...], ...}``) of many attributes, by name."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in sorted(values):
        kind, entry = encode_value(name, values[name])
        out.setdefault(kind, []).append(entry)
    return out


def cuboid_val(box: Box) -> list[float]:
    """The 10-value cuboid of a world-frame box (scalar-last quaternion, sx/sy/sz = l/w/h)."""
    quat = Rotation.from_euler("z", box.yaw_rad).as_quat()  # (x, y, z, w)
    return [*map(float, box.center_m), *map(float, quat), *map(float, box.size_lwh_m)]


def cuboid_rotation(val: list[float]) -> Rotation:
    """The rotation of a 9- or 10-value cuboid (raises ValueError for a zero quaternion)."""
    if len(val) == 10:
        quat = np.asarray(val[3:7], dtype=np.float64)
        if not np.linalg.norm(quat) > 1e-12:
            raise ValueError("the quaternion (qx, qy, qz, qw) is zero")
        return Rotation.from_quat(quat)  # scalar-last
    rx, ry, rz = val[3:6]
    return Rotation.from_euler("ZYX", [rz, ry, rx])


def box_of_cuboid(val: list[float], T_world_cs: np.ndarray) -> tuple[Box, float]:
    """The upright world-frame box of a cuboid given in a coordinate system with pose
    ``T_world_cs``, and its tilt (radians between the box's z axis and world +z)."""
    R = T_world_cs[:3, :3] @ cuboid_rotation(val).as_matrix()
    center = T_world_cs[:3, :3] @ np.asarray(val[:3], dtype=np.float64) + T_world_cs[:3, 3]
    tilt = math.acos(max(-1.0, min(1.0, float(R[2, 2]))))
    return Box(center, val[-3:], yaw_of_rotation(R)), tilt


def transform_matrix(data: dict[str, Any]) -> np.ndarray:
    """4x4 matrix of an OpenLABEL ``transform_data`` (matrix4x4, quaternion + translation,
    or Euler angles + translation); raises ValueError when it is none of them."""
    if "matrix4x4" in data:
        M = np.asarray(data["matrix4x4"], dtype=np.float64)
        if M.shape != (16,) or not np.all(np.isfinite(M)):
            raise ValueError("matrix4x4 needs 16 finite numbers")
        return M.reshape(4, 4)
    T = np.eye(4)
    T[:3, 3] = np.asarray(data["translation"], dtype=np.float64).reshape(3)
    if "quaternion" in data:
        T[:3, :3] = Rotation.from_quat(np.asarray(data["quaternion"], dtype=np.float64)).as_matrix()
    else:
        angles = np.asarray(data["euler_angles"], dtype=np.float64).reshape(3)
        T[:3, :3] = Rotation.from_euler(str(data.get("sequence", "ZYX")), angles).as_matrix()
    return T


def matrix_data(T: np.ndarray) -> dict[str, list[float]]:
    """``{"matrix4x4": [...]}`` of a 4x4 transform (row-major, X_dst = M X_src)."""
    return {"matrix4x4": [float(v) for v in np.asarray(T, dtype=np.float64).reshape(16)]}
