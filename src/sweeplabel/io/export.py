"""One entry point for exports: ``export_labels(source, format, out_dir)``.

``source`` is a ``LoadedSequence`` (a dataset read with its own labels), a model
``Project``, or anything with a ``.project`` (an opened project store). Formats:
``kitti`` (OUT/label_2 + calib), ``kitti-tracking`` (OUT/label_02/SSSS.txt + calib),
``nuscenes`` (OUT/<version>/*.json + the sweeps it references), ``json`` (OUT/labels.json,
the tool's own lossless format), ``openlabel`` (OUT/<sequence>.openlabel.json, ASAM OpenLABEL 1.0). Every file is written to a temporary file and renamed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..model import Annotation, LabelSchema, Sequence, Track, default_schema
from .errors import UnsupportedFormatError
from .registry import LoadedSequence

FORMATS = ("kitti", "kitti-tracking", "nuscenes", "json", "openlabel")
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ExportSummary:
    format: str
    out_dir: Path
    frames: int
    tracks: int
    boxes: int
    skipped: int = 0

    def one_line(self) -> str:
        extra = f", {self.skipped} boxes on non-key frames skipped" if self.skipped else ""
        return (f"exported {self.format}: {self.frames} frames, {self.tracks} tracks, "
                f"{self.boxes} boxes -> {self.out_dir}{extra}")


def labels_of(source: Any) -> tuple[Sequence, list[Track], list[Annotation], LabelSchema]:
    """(sequence, tracks, annotations, schema) of a LoadedSequence, Project or opened project."""
    if isinstance(source, LoadedSequence):
        from .labels_json import schema_of
        return source.sequence, list(source.tracks), list(source.annotations), schema_of(source) or default_schema()
    project = getattr(source, "project", source)
    try:
        return (project.sequence, list(project.tracks.values()), list(project.annotations.values()),
                project.schema)
    except AttributeError:
        raise TypeError(f"cannot export from {type(source).__name__}: expected a LoadedSequence or a Project") from None


def export_labels(source: Any, format: str, out_dir: Path | str, progress: Progress | None = None,
                  **options: Any) -> ExportSummary:
    """Export the labels of ``source`` in ``format`` under ``out_dir``.

    ``options`` go to the writer (e.g. ``version=`` for nuScenes)."""
    out_dir = Path(out_dir)
    sequence, tracks, annotations, schema = labels_of(source)
    if format == "kitti":
        from .kitti import write_kitti_object
        counts = write_kitti_object(sequence, tracks, annotations, out_dir, schema, progress)
    elif format == "kitti-tracking":
        from .kitti_tracking import write_kitti_tracking
        counts = write_kitti_tracking(sequence, tracks, annotations, out_dir, schema, progress)
    elif format == "nuscenes":
        from .nuscenes import write_nuscenes
        counts = write_nuscenes(sequence, tracks, annotations, out_dir, schema=schema, progress=progress, **options)
    elif format == "json":
        from .labels_json import write_labels_json
        counts = write_labels_json(out_dir / options.get("filename", "labels.json"), sequence, tracks,
                                   annotations, schema)
        if progress is not None:
            progress(len(sequence.frames), len(sequence.frames))
    elif format == "openlabel":
        from .openlabel import export_file_name, write_openlabel
        counts = write_openlabel(out_dir / options.get("filename", export_file_name(sequence)), sequence, tracks,
                                 annotations, schema)
        if progress is not None:
            progress(len(sequence.frames), len(sequence.frames))
    else:
        raise UnsupportedFormatError(None, f"unknown export format {format!r}; expected one of {', '.join(FORMATS)}")
    return ExportSummary(format, out_dir, counts["frames"], counts["tracks"], counts["boxes"],
                         counts.get("skipped", 0))
