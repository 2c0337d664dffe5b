"""One undo stack per project. A command is a list of entity changes; undo applies
them backwards. Consecutive commands with the same ``merge_key`` (a mouse drag)
merge into one step; ``macro()`` groups many commands into one step."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterator, Union

from psygnal import Signal

from .entities import Annotation, Track
from .review import Comment

if TYPE_CHECKING:
    from .project import Project

Entity = Union[Track, Annotation, Comment]


@dataclass(frozen=True)
class Change:
    """``before`` -> ``after`` for one entity (None = absent)."""

    before: Entity | None
    after: Entity | None

    def inverted(self) -> "Change":
        return Change(self.after, self.before)


@dataclass
class Command:
    """A named list of changes, applied in order and reverted in reverse order."""

    text: str
    changes: list[Change] = field(default_factory=list)
    merge_key: str | None = None

    def merged_with(self, later: "Command") -> "Command":
        """One command equal to ``self`` followed by ``later``."""
        return Command(self.text, self.changes + later.changes, self.merge_key)


def apply_changes(project: "Project", changes: list[Change]) -> None:
    """Apply changes in order; on failure revert the ones applied and re-raise."""
    done: list[Change] = []
    try:
        for ch in changes:
            _apply_one(project, ch)
            done.append(ch)
    except Exception:
        for ch in reversed(done):
            _apply_one(project, ch.inverted())
        raise


def _apply_one(project: "Project", ch: Change) -> None:
    sample = ch.after if ch.after is not None else ch.before
    if isinstance(sample, Track):
        project._put_track(ch.before, ch.after)  # type: ignore[arg-type]
    elif isinstance(sample, Annotation):
        project._put_annotation(ch.before, ch.after)  # type: ignore[arg-type]
    elif isinstance(sample, Comment):
        project._put_comment(ch.before, ch.after)  # type: ignore[arg-type]
    else:
        raise TypeError(f"no model entity: {type(sample).__name__}")


class UndoStack:
    """Undo/redo of commands. ``committed`` fires once per user-visible step
    (push outside a macro and a merge run, macro end, undo, redo): the store's
    transaction boundary. A merge run (a drag) commits once, when it ends:
    ``end_merge()`` or the start of the next step."""

    changed = Signal()
    committed = Signal()

    def __init__(self, project: "Project") -> None:
        self._project = project
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._macro: list[Command] | None = None
        self._macro_text = ""
        self._merge_open = False
        self._commit_owed = False  # a merge run changed the model and has not committed yet
        self.last_step_text = ""  # what the latest committed step did, e.g. "Undo Create Car"

    @property
    def can_undo(self) -> bool:
        return bool(self._done) and self._macro is None

    @property
    def can_redo(self) -> bool:
        return bool(self._undone) and self._macro is None

    @property
    def undo_text(self) -> str:
        return self._done[-1].text if self._done else ""

    @property
    def redo_text(self) -> str:
        return self._undone[-1].text if self._undone else ""

    def __len__(self) -> int:
        return len(self._done)

    def push(self, command: Command) -> None:
        """Apply ``command`` and record it (merged into the top step when it shares
        its merge key and no step came between)."""
        if not command.changes:
            return
        top = self._done[-1] if self._done else None
        merging = (self._macro is None and top is not None and self._merge_open
                   and command.merge_key is not None and top.merge_key == command.merge_key)
        if not merging and self._macro is None:
            self._settle()
        apply_changes(self._project, command.changes)
        if self._macro is not None:
            self._macro.append(command)
            return
        if merging:
            assert top is not None
            self._done[-1] = top.merged_with(command)
        else:
            self._done.append(command)
        self._merge_open = command.merge_key is not None
        self._undone.clear()
        self.last_step_text = self._done[-1].text
        if self._merge_open:  # a drag: one transaction when it ends
            self._commit_owed = True
            self.changed.emit()
        else:
            self._emit()

    def end_merge(self) -> None:
        """Close the current merge run (e.g. on mouse release): it commits now."""
        self._merge_open = False
        self._settle()

    @property
    def commit_pending(self) -> bool:
        """A merge run changed the model but has not committed (a drag in progress)."""
        return self._commit_owed

    def _settle(self) -> None:
        """Commit a finished merge run before anything else happens."""
        if self._commit_owed:
            self._commit_owed = False
            self.committed.emit()

    @contextmanager
    def macro(self, text: str) -> Iterator[None]:
        """Group every command pushed inside into one undo step. If the block
        raises, its changes are reverted and nothing is recorded."""
        if self._macro is not None:  # nested: the outer macro owns the step
            yield
            return
        self._settle()
        self._macro, self._macro_text = [], text
        try:
            yield
        except BaseException:
            parts, self._macro = self._macro, None
            for cmd in reversed(parts):
                apply_changes(self._project, [c.inverted() for c in reversed(cmd.changes)])
            raise
        parts, self._macro = self._macro, None
        changes = [c for cmd in parts for c in cmd.changes]
        if changes:
            self._done.append(Command(text, changes))
            self._undone.clear()
            self._merge_open = False
            self.last_step_text = text
            self._emit()

    def undo(self) -> bool:
        if not self.can_undo:
            return False
        self._settle()
        cmd = self._done[-1]
        apply_changes(self._project, [c.inverted() for c in reversed(cmd.changes)])  # raises: step kept
        self._done.pop()
        self._undone.append(cmd)
        self._merge_open = False
        self.last_step_text = f"Undo {cmd.text}"
        self._emit()
        return True

    def redo(self) -> bool:
        if not self.can_redo:
            return False
        self._settle()
        cmd = self._undone[-1]
        apply_changes(self._project, cmd.changes)  # raises: step kept
        self._undone.pop()
        self._done.append(cmd)
        self._merge_open = False
        self.last_step_text = f"Redo {cmd.text}"
        self._emit()
        return True

    def clear(self) -> None:
        self._settle()
        self._done.clear()
        self._undone.clear()
        self._merge_open = False
        self.changed.emit()

    def _emit(self) -> None:
        self.committed.emit()
        self.changed.emit()
