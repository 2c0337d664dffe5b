"""The candidate scorer: a LightGBM model over ``scorer_features`` that gives each object
candidate a class group (background, vehicle, pedestrian, cyclist) and a confidence.

Model files are LightGBM's own text format, read with ``lightgbm.Booster(model_file=...)``
(data, never code: no pickle). The default model ships in ``sweeplabel/resources`` and is
trained only on the synthetic generator's output (``sweeplabel train-scorer --synthetic``);
a team can train its own from its projects (``sweeplabel train-scorer PROJECT...``)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from ..io.errors import FormatError
from .scorer_features import FRAME_FEATURES, TRACK_FEATURES

GROUPS: tuple[str, ...] = ("background", "vehicle", "pedestrian", "cyclist")
FEATURES: tuple[str, ...] = FRAME_FEATURES + TRACK_FEATURES
DEFAULT_MODEL_NAME = "scorer_model.txt"
# the pre-annotation keeps candidates scoring at least this (tuned on the synthetic
# generator's realistic scenes only; see benchmarks/README.md)
DEFAULT_MIN_SCORE = 0.5


_EVAL_GROUP = {"vehicles": "vehicle", "pedestrians": "pedestrian", "cyclists": "cyclist"}


def group_of(category: str) -> str:
    """The scorer's group of a schema category: the evaluation protocol's class group
    (``evaluate.group_of``), ``background`` for anything outside them."""
    from .evaluate import group_of as eval_group

    return _EVAL_GROUP.get(eval_group(category) or "", "background")


def default_model_path() -> Path:
    return Path(str(resources.files("sweeplabel.resources") / DEFAULT_MODEL_NAME))


class Scorer:
    """A loaded model: ``probabilities(features)`` -> (N, 4) over ``GROUPS``."""

    def __init__(self, booster, path: Path | None = None) -> None:
        self.booster = booster
        self.path = path

    @classmethod
    def load(cls, path: Path | str | None = None) -> "Scorer":
        """Read a LightGBM text model (the shipped one by default); a file that is not
        one, or one over other features, raises ``FormatError`` naming the file."""
        import lightgbm

        path = default_model_path() if path is None else Path(path)
        try:
            head = path.read_bytes()[:64]
        except OSError as exc:
            raise FormatError(path, f"cannot read the scorer model: {exc.strerror}") from exc
        if not head.startswith(b"tree\n"):
            raise FormatError(path, "not a LightGBM text model (expected the line 'tree' first)", offset=0)
        try:
            booster = lightgbm.Booster(model_file=str(path))
        except lightgbm.basic.LightGBMError as exc:
            raise FormatError(path, f"unreadable LightGBM model: {exc}") from exc
        names = tuple(booster.feature_name())
        if names != FEATURES:
            missing = [f for f in FEATURES if f not in names]
            raise FormatError(path, f"model features differ from this sweeplabel's (missing {missing[:5]}, "
                                    f"{len(names)} features, expected {len(FEATURES)})")
        classes = booster.dump_model(num_iteration=1)["num_class"]
        if classes != len(GROUPS):
            raise FormatError(path, f"model has {classes} classes, expected {len(GROUPS)} ({', '.join(GROUPS)})")
        return cls(booster, path)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        x = np.atleast_2d(np.asarray(features, dtype=np.float64))
        if not len(x):
            return np.zeros((0, len(GROUPS)))
        return np.asarray(self.booster.predict(x), dtype=np.float64).reshape(len(x), len(GROUPS))


@lru_cache(maxsize=4)
def _cached(path: str) -> Scorer:
    return Scorer.load(path)


def load_scorer(path: Path | str | None = None) -> Scorer:
    """The scorer at ``path`` (default: the shipped model), loaded once per process."""
    return _cached(str(default_model_path() if path is None else Path(path).resolve()))


def object_score(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the most likely object group (index into ``GROUPS``, never background) and
    the confidence that the candidate is an object at all (1 - P(background))."""
    p = np.atleast_2d(probs)
    best = 1 + np.argmax(p[:, 1:], axis=1)
    return best, np.clip(1.0 - p[:, 0], 0.0, 1.0)


def with_track(frame_features: np.ndarray, track: np.ndarray | None = None) -> np.ndarray:
    """Frame features (N, F) joined with one track's features (NaN: no track)."""
    f = np.atleast_2d(frame_features)
    t = np.full(len(TRACK_FEATURES), np.nan) if track is None else np.asarray(track, dtype=np.float64)
    return np.hstack([f, np.broadcast_to(t, (len(f), len(TRACK_FEATURES)))])
