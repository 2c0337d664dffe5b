"""Camera images of a frame, decoded and scaled on the frame loader's worker (QImage is
thread-safe; QPixmap is not used here). A failed image keeps its camera with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSize
from PySide6.QtGui import QImage, QImageReader

from sweeplabel.model import Sequence
from sweeplabel.model.camera import Camera

CAMERA_IMAGES = "camera_images"  # the frame loader attachment's name
DISPLAY_MAX_SIDE_PX = 1024  # decoded at most this large for the panel (JPEG decodes scaled, fast)


@dataclass(frozen=True, eq=False)
class CameraImage:
    """One camera's decoded image. ``scale`` = image pixels in ``image`` per calibration pixel."""

    camera: Camera
    image: QImage | None
    scale: float
    problem: str | None = None


def decode_camera_image(camera: Camera, max_side_px: int | None = DISPLAY_MAX_SIDE_PX) -> CameraImage:
    """Decode (and scale down to ``max_side_px``) one camera's image; size mismatches and
    undecodable files become ``problem`` (naming the file), never an exception."""
    if camera.problem is not None or camera.image_path is None:
        return CameraImage(camera, None, 1.0, camera.problem or "no image")
    reader = QImageReader(str(camera.image_path))
    size = reader.size()
    if not size.isValid():
        return CameraImage(camera, None, 1.0, f"{camera.image_path}: cannot decode the image ({reader.errorString()})")
    w, h = camera.image_size_wh
    if (size.width(), size.height()) != (w, h):
        return CameraImage(camera, None, 1.0, f"{camera.image_path}: image is {size.width()}x{size.height()} "
                                               f"pixels, the calibration states {w}x{h}")
    scale = 1.0 if not max_side_px else min(1.0, max_side_px / max(w, h))
    if scale < 1.0:
        reader.setScaledSize(QSize(max(1, round(w * scale)), max(1, round(h * scale))))
    image = reader.read()
    if image.isNull():
        return CameraImage(camera, None, 1.0, f"{camera.image_path}: cannot decode the image ({reader.errorString()})")
    return CameraImage(camera, image.convertToFormat(QImage.Format.Format_RGB32), image.width() / w)


def decode_frame_images(sequence: Sequence, frame_index: int,
                        max_side_px: int | None = DISPLAY_MAX_SIDE_PX) -> list[CameraImage]:
    """Every camera of one frame (the frame loader's worker runs this)."""
    return [decode_camera_image(cam, max_side_px) for cam in sequence[frame_index].cameras]
