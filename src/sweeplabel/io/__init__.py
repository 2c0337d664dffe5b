"""Readers, writers and the project store. A few verbs return model types:
``read_sequence`` (registry), ``open_project`` (store)."""

from .errors import (
    FormatError,
    NotAProjectError,
    ProjectStoreError,
    SchemaVersionError,
    SweeplabelIOError,
    UnsupportedFormatError,
)
from .project_io import OpenedProject, default_project_path, open_project
from .registry import LoadedSequence, SequenceReader, read_sequence, register_reader
from .store import ProjectStore

__all__ = [
    "FormatError", "LoadedSequence", "NotAProjectError", "OpenedProject", "ProjectStore",
    "ProjectStoreError", "SchemaVersionError", "SequenceReader", "SweeplabelIOError",
    "UnsupportedFormatError", "default_project_path", "open_project", "read_sequence",
    "register_reader",
]
