"""One entry point for exports: ``export_labels(source, format, out_dir)``.

``source`` is a ``LoadedSequence`` (a dataset read with its own labels), a model
``Project``, or anything with a ``.project`` (an opened project store). Formats:
``kitti`` (OUT/label_2 + calib), ``kitti-tracking`` (OUT/label_02/SSSS.txt + calib),
``nuscenes`` (OUT/<version>/*.json + the sweeps it references), ``json`` (OUT/labels.json,
the tool's own lossless format), ``openlabel`` (OUT/<sequence>.openlabel.json, ASAM
OpenLABEL 1.0). Every file is written to a temporary file and renamed."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from ..model import Annotation, LabelSchema, Sequence, Track
from ..model.schema import default_schema_for
from .atomic import TEMP_NAME, WriteError, confined_to, remove_stale_temporaries, write_text_atomic
from .errors import UnsupportedFormatError
from .paths import plain_name
from .registry import LoadedSequence

INCOMPLETE_MARKER = "EXPORT_INCOMPLETE.txt"

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
    files: int = 0
    warnings: tuple[str, ...] = ()

    def one_line(self) -> str:
        extra = f", {self.skipped} boxes on non-key frames skipped" if self.skipped else ""
        return (f"exported {self.format}: {self.frames} frames, {self.tracks} tracks, "
                f"{self.boxes} boxes, {self.files} files -> {self.out_dir}{extra}")


def labels_of(source: Any) -> tuple[Sequence, list[Track], list[Annotation], LabelSchema]:
    """(sequence, tracks, annotations, schema) of a LoadedSequence, Project or opened project."""
    if isinstance(source, LoadedSequence):
        from .labels_json import schema_of
        schema = schema_of(source) or default_schema_for(source.sequence.format)
        return source.sequence, list(source.tracks), list(source.annotations), schema  # as a Project of it has
    project = getattr(source, "project", source)
    try:
        return (project.sequence, list(project.tracks.values()), list(project.annotations.values()),
                project.schema)
    except AttributeError:
        raise TypeError(f"cannot export from {type(source).__name__}: expected a LoadedSequence or a Project") from None


def export_labels(source: Any, format: str, out_dir: Path | str, progress: Progress | None = None,
                  **options: Any) -> ExportSummary:
    """Export the labels of ``source`` in ``format`` under ``out_dir``.

    ``options`` go to the writer (e.g. ``version=`` for nuScenes). Nothing is written
    outside ``out_dir``; while the export runs, ``out_dir/EXPORT_INCOMPLETE.txt`` says
    so (it stays when the export fails); temporaries of an interrupted export are
    removed; files of an earlier export that this one did not write are named in
    ``warnings``."""
    out_dir = Path(out_dir)
    sequence, tracks, annotations, schema = labels_of(source)
    if format not in FORMATS:
        raise UnsupportedFormatError(None, f"unknown export format {format!r}; expected one of {', '.join(FORMATS)}")
    with _export_folder(out_dir) as (written, before):
        counts = _write(format, sequence, tracks, annotations, schema, out_dir, progress, options)
    folders = {p.parent for p in written}
    stale = sorted(p for p in before - set(written) if p.parent in folders)
    warnings = ()
    if stale:
        names = ", ".join(str(p.relative_to(out_dir.resolve())) for p in stale[:5])
        more = f" and {len(stale) - 5} more" if len(stale) > 5 else ""
        warnings = (f"{len(stale)} files in {out_dir} are not part of this export (left from an earlier one?): "
                    f"{names}{more}",)
    return ExportSummary(format, out_dir, counts["frames"], counts["tracks"], counts["boxes"],
                         counts.get("skipped", 0), len(set(written)), warnings)


@contextlib.contextmanager
def _export_folder(out_dir: Path) -> Iterator[tuple[list[Path], set[Path]]]:
    """Prepare ``out_dir`` (refuse a file there, sweep temporaries, mark incomplete),
    confine the writes to it, and clear the mark when the block succeeds."""
    if out_dir.exists() and not out_dir.is_dir():
        raise WriteError(out_dir, "the export destination is a file, not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(out_dir, f"cannot create the export folder: {exc.strerror or exc}") from None
    remove_stale_temporaries(out_dir)
    marker = out_dir / INCOMPLETE_MARKER
    before = {p.resolve() for p in out_dir.rglob("*")
              if p.is_file() and p.name != INCOMPLETE_MARKER and not TEMP_NAME.match(p.name)}
    write_text_atomic(marker, "This export did not finish: the files in this folder are not a complete delivery.\n")
    with confined_to(out_dir) as written:
        yield written, before
    marker.unlink(missing_ok=True)


def _write(format: str, sequence: Sequence, tracks: list[Track], annotations: list[Annotation],
           schema: LabelSchema, out_dir: Path, progress: Progress | None, options: dict[str, Any]) -> dict[str, int]:
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
        name = plain_name(options.get("filename", "labels.json"), "the JSON file name")
        counts = write_labels_json(out_dir / name, sequence, tracks,
                                   annotations, schema)
        if progress is not None:
            progress(len(sequence.frames), len(sequence.frames))
    elif format == "openlabel":
        from .openlabel import export_file_name, write_openlabel
        name = plain_name(options.get("filename", export_file_name(sequence)), "the OpenLABEL file name")
        counts = write_openlabel(out_dir / name, sequence, tracks, annotations, schema)
        if progress is not None:
            progress(len(sequence.frames), len(sequence.frames))
    else:
        raise UnsupportedFormatError(None, f"unknown export format {format!r}; expected one of {', '.join(FORMATS)}")
    return counts
