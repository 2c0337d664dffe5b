"""Rules a person applies before drawing a vehicle box around a scored cluster."""

from __future__ import annotations

import numpy as np

from sweeplabel.assist.classify import PreannotateParams
from sweeplabel.assist.scored import _rule, is_fragment

SHARE = PreannotateParams().vehicle_min_seen_share


def test_a_small_blob_is_no_car_but_a_far_car_seen_end_on_or_side_on_is():
    car = _rule("vehicle.car")
    assert is_fragment(np.array([0.9, 0.5, 1.4]), car, SHARE)  # 0.9 x 0.5 m: a post, a bin
    assert not is_fragment(np.array([1.7, 0.6, 1.4]), car, SHARE)  # end-on: the rear, full width
    assert not is_fragment(np.array([0.7, 1.6, 1.2]), car, SHARE)  # heading across the seen face
    assert not is_fragment(np.array([3.0, 0.4, 1.2]), car, SHARE)  # side-on: a line along the car
    assert not is_fragment(np.array([0.9, 0.5, 1.4]), car, None)  # the rule switched off
