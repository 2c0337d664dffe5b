"""Edit commands. Each factory reads the project's current state and returns a
``Command`` (a list of before/after changes) for ``project.execute``."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .entities import Annotation, ReviewState, Source, Track, new_token
from .geometry import Box
from .project import ModelError, Project
from .undo import Change, Command


def create_track(
    project: Project,
    category: str,
    frame_index: int,
    box: Box,
    attributes: Mapping[str, Any] | None = None,
    track_attributes: Mapping[str, Any] | None = None,
    source: Source = Source.MANUAL,
) -> Command:
    """A new track with its first box."""
    project.schema.validate_attributes(category, attributes or {})
    track = Track(new_token(), category, project.next_track_number(), track_attributes or {})
    ann = Annotation(new_token(), track.token, frame_index, box, attributes or {}, source)
    return Command(f"Create {project.schema.category(category).label}", [Change(None, track), Change(None, ann)])


def put_annotations(project: Project, items: Iterable[tuple[str, int, Box]], source: Source,
                    text: str = "Put boxes", attributes: Mapping[str, Any] | None = None) -> Command:
    """Set the box of each (track, frame): replace an existing one, add a missing one.

    Used by copy/paste, propagation and interpolation."""
    changes: list[Change] = []
    for track_token, frame_index, box in items:
        project.track(track_token)
        old = project.annotation_at(track_token, frame_index)
        if old is None:
            new = Annotation(new_token(), track_token, frame_index, box, attributes or {}, source)
        else:
            new = old.evolve(box=box, source=source, review_state=ReviewState.UNREVIEWED)
        changes.append(Change(old, new))
    return Command(text, changes)


def set_box(project: Project, token: str, box: Box, merge_key: str | None = None,
            text: str = "Edit box") -> Command:
    """Move/rotate/resize one box. Pass the same ``merge_key`` for every step of a drag."""
    old = project.annotation(token)
    new = old.evolve(box=box, source=Source.MANUAL)
    return Command(text, [Change(old, new)], merge_key)


def set_boxes(project: Project, boxes: Mapping[str, Box], text: str = "Edit boxes") -> Command:
    """Change many boxes in one step."""
    changes = []
    for token, box in boxes.items():
        old = project.annotation(token)
        changes.append(Change(old, old.evolve(box=box, source=Source.MANUAL)))
    return Command(text, changes)


def delete_annotations(project: Project, tokens: Iterable[str], drop_empty_tracks: bool = True) -> Command:
    """Delete boxes; a track left with no box is deleted with them."""
    tokens = list(dict.fromkeys(tokens))
    anns = [project.annotation(t) for t in tokens]
    changes = [Change(a, None) for a in anns]
    if drop_empty_tracks:
        removed = set(tokens)
        for track_token in dict.fromkeys(a.track_token for a in anns):
            rest = [a for a in project.annotations_of_track(track_token) if a.token not in removed]
            if not rest:
                changes.append(Change(project.track(track_token), None))
    return Command(f"Delete {len(anns)} box{'es' if len(anns) != 1 else ''}", changes)


def delete_track(project: Project, track_token: str) -> Command:
    """Delete a track and every box of it."""
    track = project.track(track_token)
    changes = [Change(a, None) for a in project.annotations_of_track(track_token)]
    changes.append(Change(track, None))
    return Command(f"Delete track {track.number}", changes)


def set_annotation_attributes(project: Project, token: str, attributes: Mapping[str, Any]) -> Command:
    """Update (merge) dynamic attributes of one box; a value of None removes the key."""
    old = project.annotation(token)
    merged = {**old.attributes, **attributes}
    merged = {k: v for k, v in merged.items() if v is not None}
    project.schema.validate_attributes(project.track(old.track_token).category, merged)
    return Command("Set attributes", [Change(old, old.evolve(attributes=merged))])


def set_track_category(project: Project, track_token: str, category: str) -> Command:
    """Change a track's class; attribute values the new class does not allow are dropped."""
    cat = project.schema.category(category)
    track = project.track(track_token)
    changes: list[Change] = [Change(track, track.evolve(category=category))]
    for ann in project.annotations_of_track(track_token):
        kept = {}
        for k, v in ann.attributes.items():
            allowed = cat.attributes.get(k) or project.schema.frame_attributes.get(k)
            known_elsewhere = any(k in c.attributes for c in project.schema.categories)
            if allowed is None and known_elsewhere:
                continue
            if allowed is None or v in allowed:
                kept[k] = v
        if kept != dict(ann.attributes):
            changes.append(Change(ann, ann.evolve(attributes=kept)))
    return Command(f"Set class {cat.label}", changes)


def set_track_attributes(project: Project, track_token: str, attributes: Mapping[str, Any]) -> Command:
    """Update (merge) static attributes of a track; None removes a key."""
    track = project.track(track_token)
    merged = {k: v for k, v in {**track.attributes, **attributes}.items() if v is not None}
    return Command("Set track attributes", [Change(track, track.evolve(attributes=merged))])


def set_review_state(project: Project, tokens: Iterable[str], state: ReviewState) -> Command:
    """Set the QA state of many boxes in one step."""
    changes = []
    for token in dict.fromkeys(tokens):
        old = project.annotation(token)
        if old.review_state != state:
            changes.append(Change(old, old.evolve(review_state=ReviewState(state))))
    return Command(f"Mark {ReviewState(state).value}", changes)


def move_annotation_to_track(project: Project, token: str, track_token: str) -> Command:
    """Re-assign a box to another track (fixes an identity switch)."""
    old = project.annotation(token)
    project.track(track_token)
    if project.annotation_at(track_token, old.frame_index) is not None:
        raise ModelError(f"track already has a box in frame {old.frame_index}")
    return Command("Change track", [Change(old, old.evolve(track_token=track_token))])
