"""Drawing one camera: the image, the frame's points by depth, every box as its projected
wireframe (class colour, heading face crossed, selected box highlighted). Used by the
camera panel and by ``sweeplabel snapshot``; the projection is ``kernels.project_to_cameras``."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QLineF, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPolygonF

from sweeplabel.kernels import CameraProjection, project_to_cameras
from sweeplabel.kernels.project import HEADING_EDGES, box_outline_px
from sweeplabel.model import Annotation, Project
from sweeplabel.model.camera import projection_matrices

from ..camera_images import CameraImage

SELECTED_RGB = (1.0, 0.92, 0.2)
LINE_PX = 2.0
SELECTED_LINE_PX = 4.0
POINT_PX = 2
DEPTH_RANGE_M = (2.0, 60.0)
NEAR_M = 0.1


@dataclass(frozen=True)
class BoxStyle:
    """How one box is drawn: its annotation token, hover text, class colour, selection."""

    token: str
    label: str
    rgb: tuple[float, float, float]
    selected: bool = False


@dataclass
class CameraView:
    """A drawn camera: ``image`` (None with ``problem``) and, per drawn box, its near-clipped
    edges in the image's pixels; the outlines (silhouettes) are made on first use."""

    name: str
    image: QImage | None
    problem: str | None = None
    box_edges: list[tuple[BoxStyle, np.ndarray]] = field(default_factory=list)
    _outlines: list[tuple[BoxStyle, QPolygonF]] | None = None

    @property
    def outlines(self) -> list[tuple[BoxStyle, QPolygonF]]:
        """(style, silhouette polygon in image pixels) per box: computed once, on the first
        click or hover (a convex hull per box is the costly part of a redraw)."""
        if self._outlines is None:
            self._outlines = []
            for style, edges in self.box_edges:
                hull = box_outline_px(edges)
                if len(hull):
                    self._outlines.append((style, QPolygonF([QPointF(float(x), float(y)) for x, y in hull])))
        return self._outlines

    def boxes_at(self, x_px: float, y_px: float) -> list[BoxStyle]:
        """Boxes whose outline holds the image pixel, smallest outline first."""
        hits = [(abs(_area(poly)), style) for style, poly in self.outlines
                if poly.containsPoint(QPointF(x_px, y_px), Qt.FillRule.OddEvenFill)]
        return [style for _, style in sorted(hits, key=lambda h: h[0])]


def _area(poly: QPolygonF) -> float:
    pts = np.array([[p.x(), p.y()] for p in poly])
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


def box_styles(project: Project, annotations: list[Annotation], selected: str | None) -> list[BoxStyle]:
    out = []
    for ann in annotations:
        track = project.get_track(ann.track_token)
        if track is None:  # labels mid-update: drawn grey, keeps the order of the boxes
            out.append(BoxStyle(ann.token, "track ?", (0.6, 0.6, 0.6), ann.token == selected))
            continue
        rgb = project.schema.category(track.category).color_rgb if project.schema.has_category(track.category) \
            else (0.8, 0.8, 0.8)
        out.append(BoxStyle(ann.token, f"track {track.number} · {track.category}", rgb, ann.token == selected))
    return out


def project_frame(images: list[CameraImage], T_world_sensor: np.ndarray, T_world_input: np.ndarray,
                  xyz_m: np.ndarray, boxes_input: np.ndarray) -> tuple[list[int], CameraProjection | None]:
    """(indices into ``images`` of the projectable cameras, their projection) of points and
    boxes given in the frame ``T_world_input`` maps from."""
    usable = [k for k, ci in enumerate(images) if ci.image is not None]
    if not usable:
        return usable, None
    P, wh = projection_matrices([images[k].camera for k in usable], T_world_sensor, T_world_input)
    pts = np.ascontiguousarray(xyz_m[:, :3], dtype=np.float32)
    boxes = np.ascontiguousarray(boxes_input, dtype=np.float64).reshape(-1, 7)
    return usable, project_to_cameras(pts, boxes, P, wh, NEAR_M)


def depth_lut() -> np.ndarray:
    """256 ARGB32 colours near (red) -> far (blue): matplotlib's turbo, reversed."""
    from matplotlib import colormaps

    rgb = (colormaps["turbo"](np.linspace(1.0, 0.0, 256))[:, :3] * 255).astype(np.uint32)
    return (0xFF000000 | (rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2]).astype(np.uint32)


_LUT: list[np.ndarray] = []


def depth_colors() -> np.ndarray:
    """The depth LUT, made once (the frame loader's worker makes it before the first draw)."""
    if not _LUT:
        _LUT.append(depth_lut())
    return _LUT[0]


