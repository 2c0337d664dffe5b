"""Cameras for the readers: ``with_cameras(loaded)`` fills ``frame.cameras`` from the dataset.

KITTI object (``image_2/NNNNNN.png`` with ``P2``, ``R0_rect``, ``Tr_velo_to_cam``), KITTI
tracking (``image_02/SSSS/NNNNNN.png``), SUSTechPOINTS (``camera/<name>/<frame>.jpg`` with
``calib/camera/<name>.json``: ``extrinsic`` LiDAR -> camera 4x4, ``intrinsic`` K) and
nuScenes (the ``CAM_*`` sample_data nearest in time to each LiDAR frame, with its own
calibrated_sensor and ego_pose). Only paths and sizes are read here (the image header);
images are decoded by the app. A missing image or a bad calibration never stops the
frame from loading: the camera carries ``problem`` and one warning names the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..model.camera import Camera, calibration_problem
from ..model.geometry import invert_transform
from .errors import FormatError
from .registry import LoadedSequence

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
KITTI_IMAGE_SIZE_WH = (1242, 375)


def with_cameras(loaded: LoadedSequence, tables: Any = None) -> LoadedSequence:
    """``loaded`` with every frame's cameras filled in (by the sequence's format) and one
    warning per distinct camera problem. Never raises for camera data."""
    seq = loaded.sequence
    builder = _BUILDERS.get(seq.format)
    if builder is None or seq.root is None:
        return loaded
    cameras_of = builder(seq, tables)
    failed: list[str] = []
    for frame in seq.frames:
        try:
            frame.cameras = cameras_of(frame)
        except (KeyError, ValueError, TypeError, OSError) as exc:  # camera data never stops the frames
            frame.cameras = []
            failed.append(f"frame {frame.index}: {type(exc).__name__}: {exc}")
    if failed:
        loaded.warnings.append(f"cameras left out for {len(failed)} frames ({failed[0]})")
    loaded.warnings.extend(camera_warnings(seq.frames))
    return loaded


def camera_warnings(frames) -> list[str]:
    """One warning per distinct calibration problem; one for missing/unreadable images when
    some images of the sequence exist (a dataset shipped without images gets none)."""
    cams = [cam for frame in frames for cam in frame.cameras]
    calib = list(dict.fromkeys(c.problem for c in cams if c.problem and not c.problem.startswith("image")))
    bad_images = [c for c in cams if c.problem and c.problem.startswith("image")]
    out = [f"{text}; the points and boxes load without this camera" for text in calib]
    if bad_images and any(c.image_path is not None for c in cams):
        out.append(f"{len(bad_images)} of {len(cams)} camera images missing or unreadable "
                   f"(first: {bad_images[0].problem}); the frames load without them")
    return out


# -- images -------------------------------------------------------------------------------
def image_size_of(path: Path) -> tuple[int, int]:
    """(width, height) from the image header (Pillow reads only the header)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return int(image.size[0]), int(image.size[1])
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise FormatError(path, f"not a readable PNG/JPEG image ({exc})") from None


def find_image(folder: Path, stem: str) -> Path | None:
    for suffix in IMAGE_SUFFIXES:
        candidate = folder / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _camera(name: str, image: Path | None, expected: Path, K: np.ndarray, T_sensor_camera: np.ndarray,
            stated_wh: tuple[int, int] | None, calib_path: Path | None, timestamp_s: float | None,
            fallback_wh: tuple[int, int], distortion: np.ndarray | None = None) -> Camera:
    """A Camera with its problem (bad calibration first, then the image)."""
    problem = None
    size = stated_wh or fallback_wh
    if image is None:
        problem = f"image missing: {expected}"
    else:
        try:
            real = image_size_of(image)
        except FormatError as exc:
            problem = f"image unreadable: {exc}"
        else:
            if stated_wh is not None and tuple(real) != tuple(stated_wh):
                problem = (f"image {image} is {real[0]}x{real[1]} pixels, the calibration states "
                           f"{stated_wh[0]}x{stated_wh[1]}")
            size = real
    bad = calibration_problem(K, T_sensor_camera, size if problem is None else (1, 1))
    if bad is not None:
        problem = f"{calib_path or 'calibration'}: camera {name}: {bad}" + (f" ({image})" if "image" in bad else "")
        K, T_sensor_camera = np.eye(3), np.eye(4)
    return Camera(name, image, size, K, T_sensor_camera, timestamp_s, distortion, problem, calib_path)


