"""Tracking-assist edits as plain functions over the model (no Qt): the editor's
re-interpolating execute, the propagation stop flag and user-facing report texts."""

from __future__ import annotations

from sweeplabel.assist.interpolation import execute_with_reinterpolation, interpolate_track, stale_interpolations
import numpy as np

from sweeplabel.assist.propagation import STOP_ATTRIBUTE, PropagationReport
from sweeplabel.model import Annotation, Change, Command, Frame, Project, Source, Track
from sweeplabel.viewer.frame_data import FrameData


def tracks_to_reinterpolate(project: Project, command: Command) -> list[str]:
    """Tracks whose keyframes ``command`` changes and that hold interpolated boxes."""
    touched = []
    for change in command.changes:
        for ann in (change.before, change.after):
            if isinstance(ann, Annotation) and ann.source != Source.INTERPOLATED:
                touched.append(ann.track_token)
    return [t for t in dict.fromkeys(touched) if project.get_track(t) is not None
            and any(a.source == Source.INTERPOLATED for a in project.annotations_of_track(t))]


def clear_checked_flags(command: Command) -> Command:
    """A box edited by hand is checked: its propagation stop flag goes with the edit."""
    changes = []
    for c in command.changes:
        before, after = c.before, c.after
        if (isinstance(before, Annotation) and isinstance(after, Annotation) and STOP_ATTRIBUTE in after.attributes
                and after.source == Source.MANUAL and before.box != after.box):
            attrs = {k: v for k, v in after.attributes.items() if k != STOP_ATTRIBUTE}
            c = Change(before, after.evolve(attributes=attrs))
        changes.append(c)
    return Command(command.text, changes, command.merge_key)


def execute_edit(project: Project, command: Command) -> None:
    """Execute an editor command; when it changes keyframes of a track with interpolated
    boxes, those are re-computed in the same undo step (``execute_with_reinterpolation``).
    A merging command (a held key, a drag) stays mergeable: the re-interpolation carries
    its merge key, so the whole drag is still one undo step."""
    command = clear_checked_flags(command)
    if not all(isinstance(c.before or c.after, (Annotation, Track)) for c in command.changes):
        project.execute(command)  # e.g. review comments: nothing to re-interpolate
        return
    tracks = tracks_to_reinterpolate(project, command)
    if not tracks:
        project.execute(command)
    elif command.merge_key is None:
        execute_with_reinterpolation(project, command)
    else:
        project.execute(command)
        for track in tracks:
            if project.get_track(track) is None:
                continue
            for follow in (stale_interpolations(project, track), interpolate_track(project, track)):
                follow.merge_key = command.merge_key
                project.execute(follow)


def flagged_frames(project: Project, track_token: str | None) -> set[int]:
    """Frames where the track's box carries the propagation stop flag."""
    if track_token is None or project.get_track(track_token) is None:
        return set()
    return {a.frame_index for a in project.annotations_of_track(track_token) if STOP_ATTRIBUTE in a.attributes}


def flagged_tracks(project: Project) -> set[str]:
    """Tracks with at least one flagged box."""
    return {a.track_token for a in project.annotations.values() if STOP_ATTRIBUTE in a.attributes}


def without_flag(ann: Annotation) -> Command:
    """Clear the flag of ``ann`` (empty command when it has none)."""
    if STOP_ATTRIBUTE not in ann.attributes:
        return Command("Clear flag", [])
    attrs = {k: v for k, v in ann.attributes.items() if k != STOP_ATTRIBUTE}
    return Command("Clear flag", [Change(ann, ann.evolve(attributes=attrs))])


def propagation_message(report: PropagationReport, track_number: int) -> str:
    """What a propagation run did, in the status bar's words (1-based frame numbers)."""
    done = len(report.accepted)
    kept = sum(1 for s in report.accepted if s.status == "kept")
    guessed = sum(1 for s in report.accepted if s.stopped)
    text = f"Track {track_number}: propagated to {done} frame{'s' if done != 1 else ''}"
    if done:
        text += f" ({done - kept - guessed} re-fitted, {kept} kept in place" + \
            (f", {guessed} predicted)" if guessed else ")")
    if report.stop_reason is None:
        return text
    if report.stop_reason == "end_of_sequence":
        return text + "; reached the end of the sequence"
    if report.stop_reason == "keyframe":
        return text + f"; stopped before the keyframe in frame {report.stop_frame + 1}"
    flagged = report.accepted[-1].frame_index if report.accepted else report.start_frame
    what = "the predicted box there is flagged" if flagged == report.stop_frame else \
        f"the box in frame {flagged + 1} is flagged"
    return f"⚑ {text}; STOPPED at frame {report.stop_frame + 1}: {report.stop_reason} — {what}, check it"


def sensor_points(data: FrameData, frame: Frame, render_origin_m: np.ndarray) -> np.ndarray:
    """The frame's sensor-frame points (N, 3) float32 from the editor's render-frame copy
    (``data.xyz_m`` = world - render origin): propagation then reads no file for a frame the
    editor holds (an Argoverse 2 Feather sweep takes 43-100 ms to read)."""
    T = frame.T_world_sensor
    rel = data.xyz_m.astype(np.float64) + (np.asarray(render_origin_m, dtype=np.float64) - T[:3, 3])
    out = np.empty((len(rel), 3), dtype=np.float32)
    for k in range(3):  # R^T (p_world - t), column by column (no BLAS threads)
        out[:, k] = rel[:, 0] * T[0, k] + rel[:, 1] * T[1, k] + rel[:, 2] * T[2, k]
    return out
