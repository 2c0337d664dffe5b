"""What File > Export… does, without Qt: the pre-export check, the export with
cancellation, and the summary (files written, boxes per class). Runs on a worker thread."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sweeplabel.assist.checks import CheckSettings, Finding, Severity, is_waived, run_checks
from sweeplabel.io.export import ExportSummary, export_labels
from sweeplabel.model import Project

Progress = Callable[[int, int], None]
FORMAT_LABELS = {"kitti": "KITTI object (label_2)", "kitti-tracking": "KITTI tracking (label_02)",
                 "nuscenes": "nuScenes", "json": "sweeplabel JSON (lossless)", "openlabel": "ASAM OpenLABEL"}


class ExportCancelled(Exception):
    """The user cancelled the export (files written so far stay whole)."""


@dataclass
class ExportResult:
    summary: ExportSummary | None
    files_written: list[Path]
    boxes_per_class: dict[str, int]
    cancelled: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """The summary shown to the user."""
        head = "Export cancelled" if self.cancelled else "Export finished"
        lines = [f"{head}: {len(self.files_written)} files written"]
        if self.summary is not None:
            lines[0] += f" to {self.summary.out_dir}"
            lines.append(f"{self.summary.frames} frames, {self.summary.tracks} tracks, {self.summary.boxes} boxes"
                         + (f" ({self.summary.skipped} skipped)" if self.summary.skipped else ""))
        if self.boxes_per_class:
            lines.append("Boxes per class: " + ", ".join(f"{name} {n}" for name, n in self.boxes_per_class.items()))
        return "\n".join(lines)


def blocking_findings(project: Project, settings: CheckSettings | None = None,
                      use_points: bool = True) -> list[Finding]:
    """The check's errors a reviewer has not accepted (what "export anyway" is about)."""
    findings = run_checks(project, settings, use_points=use_points)
    return [f for f in findings if f.severity == Severity.ERROR and not is_waived(project, f)]


def finding_text(finding: Finding) -> str:
    """``frame 3 · check · message`` with the frame numbered from 1, as everywhere in the app."""
    where = "whole sequence" if finding.frame_index is None else f"frame {finding.frame_index + 1}"
    return f"{where} · {finding.check} · {finding.message}"


def boxes_per_class(project: Project) -> dict[str, int]:
    """Boxes per class label, most frequent first."""
    counts: Counter[str] = Counter()
    for ann in project.annotations.values():
        track = project.get_track(ann.track_token)
        if track is not None:
            counts[project.schema.category(track.category).label] += 1
    return dict(counts.most_common())


def _snapshot(folder: Path) -> dict[Path, tuple[int, int]]:
    if not folder.is_dir():
        return {}
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*") if p.is_file()}


def run_export(project: Project, format: str, out_dir: Path, progress: Progress | None = None,
               cancel: threading.Event | None = None) -> ExportResult:
    """Export ``project`` as ``format`` into ``out_dir``; ``cancel`` stops it between frames."""
    out_dir = Path(out_dir)
    before = _snapshot(out_dir)

    def on_progress(done: int, total: int) -> None:
        if cancel is not None and cancel.is_set():
            raise ExportCancelled()
        if progress is not None:
            progress(done, total)

    summary, cancelled = None, False
    try:
        summary = export_labels(project, format, out_dir, on_progress)
    except ExportCancelled:
        cancelled = True
    after = _snapshot(out_dir)
    written = sorted(p for p, stamp in after.items() if before.get(p) != stamp)
    return ExportResult(summary, written, boxes_per_class(project), cancelled)