# -- KITTI ---------------------------------------------------------------------------------
def kitti_camera(name: str, calib_meta: dict, image: Path | None, expected: Path, calib_path: Path | None,
                 timestamp_s: float | None, stated_wh: tuple[int, int] | None = None) -> Camera:
    """Camera 2 of a KITTI calibration: ``P2 = K [I | t]``, camera = ``[I | t] R0_rect Tr_velo_to_cam``."""
    P2 = np.array(calib_meta["P2"], dtype=np.float64).reshape(3, 4)
    R0 = np.eye(4)
    R0[:3, :3] = np.array(calib_meta["R0_rect"], dtype=np.float64).reshape(3, 3)
    Tr = np.eye(4)
    Tr[:3, :] = np.array(calib_meta["Tr_velo_to_cam"], dtype=np.float64).reshape(3, 4)
    K = P2[:, :3]
    T_cam_velo = np.eye(4)
    try:
        T_cam_velo[:3, 3] = np.linalg.solve(K, P2[:, 3])
    except np.linalg.LinAlgError:
        pass
    T_cam_velo = T_cam_velo @ R0 @ Tr
    if calibration_problem(K, T_cam_velo, (1, 1)) is None:
        T_sensor_camera = np.linalg.inv(T_cam_velo)
    else:  # name the problem of the matrix as the file gives it
        T_sensor_camera = T_cam_velo
    return _camera(name, image, expected, K, T_sensor_camera, stated_wh, calib_path, timestamp_s, KITTI_IMAGE_SIZE_WH)


def _kitti_object_cameras(seq, _tables):
    return lambda frame: _kitti_object_frame(seq, frame)


def _kitti_object_frame(seq, frame) -> list[Camera]:
    calib = frame.meta.get("kitti_calib")
    stem = str(frame.meta.get("kitti_id", ""))
    if not calib or not stem:
        return []
    folder = seq.root / "image_2"
    stated = frame.meta.get("kitti_image_size_wh")
    return [kitti_camera("image_2", calib, find_image(folder, stem), folder / f"{stem}.png",
                         seq.root / "calib" / f"{stem}.txt", frame.timestamp_s, tuple(stated) if stated else None)]


def _kitti_tracking_cameras(seq, _tables):
    return lambda frame: _kitti_tracking_frame(seq, frame)


def _kitti_tracking_frame(seq, frame) -> list[Camera]:
    calib = frame.meta.get("kitti_calib")
    stem = str(frame.meta.get("kitti_id", ""))
    seq_id = str(seq.meta.get("kitti_sequence", ""))
    if not calib or not stem:
        return []
    folder = seq.root / "image_02" / seq_id
    return [kitti_camera("image_02", calib, find_image(folder, stem), folder / f"{stem}.png",
                         seq.root / "calib" / f"{seq_id}.txt", frame.timestamp_s)]