def draw_points(image: QImage, uv_px: np.ndarray, depth_m: np.ndarray, scale: float) -> None:
    """Points as POINT_PX squares coloured by depth, near ones on top, written straight into
    the (RGB32) image's pixels with NumPy."""
    lut = depth_colors()
    if len(uv_px) == 0:
        return
    arr = np.frombuffer(image.bits(), np.uint32).reshape(image.height(), image.bytesPerLine() // 4)
    order = np.argsort(-depth_m)
    u = (uv_px[order, 0] * scale).astype(np.int64)
    v = (uv_px[order, 1] * scale).astype(np.int64)
    lo, hi = DEPTH_RANGE_M
    t = np.clip((np.log(np.maximum(depth_m[order], lo)) - np.log(lo)) / (np.log(hi) - np.log(lo)), 0, 1)
    colors = lut[(t * 255).astype(np.int64)]
    for du in range(POINT_PX):
        for dv in range(POINT_PX):
            uu, vv = u + du, v + dv
            ok = (uu < image.width()) & (vv < image.height())
            arr[vv[ok], uu[ok]] = colors[ok]


def draw_boxes(image: QImage, proj: CameraProjection, cam: int, styles: list[BoxStyle],
               scale: float) -> list[tuple[BoxStyle, np.ndarray]]:
    """Wireframes of ``styles`` (same order as the projected boxes); returns (style, near-clipped
    edges in the image's pixels) of the boxes drawn."""
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    outlines = []
    order = sorted(range(len(styles)), key=lambda b: styles[b].selected)  # the selected one on top
    for b in order:
        style = styles[b]
        seg = proj.edges_px[cam, b] * scale
        lines = [QLineF(*row) for row in seg if np.isfinite(row[0])]
        if not lines:
            continue
        rgb = SELECTED_RGB if style.selected else style.rgb
        color = QColor.fromRgbF(*rgb)
        painter.setPen(QPen(color, SELECTED_LINE_PX if style.selected else LINE_PX))
        painter.drawLines(lines)
        heading = [QLineF(*seg[e]) for e in HEADING_EDGES if np.isfinite(seg[e, 0])]
        if heading:
            painter.setPen(QPen(color, (SELECTED_LINE_PX if style.selected else LINE_PX) * 0.75,
                                Qt.PenStyle.DashLine))
            painter.drawLines(heading)
        outlines.append((style, proj.edges_near_px[cam, b] * scale))
    painter.end()
    return outlines


def draw_camera(ci: CameraImage, proj: CameraProjection | None, cam: int | None, styles: list[BoxStyle],
                show_points: bool = True, base: QImage | None = None) -> tuple[CameraView, QImage | None]:
    """(the drawn view, the image with points only: pass it back as ``base`` to redraw boxes only)."""
    if ci.image is None or proj is None or cam is None:
        return CameraView(ci.camera.name, None, ci.problem or "no image"), None
    if base is None:
        base = ci.image.copy()
        if show_points:
            draw_points(base, proj.point_uv_px[cam], proj.point_depth_m[cam], ci.scale)
    image = base.copy()
    edges = draw_boxes(image, proj, cam, styles, ci.scale)
    return CameraView(ci.camera.name, image, None, edges), base


def render_frame_boxes(project: Project, frame_index: int) -> tuple[list[Annotation], np.ndarray, np.ndarray]:
    """(annotations, boxes (M, 7) in the render frame, T_world_render) of one frame."""
    origin = project.sequence.render_origin_m
    anns = list(project.annotations_in_frame(frame_index))
    boxes = np.array([a.box.to_array() for a in anns], dtype=np.float64).reshape(-1, 7)
    boxes[:, :3] -= origin
    T_world_render = np.eye(4)
    T_world_render[:3, 3] = origin
    return anns, boxes, T_world_render


def draw_frame(project: Project, frame_index: int, images: list[CameraImage], xyz_render_m: np.ndarray,
               selected: str | None = None, show_points: bool = True) -> list[CameraView]:
    """Every camera of a frame drawn with its points (render frame) and boxes."""
    anns, boxes, T_world_render = render_frame_boxes(project, frame_index)
    frame = project.sequence[frame_index]
    usable, proj = project_frame(images, frame.T_world_sensor, T_world_render, xyz_render_m, boxes)
    styles = box_styles(project, anns, selected)
    views = []
    for k, ci in enumerate(images):
        cam = usable.index(k) if k in usable else None
        views.append(draw_camera(ci, proj, cam, styles, show_points)[0])
    return views
