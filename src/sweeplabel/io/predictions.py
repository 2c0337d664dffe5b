"""Detector results from elsewhere, read into world-frame boxes of a sequence.

Formats (``read_predictions(path, format, sequence)``):

- ``kitti``: KITTI object result files, one per frame (``NNNNNN.txt`` in a folder, or its
  ``label_2``/``data`` sub-folder, or one file): label_2 lines with a 16th column, the
  score. A file's name is the frame's KITTI id (or its number); boxes are converted with
  the frame's calibration and pose.
- ``nuscenes``: a nuScenes detection results JSON, ``{"results": {sample_token: [{
  translation, size, rotation, detection_name, detection_score, attribute_name}]}}``,
  global frame, ``size = [w, l, h]``, ``rotation`` scalar-first; a sample token is the
  key frame that carries it.
- ``json``: the tool's own labels JSON; ``openlabel``: an OpenLABEL file. Both carry
  tracks already, which are kept (``track_key``).

Scores must lie in [0, 1]. Every problem is one ``FormatError`` naming the file and the
line or key; nothing is returned half-read."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


from ..model import Box, LabelSchema, Sequence, default_schema
from .errors import FormatError

PREDICTION_FORMATS = ("kitti", "nuscenes", "json", "openlabel")


@dataclass(frozen=True)
class PredictedBox:
    """One detection: a world-frame box in a frame of the sequence."""

    frame_index: int
    box: Box
    category: str
    score: float | None
    attributes: dict[str, Any] = field(default_factory=dict)
    track_key: str | None = None  # the file's own track identity (json, openlabel)


@dataclass
class PredictionSet:
    """The boxes of a results file and the frames it covers (a frame with an empty
    result is covered: the detector saw nothing there)."""

    path: Path
    format: str
    boxes: list[PredictedBox]
    frames: list[int]
    warnings: list[str] = field(default_factory=list)


def read_predictions(path: Path | str, format: str, sequence: Sequence,
                     schema: LabelSchema | None = None) -> PredictionSet:
    """Read detector results for ``sequence`` (see the module doc for the formats)."""
    path = Path(path)
    schema = schema or default_schema()
    if not path.exists():
        raise FormatError(path, "no such file or folder")
    if format == "kitti":
        return _read_kitti(path, sequence, schema)
    if format == "nuscenes":
        return _read_nuscenes(path, sequence, schema)
    if format in ("json", "openlabel"):
        return _read_labelled(path, format, sequence)
    raise FormatError(path, f"unknown predictions format {format!r}; expected one of {', '.join(PREDICTION_FORMATS)}")


def _is_score(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and 0.0 <= value <= 1.0


# -- KITTI ---------------------------------------------------------------------------------------
def _kitti_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    for sub in ("label_2", "data"):
        if (path / sub).is_dir():
            path = path / sub
            break
    files = sorted(path.glob("*.txt"))
    if not files:
        raise FormatError(path, "expected NNNNNN.txt result files (one per frame)")
    return files


def _kitti_frames(sequence: Sequence) -> dict[str, int]:
    """File stem -> frame index: the KITTI id, the KITTI frame number, or the index."""
    out: dict[str, int] = {}
    for name in ("kitti_id", "kitti_frame", None):  # ids first, indices only as a fallback
        for frame in sequence.frames:
            key = frame.meta.get(name) if name else frame.index
            if key is not None:
                text = str(key)
                out.setdefault(f"{int(text):06d}" if text.isascii() and text.isdigit() else text, frame.index)
    return out


def _read_kitti(path: Path, sequence: Sequence, schema: LabelSchema) -> PredictionSet:
    from .kitti import DONTCARE, box_from_camera, calib_of_frame, category_for_kitti_type, parse_label_line

    frames_of = _kitti_frames(sequence)
    boxes: list[PredictedBox] = []
    covered: list[int] = []
    files = _kitti_files(path)
    other = [f for f in files if _stem(f) not in frames_of]
    if len(other) == len(files):
        raise FormatError(files[0], f"no frame {files[0].stem!r} in sequence {sequence.name!r} (its "
                                    f"{len(sequence)} frames are named by KITTI id or number): results of "
                                    "another sequence?")
    for file in files:
        if file in other:
            continue
        frame = sequence[frames_of[_stem(file)]]
        covered.append(frame.index)
        calib = calib_of_frame(frame)
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError as err:
            raise FormatError(file, f"not UTF-8 text ({err.reason})", offset=err.start) from None
        for line_no, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            obj = parse_label_line(line, file, line_no, tracking=False)
            if obj.type == DONTCARE:
                continue
            if obj.score is None:
                raise FormatError(file, "expected 16 fields (a result line ends with the score), got 15",
                                  line=line_no)
            if not _is_score(obj.score):
                raise FormatError(file, f"expected a score in [0, 1] in column 16, got {obj.score!r} "
                                        "(rescale the detector's scores)", line=line_no)
            try:
                box = box_from_camera(obj, calib.T_cam_velo).transformed(frame.T_world_sensor)
            except ValueError as exc:
                raise FormatError(file, f"not a box: {exc}", line=line_no) from None
            boxes.append(PredictedBox(frame.index, box, category_for_kitti_type(obj.type, schema), obj.score,
                                      {"kitti_type": obj.type}))
    warnings = [f"{len(other)} result files are for frames not in the sequence (e.g. {other[0].name}); "
                "skipped"] if other else []
    return PredictionSet(path, "kitti", boxes, sorted(set(covered)), warnings)


def _stem(file: Path) -> str:
    return f"{int(file.stem):06d}" if file.stem.isascii() and file.stem.isdigit() else file.stem


# -- nuScenes ------------------------------------------------------------------------------------
def _nuscenes_category(name: str, schema: LabelSchema) -> str:
    from .nuscenes import SHORT_NAMES

    for candidate in (SHORT_NAMES.get(name), name):
        if candidate and schema.has_category(candidate):
            return candidate
    return "misc" if schema.has_category("misc") else schema.default_category


def _motion_attributes(category: str, attribute: str, schema: LabelSchema) -> dict[str, Any]:
    """``{"motion": "vehicle.moving"}`` where the class has a group with that value."""
    if not attribute:
        return {}
    for group, values in schema.category(category).attributes.items():
        if attribute in values:
            return {group: attribute}
    return {"nuscenes_attributes": [attribute]}


def _nuscenes_box(file: Path, rec: Any, at: str) -> tuple[Box, float, str, str]:
    if not isinstance(rec, dict):
        raise FormatError(file, f"{at}: expected an object with translation, size, rotation, detection_name, "
                                "detection_score")
    try:
        t = [float(v) for v in rec["translation"]]
        w, l, h = (float(v) for v in rec["size"])
        q = [float(v) for v in rec["rotation"]]
        name = rec["detection_name"]
        score = rec["detection_score"]
    except KeyError as exc:
        raise FormatError(file, f"{at}: missing {exc.args[0]!r}") from None
    except (TypeError, ValueError):
        raise FormatError(file, f"{at}: translation (3), size (w, l, h) and rotation (w, x, y, z) must be "
                                "lists of numbers") from None
    if len(t) != 3 or len(q) != 4 or not math.isfinite(sum(t + q)) or not sum(v * v for v in q) > 1e-12:
        raise FormatError(file, f"{at}: expected translation of 3 numbers and a non-zero rotation "
                                "quaternion (w, x, y, z)")
    if min(w, l, h) < 0 or not math.isfinite(w + l + h):
        raise FormatError(file, f"{at}.size: expected non-negative [w, l, h], got {rec['size']}")
    if not isinstance(name, str):
        raise FormatError(file, f"{at}.detection_name: expected a class name, got {name!r}")
    from scipy.spatial.transform import Rotation  # not at start-up: every CLI command imports this module

    R = Rotation.from_quat(q, scalar_first=True).as_matrix()
    box = Box(t, (l, w, h), math.atan2(R[1, 0], R[0, 0]))
    if not _is_score(score):
        raise FormatError(file, f"{at}.detection_score: expected a score in [0, 1], got {score!r}")
    attribute = rec.get("attribute_name") or ""
    return box, float(score), name, attribute if isinstance(attribute, str) else ""


def _read_nuscenes(path: Path, sequence: Sequence, schema: LabelSchema) -> PredictionSet:
    from .nuscenes import SHORT_NAMES

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise FormatError(path, f"not valid JSON: {err.msg} (column {err.colno})", line=err.lineno) from None
    except UnicodeDecodeError as err:
        raise FormatError(path, f"not UTF-8 text ({err.reason})", offset=err.start) from None
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, dict):
        raise FormatError(path, 'results: expected {"results": {sample_token: [boxes]}}')
    key_frames: dict[str, int] = {}
    for frame in sequence.frames:
        token = frame.meta.get("nuscenes_sample_token")
        if token and (frame.meta.get("nuscenes_is_key_frame", True) or token not in key_frames):
            key_frames[token] = frame.index
    boxes: list[PredictedBox] = []
    unknown: set[str] = set()
    for token, recs in results.items():
        if token not in key_frames:
            raise FormatError(path, f"results.{token}: no key frame of sequence {sequence.name!r} has this "
                                    "sample token")
        if not isinstance(recs, list):
            raise FormatError(path, f"results.{token}: expected a list of boxes")
        for k, rec in enumerate(recs):
            box, score, name, attribute = _nuscenes_box(path, rec, f"results.{token}[{k}]")
            category = _nuscenes_category(name, schema)
            if category != name and SHORT_NAMES.get(name) != category:
                unknown.add(name)
            attrs = {"nuscenes_category": name, **_motion_attributes(category, attribute, schema)}
            boxes.append(PredictedBox(key_frames[token], box, category, score, attrs))
    warnings = [f"classes not in the label schema, read as {_nuscenes_category('', schema)!r}: "
                f"{', '.join(sorted(unknown))}"] if unknown else []
    return PredictionSet(path, "nuscenes", boxes, sorted(key_frames[t] for t in results), warnings)


# -- files with tracks: the tool's JSON, OpenLABEL -------------------------------------------------
def _read_labelled(path: Path, format: str, sequence: Sequence) -> PredictionSet:
    if format == "json":
        from .labels_json import read_labels_json
        loaded = read_labels_json(path)
    else:
        from .openlabel_read import read_openlabel
        loaded = read_openlabel(path)
    tracks = {t.token: t for t in loaded.tracks}
    boxes: list[PredictedBox] = []
    for ann in sorted(loaded.annotations, key=lambda a: (a.frame_index, a.token)):
        if not 0 <= ann.frame_index < len(sequence):
            raise FormatError(path, f"box {ann.token}: frame {ann.frame_index} is outside the sequence "
                                    f"(0..{len(sequence) - 1})")
        track = tracks.get(ann.track_token)
        if track is None:
            raise FormatError(path, f"box {ann.token}: its track {ann.track_token} is not in the file")
        score = ann.score if ann.score is not None else track.score
        boxes.append(PredictedBox(ann.frame_index, ann.box, track.category, score, dict(ann.attributes),
                                  track_key=track.token))
    frames = sorted({f.index for f in loaded.sequence.frames if f.index < len(sequence)})
    return PredictionSet(path, format, boxes, frames, list(loaded.warnings))
