"""One error tree for everything sweeplabel reads and writes.

Every message names the file, where in it (line or byte offset) and what was expected."""

from __future__ import annotations

from pathlib import Path


class SweeplabelIOError(Exception):
    """Base class: bad input or output. ``str(err)`` is one line fit for a user."""

    def __init__(self, path: Path | str | None, message: str, *, line: int | None = None,
                 offset: int | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.offset = offset
        self.message = message
        where = str(self.path) if self.path is not None else "<input>"
        if line is not None:
            where += f", line {line}"
        if offset is not None:
            where += f", byte {offset}"
        super().__init__(f"{where}: {message}")


class FormatError(SweeplabelIOError):
    """The content does not follow the format (wrong size, field, number, token)."""


class UnsupportedFormatError(SweeplabelIOError):
    """No reader recognises the path."""


class ProjectStoreError(SweeplabelIOError):
    """A project file that cannot be opened (not a project, too new, corrupt)."""


class NotAProjectError(ProjectStoreError):
    """The file is not a sweeplabel project."""


class SchemaVersionError(ProjectStoreError):
    """The project was written by a newer sweeplabel."""
