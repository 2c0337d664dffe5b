"""A self-contained HTML QA report: review progress, findings, per-class counts,
open issues and per-track plots (speed, size, yaw over time) as inline PNGs.

Plots use matplotlib's object API with the Agg canvas (no pyplot, no GUI backend)."""

from __future__ import annotations

import base64
import html
import io
import os
import time
from collections import Counter
from pathlib import Path
from typing import Iterable

import numpy as np

from ..io.atomic import write_text_atomic
from ..model import Project, Track, frame_number, review_progress
from .checks import CHECKS, SKIPPED_CHECKS, Finding, is_waived

_STATE_COLORS = {"unreviewed": "#9e9e9e", "accepted": "#2e7d32", "rejected": "#c62828", "fixed": "#f9a825"}
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#222}
h1{margin:0 0 4px}h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}
th{background:#f3f3f3}.muted{color:#777}.error{color:#c62828;font-weight:600}.warning{color:#b26a00}
.bar{display:flex;height:18px;width:600px;border:1px solid #aaa}.bar div{height:100%}
.track{display:inline-block;margin:6px;vertical-align:top}.track img{width:720px;border:1px solid #eee}
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def track_series(project: Project, track: Track) -> dict[str, np.ndarray]:
    """Time (s), BEV speed (m/s, NaN for the first box), size (n, 3) and yaw (deg, unwrapped)."""
    anns = project.annotations_of_track(track.token)
    t = np.array([project.sequence[a.frame_index].timestamp_s for a in anns])
    boxes = np.array([a.box.to_array() for a in anns]).reshape(-1, 7)
    speed = np.full(len(anns), np.nan)
    if len(anns) > 1:
        dt = np.diff(t)
        step = np.linalg.norm(np.diff(boxes[:, :2], axis=0), axis=1)
        speed[1:] = np.where(dt > 0, step / np.where(dt > 0, dt, 1), np.nan)
    return {"time_s": t, "speed_mps": speed, "size_lwh_m": boxes[:, 3:6],
            "yaw_deg": np.degrees(np.unwrap(boxes[:, 6])), "frames": np.array([a.frame_index for a in anns])}


class TrackPlotter:
    """Draws one track at a time into a reused figure: speed, size (l, w, h) and yaw over
    time; frames with findings are marked by red bands. Returns PNG bytes."""

    def __init__(self, width_in: float = 9.0, height_in: float = 2.2, dpi: int = 80) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=(width_in, height_in), dpi=dpi)
        FigureCanvasAgg(self.fig)
        self.axes = self.fig.subplots(1, 3)
        self.fig.subplots_adjust(left=0.06, right=0.99, bottom=0.2, top=0.86, wspace=0.28)

    def png(self, project: Project, track: Track, marks: Iterable[int] = ()) -> bytes:
        s = track_series(project, track)
        ax_speed, ax_size, ax_yaw = self.axes
        for ax in self.axes:
            ax.cla()
        ax_speed.plot(s["time_s"], s["speed_mps"], ".-", color="#1f77b4")
        ax_speed.set_title("speed (m/s)", fontsize=9)
        for k, (name, color) in enumerate((("l", "#d62728"), ("w", "#2ca02c"), ("h", "#9467bd"))):
            ax_size.plot(s["time_s"], s["size_lwh_m"][:, k], ".-", color=color, label=name)
        ax_size.set_title("size (m)", fontsize=9)
        ax_size.legend(fontsize=7, loc="best", ncol=3)
        ax_yaw.plot(s["time_s"], s["yaw_deg"], ".-", color="#ff7f0e")
        ax_yaw.set_title("yaw (deg)", fontsize=9)
        marked = set(marks)
        for ax in self.axes:
            ax.tick_params(labelsize=7)
            ax.set_xlabel("time (s)", fontsize=7)
            for f, t in zip(s["frames"], s["time_s"]):
                if f in marked:
                    ax.axvline(t, color="red", alpha=0.35, lw=2)
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png")
        return buf.getvalue()


def track_plot_png(project: Project, track: Track, marks: Iterable[int] = ()) -> bytes:
    """PNG of one track's speed, size and yaw over time (see ``TrackPlotter``)."""
    return TrackPlotter().png(project, track, marks)


def _progress_html(project: Project) -> str:
    prog = review_progress(project)
    total = sum(prog.annotations.values()) or 1
    bar = "".join(f'<div title="{_e(k)}: {v}" style="width:{100 * v / total:.2f}%;background:{_STATE_COLORS[k]}">'
                  "</div>" for k, v in prog.annotations.items() if v)
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{prog.annotations[k]}</td><td>{prog.tracks[k]}</td></tr>"
                   for k in _STATE_COLORS)
    return (f"<p>{prog.reviewed_fraction:.0%} of the boxes reviewed · {prog.open_comments} open issues, "
            f"{prog.resolved_comments} resolved</p><div class='bar'>{bar}</div>"
            f"<table><tr><th>state</th><th>boxes</th><th>tracks</th></tr>{rows}</table>")


def _classes_html(project: Project) -> str:
    tracks = Counter(t.category for t in project.tracks.values())
    boxes = Counter(project.track(a.track_token).category for a in project.annotations.values())
    rows = "".join(f"<tr><td>{_e(c)}</td><td>{tracks[c]}</td><td>{boxes[c]}</td></tr>" for c in sorted(tracks))
    return f"<table><tr><th>class</th><th>tracks</th><th>boxes</th></tr>{rows}</table>"


def _summary_html(findings: list[Finding]) -> str:
    counts = Counter((f.check, f.severity.value) for f in findings)
    summary = "".join(f"<tr><td>{_e(c)}</td><td class='{s}'>{s}</td><td>{n}</td>"
                      f"<td class='muted'>{_e(CHECKS[c].description)}</td></tr>"
                      for (c, s), n in sorted(counts.items()))
    skipped = "".join(f"<li>{_e(k)}: {_e(v)}</li>" for k, v in SKIPPED_CHECKS.items())
    return (f"<table><tr><th>check</th><th>severity</th><th>count</th><th></th></tr>{summary}</table>"
            f"<p class='muted'>Not checked:</p><ul class='muted'>{skipped}</ul>")


def _findings_html(project: Project, findings: list[Finding], limit: int) -> str:
    rows = "".join(
        f"<tr><td>{'' if f.frame_index is None else frame_number(f.frame_index)}</td><td class='{f.severity.value}'>"
        f"{f.severity.value}</td><td>{_e(f.check)}</td><td>{_e(f.message)}</td>"
        f"<td>{'accepted (waived)' if is_waived(project, f) else ''}</td></tr>" for f in findings[:limit])
    more = f"<p class='muted'>… and {len(findings) - limit} more</p>" if len(findings) > limit else ""
    return (f"<details><summary>{len(findings)} findings by frame</summary>"
            f"<table><tr><th>frame</th><th>severity</th><th>check</th><th>finding</th><th>review</th></tr>"
            f"{rows}</table>{more}</details>")


def _issues_html(project: Project) -> str:
    open_ = sorted((c for c in project.comments.values() if c.is_open), key=lambda c: c.created_s)
    if not open_:
        return "<p class='muted'>No open issues.</p>"
    items = []
    for c in open_:
        track = project.get_track(c.track_token) if c.track_token else None
        where = ", ".join(x for x in (
            f"frame {frame_number(c.frame_index)}" if c.frame_index is not None else "",
            f"track {track.number}" if track else "",
            "box" if c.annotation_token else "",
            "point ({:.1f}, {:.1f}, {:.1f}) m".format(*c.point_m) if c.point_m else "") if x)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(c.created_s))
        thread = "".join(f"<li><b>{_e(r.author)}</b>: {_e(r.text)}</li>" for r in c.replies)
        items.append(f"<li><b>{_e(c.author)}</b> <span class='muted'>{when} · {_e(where)}</span><br>"
                     f"{_e(c.text)}<ul>{thread}</ul></li>")
    return f"<ol>{''.join(items)}</ol>"


