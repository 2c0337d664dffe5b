"""Edits after review: a box or track a reviewer accepted and somebody then changed
is no longer accepted but ``changed`` (changed since review), so the QA gate sees it
again. Applied to every command in ``Project.execute``; review commands themselves
(which set the state) are left alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .entities import Annotation, ReviewState, Track
from .undo import Change, Command

if TYPE_CHECKING:
    from .project import Project

REVIEWED = (ReviewState.ACCEPTED,)


def _annotation_content(a: Annotation) -> tuple:
    return (a.box.to_array().tobytes(), dict(a.attributes), a.track_token, a.frame_index)


def _track_content(t: Track) -> tuple:
    return (t.category, dict(t.attributes))


def _edited_after_review(ch: Change) -> bool:
    before, after = ch.before, ch.after
    if before is None or after is None or type(before) is not type(after):
        return False
    if not isinstance(before, (Annotation, Track)):
        return False
    if before.review_state not in REVIEWED or after.review_state != before.review_state:
        return False  # not reviewed, or the command sets the state itself
    content = _annotation_content if isinstance(before, Annotation) else _track_content
    return content(before) != content(after)  # type: ignore[arg-type]


def mark_changed_since_review(project: "Project", command: Command) -> Command:
    """``command`` with every accepted box/track it edits (and the accepted track of
    an edited box) marked ``changed``; the command itself when nothing is affected."""
    changes = list(command.changes)
    touched_tracks: set[str] = set()
    hit = False
    for i, ch in enumerate(changes):
        if _edited_after_review(ch):
            changes[i] = Change(ch.before, ch.after.evolve(review_state=ReviewState.CHANGED))  # type: ignore[union-attr]
            hit = True
        after = changes[i].after
        if isinstance(after, Annotation) and ch.before is not None and ch.before != after:
            touched_tracks.add(after.track_token)
        elif isinstance(after, Track):
            touched_tracks.discard(after.token)  # the command carries this track already
    in_command = {c.after.token for c in changes if isinstance(c.after, Track)}
    for token in sorted(touched_tracks - in_command):
        track = project.get_track(token)
        if track is not None and track.review_state in REVIEWED:
            changes.append(Change(track, track.evolve(review_state=ReviewState.CHANGED)))
            hit = True
    if not hit:
        return command
    return Command(command.text, changes, command.merge_key)
