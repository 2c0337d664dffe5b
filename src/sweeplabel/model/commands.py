"""Edit commands. Each factory reads the project's current state and returns a
``Command`` (a list of before/after changes) for ``project.execute``."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from .entities import Annotation, ReviewState, Source, Track, copyable_attributes, new_token
from .geometry import Box
from .project import ModelError, Project
from .review import Comment, CommentState, Reply, aggregate_state
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
    carried = copyable_attributes(attributes)  # a new box is not the imported one
    for track_token, frame_index, box in items:
        project.track(track_token)
        old = project.annotation_at(track_token, frame_index)
        if old is None:
            new = Annotation(new_token(), track_token, frame_index, box, carried, source)
        else:
            state = ReviewState.UNREVIEWED if old.review_state == ReviewState.UNREVIEWED else ReviewState.CHANGED
            new = old.evolve(box=box, source=source, review_state=state)
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
    """Set the QA state of many boxes in one step (stamped with ``project.author`` and now)."""
    changes = []
    who, now_s = project.author, project.clock()
    for token in dict.fromkeys(tokens):
        old = project.annotation(token)
        if old.review_state != state:
            changes.append(Change(old, old.evolve(review_state=ReviewState(state), reviewed_by=who,
                                                  reviewed_s=now_s)))
    return Command(f"Mark {ReviewState(state).value}", changes)


def move_annotation_to_track(project: Project, token: str, track_token: str) -> Command:
    """Re-assign a box to another track (fixes an identity switch)."""
    old = project.annotation(token)
    project.track(track_token)
    if project.annotation_at(track_token, old.frame_index) is not None:
        raise ModelError(f"track already has a box in frame {old.frame_index}")
    return Command("Change track", [Change(old, old.evolve(track_token=track_token))])


# -- review ------------------------------------------------------------------------------
def set_track_review_state(project: Project, track_tokens: Iterable[str], state: ReviewState) -> Command:
    """Set the QA state of whole tracks (their own state, not their boxes')."""
    state = ReviewState(state)
    who, now_s = project.author, project.clock()
    changes = []
    for token in dict.fromkeys(track_tokens):
        old = project.track(token)
        if old.review_state != state:
            changes.append(Change(old, old.evolve(review_state=state, reviewed_by=who, reviewed_s=now_s)))
    return Command(f"Mark {len(changes)} track{'s' if len(changes) != 1 else ''} {state.value}", changes)


def review_track_range(project: Project, track_token: str, state: ReviewState,
                       first_frame: int | None = None, last_frame: int | None = None) -> Command:
    """Accept/reject (any state) the track's boxes in frames ``first..last`` (inclusive;
    None = open end) in one step. The track's own state becomes the aggregate of all
    its boxes afterwards (see ``review.aggregate_state``)."""
    state = ReviewState(state)
    track = project.track(track_token)
    lo = -1 if first_frame is None else int(first_frame)
    hi = len(project.sequence) if last_frame is None else int(last_frame)
    if lo > hi:
        raise ModelError(f"empty frame range {first_frame}..{last_frame}")
    who, now_s = project.author, project.clock()
    changes: list[Change] = []
    states = []
    for ann in project.annotations_of_track(track_token):
        if lo <= ann.frame_index <= hi and ann.review_state != state:
            new = ann.evolve(review_state=state, reviewed_by=who, reviewed_s=now_s)
            changes.append(Change(ann, new))
            states.append(state)
        else:
            states.append(state if lo <= ann.frame_index <= hi else ann.review_state)
    track_state = aggregate_state(states)
    if track_state != track.review_state:
        changes.insert(0, Change(track, track.evolve(review_state=track_state, reviewed_by=who,
                                                     reviewed_s=now_s)))
    span = "" if first_frame is None and last_frame is None else \
        f" frames {'' if first_frame is None else first_frame}..{'' if last_frame is None else last_frame}"
    return Command(f"Mark track {track.number}{span} {state.value}", changes)


def add_comment(project: Project, text: str, *, frame_index: int | None = None,
                track_token: str | None = None, annotation_token: str | None = None,
                point_m: Iterable[float] | None = None, token: str | None = None) -> Command:
    """A new open comment by ``project.author``. Pinned to an annotation, it also
    records the annotation's track and frame; a 3D point (world frame) needs a frame."""
    if not text.strip():
        raise ModelError("a comment needs some text")
    if annotation_token is not None:
        ann = project.annotation(annotation_token)
        if track_token is not None and track_token != ann.track_token:
            raise ModelError("the annotation belongs to another track")
        if frame_index is not None and frame_index != ann.frame_index:
            raise ModelError("the annotation is in another frame")
        track_token, frame_index = ann.track_token, ann.frame_index
    elif track_token is not None:
        project.track(track_token)
    try:
        comment = Comment(token or new_token(), text, project.author, project.clock(), frame_index,
                          track_token, annotation_token,
                          None if point_m is None else tuple(point_m))  # type: ignore[arg-type]
    except ValueError as exc:
        raise ModelError(str(exc)) from None
    return Command("Add comment", [Change(None, comment)])  # type: ignore[arg-type]


def reply_to_comment(project: Project, token: str, text: str) -> Command:
    """Append a reply by ``project.author`` to a comment's thread."""
    if not text.strip():
        raise ModelError("a reply needs some text")
    old = project.comment(token)
    new = old.evolve(replies=old.replies + (Reply(project.author, project.clock(), text),))
    return Command("Reply to comment", [Change(old, new)])  # type: ignore[arg-type]


def set_comment_state(project: Project, token: str, state: CommentState) -> Command:
    """Resolve or reopen a comment (resolving records who and when)."""
    state = CommentState(state)
    old = project.comment(token)
    if state == CommentState.RESOLVED:
        new = old.evolve(state=state, resolved_by=project.author, resolved_s=project.clock())
    else:
        new = old.evolve(state=state, resolved_by="", resolved_s=0.0)
    text = "Resolve comment" if state == CommentState.RESOLVED else "Reopen comment"
    return Command(text, [Change(old, new)] if new != old else [])  # type: ignore[arg-type]


def edit_comment(project: Project, token: str, text: str) -> Command:
    """Change a comment's text."""
    old = project.comment(token)
    return Command("Edit comment", [Change(old, old.evolve(text=text))])  # type: ignore[arg-type]


def delete_comment(project: Project, token: str) -> Command:
    old = project.comment(token)
    return Command("Delete comment", [Change(old, None)])  # type: ignore[arg-type]
