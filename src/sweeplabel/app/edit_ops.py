"""Box edits as data and small functions that build model commands (no Qt).

A nudge is (kind, axis, sign) with a fine and a coarse step; the editor's actions are
generated from ``NUDGES`` so key handling never branches on key codes."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from sweeplabel.model import Annotation, Box, Change, Command, Project, Source, commands
from sweeplabel.model.entities import copyable_attributes

MOVE_STEP_M = (0.05, 0.5)  # (fine, coarse)
ROTATE_STEP_RAD = (math.radians(0.5), math.radians(5.0))
RESIZE_STEP_M = (0.05, 0.25)
MIN_SIZE_M = 0.05


@dataclass(frozen=True)
class Nudge:
    """One keyboard nudge: ``kind`` move|rotate|resize, ``axis`` 0..2 (box frame:
    forward, left, up; l, w, h), ``sign`` +1/-1, ``coarse`` picks the step."""

    id: str
    text: str
    kind: str
    axis: int
    sign: int
    coarse: bool = False

    def apply(self, box: Box) -> Box:
        step = 1 if self.coarse else 0
        if self.kind == "move":
            delta = np.zeros(3)
            delta[self.axis] = self.sign * MOVE_STEP_M[step]
            return box.moved_local(delta)
        if self.kind == "rotate":
            return box.rotated(self.sign * ROTATE_STEP_RAD[step])
        delta = np.zeros(3)
        delta[self.axis] = self.sign * RESIZE_STEP_M[step]
        if box.size_lwh_m[self.axis] + delta[self.axis] < MIN_SIZE_M:
            return box
        anchor = np.zeros(3)
        if self.axis == 2:
            anchor[2] = -1.0  # height grows upwards: the bottom stays on the ground
        return box.resized_anchored(delta, anchor)


def _nudges() -> tuple[Nudge, ...]:
    out: list[Nudge] = []
    names = {
        "move": (("forward", "backward", 0), ("left", "right", 1), ("up", "down", 2)),
        "resize": (("longer", "shorter", 0), ("wider", "narrower", 1), ("taller", "lower", 2)),
    }
    for kind, axes in names.items():
        for plus, minus, axis in axes:
            for coarse in (False, True):
                suffix = "_coarse" if coarse else ""
                label = " (coarse)" if coarse else ""
                verb = "Move" if kind == "move" else "Make"
                out.append(Nudge(f"{kind}_{plus}{suffix}", f"{verb} {plus}{label}", kind, axis, +1, coarse))
                out.append(Nudge(f"{kind}_{minus}{suffix}", f"{verb} {minus}{label}", kind, axis, -1, coarse))
    for coarse in (False, True):
        suffix = "_coarse" if coarse else ""
        label = " (coarse)" if coarse else ""
        out.append(Nudge(f"rotate_left{suffix}", f"Rotate left{label}", "rotate", 2, +1, coarse))
        out.append(Nudge(f"rotate_right{suffix}", f"Rotate right{label}", "rotate", 2, -1, coarse))
    return tuple(out)


NUDGES: tuple[Nudge, ...] = _nudges()


def nudge_command(project: Project, token: str, nudge: Nudge) -> Command:
    """One nudge of one box; repeated nudges (a held key) merge by their merge key."""
    box = nudge.apply(project.annotation(token).box)
    return commands.set_box(project, token, box, merge_key=f"nudge:{nudge.id}:{token}", text=nudge.text)


def flip_command(project: Project, token: str) -> Command:
    return commands.set_box(project, token, project.annotation(token).box.flipped(), text="Flip heading")


@dataclass(frozen=True)
class ClipboardItem:
    """A copied box: its track (token, class) and world box."""

    track_token: str
    category: str
    box: Box
    attributes: tuple[tuple[str, object], ...] = ()


def copy_items(project: Project, tokens: Iterable[str]) -> list[ClipboardItem]:
    items = []
    for token in tokens:
        ann = project.annotation(token)
        track = project.track(ann.track_token)
        items.append(ClipboardItem(track.token, track.category, ann.box, tuple(ann.attributes.items())))
    return items


def paste_commands(project: Project, items: list[ClipboardItem], frame_index: int) -> list[Command]:
    """Commands pasting ``items`` into ``frame_index`` (run them in one macro): a box of a
    track that still exists replaces/adds that track's box; a deleted track comes back as
    a new track of the same class."""
    out: list[Command] = []
    existing = [(i.track_token, frame_index, i.box) for i in items if project.get_track(i.track_token)]
    if existing:
        out.append(commands.put_annotations(project, existing, Source.MANUAL, text="Paste"))
    for item in items:
        if project.get_track(item.track_token) is None:
            out.append(commands.create_track(project, item.category, frame_index, item.box,
                                                 copyable_attributes(item.attributes)))
    return out


def propagate_command(project: Project, token: str, n_frames: int = 1) -> Command:
    """Copy the box to the next ``n_frames`` frames of its track (replacing boxes there)."""
    ann = project.annotation(token)
    last = min(ann.frame_index + n_frames, len(project.sequence) - 1)
    items = [(ann.track_token, f, ann.box) for f in range(ann.frame_index + 1, last + 1)]
    return commands.put_annotations(project, items, Source.PROPAGATED,
                                    text=f"Propagate to {len(items)} frame{'s' if len(items) != 1 else ''}",
                                    attributes=dict(ann.attributes))


def annotation_of_track_in_frame(project: Project, track_token: str, frame_index: int) -> Annotation | None:
    return project.annotation_at(track_token, frame_index) if project.get_track(track_token) else None


@dataclass(frozen=True)
class Reclass:
    """A class change: the command (one undo step) and how many boxes it resized."""

    command: Command
    resized: int
    old_label: str
    new_label: str


def reclass_command(project: Project, track_token: str, category: str, tol_m: float = 0.01) -> Reclass:
    """Set the track's class; every box of the track whose size is still the old class's
    default (within ``tol_m``) takes the new class's default, bottom centre and heading kept."""
    schema = project.schema
    old_cat = schema.category(project.track(track_token).category)
    new_cat = schema.category(category)
    recls = commands.set_track_category(project, track_token, category)
    old_default = np.asarray(old_cat.default_size_lwh_m)
    new_default = np.asarray(new_cat.default_size_lwh_m)
    by_token = {c.after.token: i for i, c in enumerate(recls.changes) if isinstance(c.after, Annotation)}
    resized = 0
    for ann in project.annotations_of_track(track_token):
        if not np.allclose(ann.box.size_lwh_m, old_default, atol=tol_m) or np.allclose(old_default, new_default):
            continue
        bottom = ann.box.bottom_center_m
        box = Box(bottom + [0.0, 0.0, new_default[2] / 2.0], new_default, ann.box.yaw_rad)
        if ann.token in by_token:  # its attributes changed too: one change per box
            i = by_token[ann.token]
            recls.changes[i] = Change(recls.changes[i].before, recls.changes[i].after.evolve(box=box))
        else:
            recls.changes.append(Change(ann, ann.evolve(box=box)))
        resized += 1
    return Reclass(recls, resized, old_cat.label, new_cat.label)