# -- SUSTechPOINTS ----------------------------------------------------------------------------
def read_sustech_calib(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(K 3x3, T_camera_lidar 4x4) of ``calib/camera/<name>.json``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise FormatError(path, f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(path, f"cannot read the calibration ({exc})") from None
    if not isinstance(data, dict):
        raise FormatError(path, "expected an object with 'extrinsic' (16 numbers) and 'intrinsic' (9 numbers)")
    out = []
    for key, n in (("intrinsic", 9), ("extrinsic", 16)):
        try:
            values = np.array([float(v) for v in data[key]], dtype=np.float64)
        except KeyError:
            raise FormatError(path, f"missing key {key!r} (expected {n} numbers)") from None
        except (TypeError, ValueError):
            raise FormatError(path, f"key {key!r}: expected {n} numbers") from None
        if values.size != n:
            raise FormatError(path, f"key {key!r}: expected {n} numbers, got {values.size}")
        out.append(values.reshape(3, 3) if n == 9 else values.reshape(4, 4))
    return out[0], out[1]


def _sustech_calibs(root: Path) -> dict[str, tuple[np.ndarray, np.ndarray, str | None]]:
    names = {p.stem for p in (root / "calib" / "camera").glob("*.json")}
    names |= {p.name for p in (root / "camera").iterdir() if p.is_dir()} if (root / "camera").is_dir() else set()
    calibs = {}
    for name in sorted(names):
        path = root / "calib" / "camera" / f"{name}.json"
        try:
            K, T_cam_lidar = read_sustech_calib(path)
        except FormatError as exc:
            calibs[name] = (np.eye(3), np.eye(4), str(exc))
            continue
        bad = calibration_problem(K, T_cam_lidar, (1, 1))  # also catches a non-invertible extrinsic
        if bad is not None:
            calibs[name] = (np.eye(3), np.eye(4), f"{path}: camera {name}: {bad}")
            continue
        calibs[name] = (K, np.linalg.inv(T_cam_lidar), None)
    return calibs


def _sustech_cameras(seq, _tables):
    calibs = _sustech_calibs(Path(seq.root))
    return lambda frame: _sustech_frame(Path(seq.root), calibs, frame)


def _sustech_frame(root: Path, calibs: dict, frame) -> list[Camera]:
    stem = str(frame.meta.get("sustech_id", ""))
    cams = []
    for name, (K, T_sensor_camera, error) in calibs.items():
        folder = root / "camera" / name
        calib_path = root / "calib" / "camera" / f"{name}.json"
        if error is not None:
            cams.append(Camera(name, find_image(folder, stem), KITTI_IMAGE_SIZE_WH, np.eye(3), np.eye(4),
                               frame.timestamp_s, None, error, calib_path))
            continue
        cams.append(_camera(name, find_image(folder, stem), folder / f"{stem}.jpg", K, T_sensor_camera, None,
                            calib_path, frame.timestamp_s, (0, 0)))
    return sorted(cams, key=_front_first)


def _front_first(cam: Camera) -> tuple[int, str]:
    return (0 if "front" in cam.name.lower() and "left" not in cam.name.lower()
            and "right" not in cam.name.lower() else 1, cam.name)


# -- nuScenes -----------------------------------------------------------------------------
def _nuscenes_channels(tables) -> dict[str, dict[str, list[dict]]]:
    """Camera channel -> sample token -> its sample_data records (key frame and sweeps)."""
    sensors = {s["token"]: s for s in tables.rows["sensor"] if isinstance(s, dict)}
    cam_calibs = {}
    for cs in tables.rows["calibrated_sensor"]:
        sensor = sensors.get(cs.get("sensor_token")) if isinstance(cs, dict) else None
        if sensor and (sensor.get("modality") == "camera" or str(sensor.get("channel", "")).startswith("CAM")):
            cam_calibs[cs["token"]] = sensor.get("channel", "CAM")
    channels: dict[str, dict[str, list[dict]]] = {}
    for sd in tables.rows["sample_data"]:
        if isinstance(sd, dict) and sd.get("calibrated_sensor_token") in cam_calibs:
            by_sample = channels.setdefault(cam_calibs[sd["calibrated_sensor_token"]], {})
            by_sample.setdefault(sd.get("sample_token"), []).append(sd)
    return channels


def _nuscenes_cameras(seq, tables):
    if tables is None:
        return lambda frame: []
    channels = _nuscenes_channels(tables)
    return lambda frame: _nuscenes_frame(Path(seq.root).resolve(), tables, channels, frame)


def _nuscenes_frame(dataroot: Path, tables, channels: dict[str, dict[str, list[dict]]], frame) -> list[Camera]:
    """Per camera channel, the image of the frame's sample nearest in time to the sweep."""
    if "nuscenes_timestamp_us" not in frame.meta:
        return []
    from .nuscenes import transform_from  # the same quaternion convention as the LiDAR poses

    sample = frame.meta.get("nuscenes_sample_token")
    t_us = float(frame.meta["nuscenes_timestamp_us"])
    folder = tables.folder
    cams = []
    for channel, by_sample in channels.items():
        if sample not in by_sample:
            continue
        sd = min(by_sample[sample], key=lambda r: abs(float(r.get("timestamp", 0)) - t_us))
        cs = tables.by_token["calibrated_sensor"].get(sd.get("calibrated_sensor_token"), {})
        ep = tables.by_token["ego_pose"].get(sd.get("ego_pose_token"))
        calib_path = folder / "calibrated_sensor.json"
        try:
            K = np.array(cs["camera_intrinsic"], dtype=np.float64).reshape(3, 3)
            T_world_camera = transform_from(ep["translation"], ep["rotation"]) @ transform_from(
                cs["translation"], cs["rotation"])
            stated = (int(sd["width"]), int(sd["height"])) if sd.get("width") else None
        except (KeyError, TypeError, ValueError) as exc:
            cams.append(Camera(channel, None, (1, 1), np.eye(3), np.eye(4), None, None,
                               f"{calib_path}: camera {channel}: incomplete record ({exc})", calib_path))
            continue
        file = (dataroot / str(sd.get("filename", ""))).resolve()
        if dataroot not in file.parents:
            cams.append(Camera(channel, None, stated or (1, 1), K, np.eye(4), None, None,
                               f"{folder / 'sample_data.json'}: {sd.get('filename')!r} is outside the dataroot; "
                               "not read", calib_path))
            continue
        T_sensor_camera = invert_transform(frame.T_world_sensor) @ T_world_camera
        cams.append(_camera(channel, file if file.is_file() else None, file, K, T_sensor_camera, stated,
                            calib_path, float(sd.get("timestamp", 0)) / 1e6, stated or (1600, 900)))
    return sorted(cams, key=lambda c: (0 if c.name == "CAM_FRONT" else 1, c.name))


_BUILDERS = {
    "kitti-object": _kitti_object_cameras,
    "kitti-tracking": _kitti_tracking_cameras,
    "sustech": _sustech_cameras,
    "nuscenes": _nuscenes_cameras,
}
