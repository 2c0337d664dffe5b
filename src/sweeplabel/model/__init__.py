"""The data model: boxes, frames, tracks, annotations, schema, project, commands.

Pure Python + NumPy; emits psygnal signals; never imports Qt or Open3D."""

from . import commands
from .entities import Annotation, ReviewState, Source, Track, new_token
from .geometry import BOX_EDGES, Box, angle_diff, invert_transform, transform_points, wrap_angle
from .project import ModelError, Project
from .review import (
    AUTHOR_ENV, Comment, CommentState, Reply, ReviewProgress, aggregate_state, default_author,
    review_progress,
)
from .schema import Category, LabelSchema, SchemaError, default_schema
from .sequence import Frame, Sequence
from .undo import Change, Command, UndoStack
from .numbering import frame_number, frame_text

__all__ = [
    "AUTHOR_ENV", "Comment", "CommentState", "Reply", "ReviewProgress", "aggregate_state",
    "default_author", "review_progress",
    "Annotation", "BOX_EDGES", "Box", "Category", "Change", "Command", "Frame", "LabelSchema",
    "ModelError", "Project", "ReviewState", "SchemaError", "Sequence", "Source", "Track",
    "UndoStack", "angle_diff", "commands", "default_schema", "invert_transform", "new_token",
    "transform_points", "wrap_angle",
    "frame_number", "frame_text",
]
