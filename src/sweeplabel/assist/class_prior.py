"""Class size priors for the per-object assists (one-click, rectangle, propagation).

A prior is the schema class's typical size (``default_size_lwh_m``, a published mean; see the
schema's ``size_sources``) with the range of sizes still typical of it (mean +- 2.5 spreads).
Fits use it to tell an object from clutter (a cluster far larger than the class is a wall or a
merge), and to complete a partial view: an axis the points show shorter than the class allows
takes the class's size, anchored on the face the sensor saw."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import LabelSchema

MAX_GROUND_GAP_M = 0.4  # an object's points start no higher than this above the local ground (+ wheels)


@dataclass(frozen=True)
class ClassPrior:
    """Typical size of one class: ``mean_lwh_m`` and the range ``low_lwh_m``..``high_lwh_m``."""

    mean_lwh_m: np.ndarray
    low_lwh_m: np.ndarray
    high_lwh_m: np.ndarray
    rigid: bool = True
    name: str = ""

    @classmethod
    def from_size(cls, size_lwh_m, spread_share: float = 0.3) -> "ClassPrior":
        """A prior from a bare size (+- ``spread_share`` of it), for callers without a schema."""
        mean = np.asarray(size_lwh_m, dtype=np.float64)
        return cls(mean, mean * (1.0 - spread_share), mean * (1.0 + spread_share))

    @property
    def complete_below_lwh_m(self) -> np.ndarray:
        """A length the points show shorter than this is taken as partly seen (mean - 1 spread;
        width and height: the class's low end, the LiDAR sees them whole more often)."""
        out = self.low_lwh_m.copy()
        out[0] = self.mean_lwh_m[0] - 0.4 * (self.mean_lwh_m[0] - self.low_lwh_m[0])
        return out

    @property
    def tall_m(self) -> float:
        """A wall, fence or pole rises higher than this above the ground (the class's mean
        height + 1.2 spreads, at least + 0.2 m); the object does not."""
        spread = (self.mean_lwh_m[2] - self.low_lwh_m[2]) / 2.5
        return float(self.mean_lwh_m[2] + max(0.2, 1.2 * spread))

    @property
    def elongated(self) -> bool:
        """Length well above width (cars, cyclists): an end-on view shows the width."""
        return bool(self.mean_lwh_m[0] >= 1.5 * self.mean_lwh_m[1])

    @property
    def max_radius_m(self) -> float:
        """Half the BEV diagonal of the largest typical object."""
        return 0.5 * float(np.hypot(self.high_lwh_m[0], self.high_lwh_m[1]))

    def fits(self, length_m: float, width_m: float, tolerance_m: float = 0.3) -> bool:
        """Whether a footprint is no larger than the class allows (either orientation)."""
        return bool(length_m <= self.high_lwh_m[0] + tolerance_m and width_m <= self.high_lwh_m[1] + tolerance_m)


def prior_for(schema: LabelSchema, category: str) -> ClassPrior:
    """The prior of a schema category."""
    cat = schema.category(category)
    low, high = cat.size_range_lwh_m()
    return ClassPrior(np.asarray(cat.default_size_lwh_m, dtype=np.float64), np.asarray(low), np.asarray(high),
                      cat.rigid, cat.name)
