"""ReviewController: the QA verbs of review mode (step through findings, accept,
reject, mark fixed, comment, reply, resolve), each one command on the undo stack."""

from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal

from sweeplabel.assist.checks import CheckRunner, CheckSettings, Finding, is_waived, load_settings
from sweeplabel.model import Command, CommentState, ModelError, Project, ReviewState, SchemaError, commands

from ..editor import EditorController
from .time_stats import ActivityLog


class ReviewController(QObject):
    """Findings come from a ``CheckRunner`` attached to the project (started on
    ``enable()``: the first full check loads every frame's points)."""

    findings_changed = Signal()
    comments_changed = Signal()
    review_changed = Signal()  # review states of boxes or tracks
    current_finding_changed = Signal(object)  # Finding or None

    def __init__(self, project: Project, editor: EditorController, go_to_frame: Callable[[int], None],
                 store: Any = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.editor = editor
        self.store = store
        self._go_to_frame = go_to_frame
        self.runner: CheckRunner | None = None
        self.current: Finding | None = None
        self.current_comment: str | None = None
        self.activity = ActivityLog(project, store)
        self._emit_timer = QTimer(self)
        self._emit_timer.setSingleShot(True)
        self._emit_timer.timeout.connect(self.findings_changed.emit)
        ev = project.events
        self._connections = [
            (ev.comment_added, self._on_comment), (ev.comment_removed, self._on_comment),
            (ev.comment_changed, self._on_comment), (ev.annotation_changed, self._on_review),
            (ev.track_changed, self._on_review),
        ]
        for sig, slot in self._connections:
            sig.connect(slot)

    # -- checks ----------------------------------------------------------------------
    @property
    def enabled(self) -> bool:
        return self.runner is not None

    def enable(self) -> None:
        if self.runner is not None:
            return
        settings = load_settings(self.store) if self.store is not None else CheckSettings()
        self.runner = CheckRunner(self.project, settings)
        self.runner.findings_changed.connect(self._schedule_findings)
        self.runner.attach()
        self.runner.run_all()

    def _schedule_findings(self) -> None:
        self._emit_timer.start(0)

    @property
    def findings(self) -> list[Finding]:
        return self.runner.findings if self.runner is not None else []

    def is_waived(self, finding: Finding) -> bool:
        return is_waived(self.project, finding)

    def open_findings(self) -> list[Finding]:
        """Findings a reviewer has not accepted, in frame/track order."""
        return [f for f in self.findings if not self.is_waived(f)]

    def step_finding(self, delta: int) -> Finding | None:
        """Jump to the next (``delta`` > 0) or previous open finding, wrapping around."""
        self.enable()
        todo = self.open_findings()
        if not todo:
            self.editor.message.emit("No open findings")
            return None
        keys = [f.key for f in todo]
        if self.current is not None and self.current.key in keys:
            i = (keys.index(self.current.key) + (1 if delta > 0 else -1)) % len(todo)
        else:
            order = [f for f in todo if self._after_current(f)] if delta > 0 else []
            i = keys.index(order[0].key) if order else (0 if delta > 0 else len(todo) - 1)
        self.jump_to_finding(todo[i])
        return todo[i]

    def _after_current(self, f: Finding) -> bool:
        here = self.editor.frame_index or 0
        return (f.frame_index if f.frame_index is not None else -1) >= here

    def jump_to_finding(self, finding: Finding) -> None:
        self.current = finding
        self.jump(finding.frame_index, finding.annotation_token, finding.track_token)
        self.editor.message.emit(f"{finding.severity.value}: {finding.message}")
        self.current_finding_changed.emit(finding)

    def jump(self, frame_index: int | None, annotation_token: str | None = None,
             track_token: str | None = None) -> None:
        """Show the frame and select the box (or the track's box in that frame)."""
        if frame_index is None and annotation_token is None and track_token is not None:
            anns = self.project.annotations_of_track(track_token)
            frame_index = anns[0].frame_index if anns else None
        if annotation_token is not None and self.project.get_annotation(annotation_token) is not None:
            frame_index = self.project.annotation(annotation_token).frame_index
        if frame_index is None:
            return
        if track_token is not None and self.project.get_track(track_token) is not None:
            self.editor.selected_track = track_token
        self._go_to_frame(frame_index)
        token = annotation_token if annotation_token and self.project.get_annotation(annotation_token) else None
        if token is None and track_token is not None:
            ann = self.project.annotation_at(track_token, frame_index) if self.project.get_track(track_token) else None
            token = ann.token if ann is not None else None
        if token is not None:
            self.editor.select(token)

    # -- verdicts --------------------------------------------------------------------
    def _run(self, command: Command) -> bool:
        try:
            self.project.execute(command)
        except (ModelError, SchemaError, ValueError) as exc:
            self.editor.message.emit(str(exc))
            return False
        return True

    def set_box_state(self, state: ReviewState) -> bool:
        """The selected box's verdict (the track's own state follows its boxes)."""
        token = self.editor.selected
        if token is None or self.project.get_annotation(token) is None:
            self.editor.message.emit("Select a box first")
            return False
        ann = self.project.annotation(token)
        return self._run(commands.review_track_range(self.project, ann.track_token, state,
                                                     ann.frame_index, ann.frame_index))

    def set_track_range_state(self, state: ReviewState, first: int | None = None, last: int | None = None) -> bool:
        """The selected track's boxes in frames ``first..last`` (None: open end) in one step."""
        track = self.editor.selected_track
        if track is None or self.project.get_track(track) is None:
            self.editor.message.emit("Select a track first")
            return False
        return self._run(commands.review_track_range(self.project, track, state, first, last))

    # -- comments --------------------------------------------------------------------
    def add_comment(self, text: str) -> str | None:
        """A comment pinned to the selected box, else the selected track, else this frame."""
        ann = self.editor.selected if self.editor.selected and self.project.get_annotation(self.editor.selected) \
            else None
        track = self.editor.selected_track if self.editor.selected_track and \
            self.project.get_track(self.editor.selected_track) else None
        frame = self.editor.frame_index
        if ann is None and track is None and frame is None:
            self.editor.message.emit("Nothing to pin the comment to")
            return None
        kwargs: dict[str, Any] = {"annotation_token": ann} if ann else \
            ({"track_token": track} if track else {"frame_index": frame})
        try:
            cmd = commands.add_comment(self.project, text, **kwargs)
        except ModelError as exc:
            self.editor.message.emit(str(exc))
            return None
        if not self._run(cmd):
            return None
        self.current_comment = cmd.changes[0].after.token  # type: ignore[union-attr]
        return self.current_comment

    def target_comment(self) -> str | None:
        """The comment chosen in the panel, else the newest open one on the selected box/track."""
        if self.current_comment and self.current_comment in self.project.comments:
            return self.current_comment
        candidates = []
        if self.editor.selected_track:
            candidates = self.project.comments_of_track(self.editor.selected_track)
        open_ = [c for c in candidates if c.is_open]
        chosen = (open_ or candidates)[-1:] if candidates else []
        return chosen[0].token if chosen else None

    def reply(self, text: str, token: str | None = None) -> bool:
        token = token or self.target_comment()
        if token is None:
            self.editor.message.emit("Choose a comment first")
            return False
        try:
            return self._run(commands.reply_to_comment(self.project, token, text))
        except ModelError as exc:
            self.editor.message.emit(str(exc))
            return False

    def set_comment_state(self, state: CommentState, token: str | None = None) -> bool:
        token = token or self.target_comment()
        if token is None:
            self.editor.message.emit("Choose a comment first")
            return False
        return self._run(commands.set_comment_state(self.project, token, state))

    def toggle_resolved(self, token: str | None = None) -> bool:
        token = token or self.target_comment()
        if token is None:
            self.editor.message.emit("Choose a comment first")
            return False
        state = CommentState.OPEN if not self.project.comment(token).is_open else CommentState.RESOLVED
        return self.set_comment_state(state, token)

    # -- model -> view ---------------------------------------------------------------
    def _on_comment(self, *_args: object) -> None:
        self.comments_changed.emit()

    def _on_review(self, old: object, new: object) -> None:
        if getattr(old, "review_state", None) != getattr(new, "review_state", None):
            self.review_changed.emit()

    def shutdown(self) -> None:
        for sig, slot in self._connections:
            sig.disconnect(slot, missing_ok=True)
        if self.runner is not None:
            self.runner.detach()
            self.runner.findings_changed.disconnect(self._schedule_findings, missing_ok=True)
        self._emit_timer.stop()
        self.activity.close()
