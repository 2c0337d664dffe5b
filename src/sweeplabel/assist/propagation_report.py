"""What a propagation run did (``StepFit`` per frame, ``PropagationReport``) and the one command
that writes its boxes (one undo step; the last box of a stopped run flagged ``STOP_ATTRIBUTE``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Annotation, Box, Change, Command, Project, Source, frame_number, new_token
from ..model.entities import ReviewState

STOP_ATTRIBUTE = "propagation_stop"  # set on the last propagated box when a run stops on a poor fit
STOP_STATUSES = ("too_few_points", "poor_fit", "moved")  # a run stops there and writes the prediction, flagged


@dataclass(frozen=True)
class StepFit:
    """One frame of a propagation run."""

    frame_index: int
    predicted: Box
    box: Box | None  # the box written: the fit, or the prediction ("kept"; a stop: flagged)
    num_points: int
    jump_m: float
    bev_iou_pred: float
    status: str  # "fitted" | "kept" (stationary, prediction kept) | a stop code (``STOP_STATUSES``)

    @property
    def stopped(self) -> bool:
        """The run stopped here: the prediction is written, flagged (``STOP_ATTRIBUTE``)."""
        return self.status in STOP_STATUSES


@dataclass
class PropagationReport:
    """What a run did; ``command`` writes the accepted boxes (one undo step)."""

    track_token: str
    start_frame: int
    steps: list[StepFit]
    stop_reason: str | None  # None: all requested frames were propagated
    stop_frame: int | None
    command: Command

    @property
    def accepted(self) -> list[StepFit]:
        return [s for s in self.steps if s.box is not None]

    @property
    def flagged(self) -> bool:
        return self.stop_reason is not None and self.stop_reason not in ("end_of_sequence", "keyframe")

    def summary(self) -> str:
        text = f"propagated {len(self.accepted)} frame(s) from frame {frame_number(self.start_frame)}"
        if self.stop_reason:
            text += f"; stopped at frame {frame_number(self.stop_frame)}: {self.stop_reason}"
        return text


def _command(project: Project, track_token: str, start: Annotation, steps: list[StepFit],
             reason: str | None) -> Command:
    accepted = [s for s in steps if s.box is not None]
    flagged = reason is not None and reason not in ("end_of_sequence", "keyframe")
    changes: list[Change] = []
    for k, step in enumerate(accepted):
        old = project.annotation_at(track_token, step.frame_index)
        attrs = dict(old.attributes) if old is not None else {}
        attrs.pop(STOP_ATTRIBUTE, None)
        if flagged and k == len(accepted) - 1:
            attrs[STOP_ATTRIBUTE] = reason
        if old is None:
            new = Annotation(new_token(), track_token, step.frame_index, step.box, attrs, Source.PROPAGATED)
        else:
            new = old.evolve(box=step.box, attributes=attrs, source=Source.PROPAGATED,
                             review_state=ReviewState.UNREVIEWED)
        changes.append(Change(old, new))
    if flagged and not accepted:  # stopped at once: the flag goes on the start box
        attrs = {**start.attributes, STOP_ATTRIBUTE: reason}
        changes.append(Change(start, start.evolve(attributes=attrs)))
    return Command(f"Propagate track {project.track(track_token).number}", changes)
