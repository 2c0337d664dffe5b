"""Car-sized parts of clusters larger or taller than a car (a parked car under a tree or against
a hedge is one cluster with it): the cluster's points below the car's largest height + 0.3 m
over the local ground, without the columns that rise above the car (``object_cluster.tall_columns``),
clustered again; each part whose footprint fits a car is an extra candidate beside the whole
cluster. Off by default (``PreannotateParams.merged_parts``): the shipped scorer calls car-sized
parts of hedges and walls vehicles; a scorer trained on such parts of the far-range and roadside
street (``scorer_train.FAR_CANDIDATES``) is meant to judge them."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sweeplabel.kernels import cluster_euclidean, fit_box

from .class_prior import ClassPrior, prior_for
from .object_cluster import tall_columns


@lru_cache(maxsize=1)
def car_prior() -> ClassPrior:
    """The schema car's size prior."""
    from ..model.schema import default_schema

    return prior_for(default_schema(), "vehicle.car")


def needs_parts(points_m: np.ndarray, height_m: np.ndarray, fit: np.ndarray, prior: ClassPrior) -> bool:
    """Whether a cluster (its fitted box ``fit``) is larger than the car allows or rises above its ``tall_m``."""
    return (not prior.fits(float(fit[3]), float(fit[4]))) or float(height_m.max()) > prior.tall_m


def car_sized_parts(points_m: np.ndarray, height_m: np.ndarray, link_m: float, min_points: int,
                    z_squash: float, prior: ClassPrior | None = None) -> list[np.ndarray]:
    """Indices into ``points_m`` (one cluster, about the sensor; ``height_m`` above the local
    ground) of its car-sized parts below the car's top (none when the cluster itself is one)."""
    prior = prior or car_prior()
    low = height_m < float(prior.high_lwh_m[2]) + 0.3
    if low.sum() < min_points:
        return []
    shifted = points_m.copy()
    shifted[:, 2] = height_m  # tall_columns compares heights; the ground is 0 here
    low &= ~tall_columns(shifted, low, prior.tall_m)
    idx = np.flatnonzero(low)
    if len(idx) < min_points:
        return []
    squashed = np.ascontiguousarray(points_m[idx, :3], dtype=np.float32).copy()
    squashed[:, 2] *= z_squash
    labels = cluster_euclidean(squashed, link_m, min_points)
    out = []
    for lab in range(int(labels.max(initial=-1)) + 1):
        part = idx[labels == lab]
        if len(part) < min_points:
            continue
        fit = fit_box(np.ascontiguousarray(points_m[part, :3], dtype=np.float32))
        if prior.fits(float(fit[3]), float(fit[4])) and float(fit[3]) >= float(prior.low_lwh_m[1]):
            out.append(part)
    return out