def build_report(project: Project, findings: list[Finding], title: str | None = None,
                 max_tracks: int = 100, max_findings: int = 500) -> str:
    """The report as one HTML string (images inline, no external files)."""
    title = title or f"QA report: {project.sequence.name}"
    marks: dict[str, set[int]] = {}
    for f in findings:
        if f.track_token and f.frame_index is not None:
            marks.setdefault(f.track_token, set()).add(f.frame_index)
    tracks = sorted(project.tracks.values(), key=lambda t: t.number)
    plotted = [t for t in tracks if len(project.annotations_of_track(t.token)) >= 2][:max_tracks]
    figures = []
    plotter = TrackPlotter() if plotted else None
    for t in plotted:
        assert plotter is not None
        png = base64.b64encode(plotter.png(project, t, marks.get(t.token, ()))).decode("ascii")
        n_find = sum(1 for f in findings if f.track_token == t.token)
        figures.append(f"<div class='track'><b>track {t.number}</b> {_e(t.category)} "
                       f"<span style='color:{_STATE_COLORS[t.review_state.value]}'>{t.review_state.value}</span>"
                       f" · {n_find} findings<br><img alt='track {t.number} plots' "
                       f"src='data:image/png;base64,{png}'></div>")
    skipped = len([t for t in tracks if len(project.annotations_of_track(t.token)) >= 2]) - len(plotted)
    note = f"<p class='muted'>{skipped} more tracks not plotted.</p>" if skipped > 0 else ""
    generated = time.strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>"
        f"<p class='muted'>{len(project.sequence)} frames · {len(project.tracks)} tracks · "
        f"{len(project.annotations)} boxes · generated {generated} for {_e(project.author)}</p>"
        f"<h2>Review progress</h2>{_progress_html(project)}"
        f"<h2>Classes</h2>{_classes_html(project)}"
        f"<h2>Open issues</h2>{_issues_html(project)}"
        f"<h2>Automatic checks ({len(findings)} findings)</h2>{_summary_html(findings)}"
        f"<h2>Tracks</h2>{''.join(figures)}{note}"
        f"<h2>Findings</h2>{_findings_html(project, findings, max_findings)}</body></html>"
    )


def write_report(path: Path | str, project: Project, findings: list[Finding], **options: object) -> Path:
    """Build the report and write it atomically (temporary file, then rename)."""
    path = Path(path)
    write_text_atomic(path, build_report(project, findings, **options))  # type: ignore[arg-type]
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)  # the temporary file was private (mkstemp)
    return path
