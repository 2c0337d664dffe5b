"""Edits of many tracks at once (the track list's multi-selection), each one undo step,
and the selections the bar offers (auto tracks below a score). No Qt here."""

from __future__ import annotations

from typing import Iterable

from sweeplabel.model import Command, Project, ReviewState, Source, commands


def _joined(text: str, parts: Iterable[Command]) -> Command:
    changes = [change for part in parts for change in part.changes]
    return Command(text, changes)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def delete_tracks(project: Project, track_tokens: Iterable[str]) -> Command:
    """Delete every listed track with its boxes (one step)."""
    tokens = [t for t in dict.fromkeys(track_tokens) if project.get_track(t) is not None]
    return _joined(f"Delete {_plural(len(tokens), 'track')}", (commands.delete_track(project, t) for t in tokens))


def set_tracks_category(project: Project, track_tokens: Iterable[str], category: str) -> Command:
    """Give every listed track ``category`` (one step)."""
    label = project.schema.category(category).label
    tokens = [t for t in dict.fromkeys(track_tokens) if project.track(t).category != category]
    return _joined(f"Set class {label} on {_plural(len(tokens), 'track')}",
                   (commands.set_track_category(project, t, category) for t in tokens))


def review_tracks(project: Project, track_tokens: Iterable[str], state: ReviewState) -> Command:
    """Accept or reject every listed track and all its boxes (one step)."""
    tokens = list(dict.fromkeys(track_tokens))
    state = ReviewState(state)
    return _joined(f"Mark {_plural(len(tokens), 'track')} {state.value}",
                   (commands.review_track_range(project, t, state) for t in tokens))


def auto_tracks_below(project: Project, max_score: float, among: Iterable[str] | None = None) -> list[str]:
    """Tracks made by the machine (every box ``auto``) whose ``Track.score`` is below
    ``max_score``; an unscored auto track counts as 0."""
    tokens = list(among) if among is not None else list(project.tracks)
    out = []
    for token in tokens:
        track = project.get_track(token)
        anns = project.annotations_of_track(token)
        if track is None or not anns or any(a.source != Source.AUTO for a in anns):
            continue
        if (track.score if track.score is not None else 0.0) < max_score:
            out.append(token)
    return out
