"""Class sizes follow the data a project labels: KITTI recordings get KITTI's means, the rest
nuScenes'; a malformed per-source size is refused with one message naming the key."""

from __future__ import annotations

import json

import pytest

from sweeplabel.io.kitti import KITTI_TYPE_TO_CATEGORY
from sweeplabel.model import LabelSchema, Project, SchemaError, Sequence, default_schema

# g_type_mean_size of Frustum PointNets (charlesq34/frustum-pointnets, models/model_util.py), l x w x h
FRUSTUM_POINTNETS_MEANS = {
    "Car": (3.88311640418, 1.62856739989, 1.52563191462), "Van": (5.06763659, 1.9007158, 2.20532825),
    "Truck": (10.13586957, 2.58549199, 3.2520595), "Pedestrian": (0.84422524, 0.66068622, 1.76255119),
    "Person_sitting": (0.80057803, 0.5983815, 1.27450867), "Cyclist": (1.76282397, 0.59706367, 1.73698127),
    "Tram": (16.17150617, 2.53246914, 3.53079012), "Misc": (3.64300781, 1.54298177, 1.92320313),
}


def test_every_kitti_type_reads_as_a_class_with_kittis_mean() -> None:
    kitti = default_schema(sized_for="KITTI")
    for kitti_type, mean in FRUSTUM_POINTNETS_MEANS.items():
        cat = kitti.category(KITTI_TYPE_TO_CATEGORY[kitti_type])
        assert cat.default_size_lwh_m == pytest.approx(mean, abs=0.006), kitti_type
        assert cat.size_source.startswith("KITTI")
    assert "frustum-pointnets" in kitti.size_sources["KITTI"]


def test_nuscenes_sizes_stay_the_default_and_spreads_are_kept() -> None:
    nus, kitti = default_schema(), default_schema(sized_for="KITTI")
    assert nus.category("vehicle.car").default_size_lwh_m == pytest.approx((4.6, 1.95, 1.72))
    assert kitti.category("vehicle.car").default_size_lwh_m == pytest.approx((3.88, 1.63, 1.53))
    assert kitti.category("vehicle.truck").default_size_lwh_m[0] == pytest.approx(10.14)
    for a, b in zip(nus.categories, kitti.categories):
        assert a.size_spread_lwh_m == b.size_spread_lwh_m
        if "KITTI" not in a.size_by_source:  # e.g. the police car (kitti_type Car, no KITTI mean of its own)
            assert a == b
    assert nus.sizes_from == "" and kitti.sizes_from == "KITTI"


@pytest.mark.parametrize("fmt, car_length_m", [("kitti-object", 3.88), ("kitti-tracking", 3.88),
                                               ("nuscenes", 4.6), ("av2-sensor", 4.6), ("sustech", 4.6),
                                               ("las", 4.6), ("unknown", 4.6)])
def test_a_project_without_a_schema_takes_its_sources_sizes(fmt: str, car_length_m: float) -> None:
    project = Project(Sequence("s", [], format=fmt))
    assert project.schema.category("vehicle.car").default_size_lwh_m[0] == pytest.approx(car_length_m)


def test_an_explicit_schema_is_kept() -> None:
    nus = default_schema()
    assert Project(Sequence("s", [], format="kitti-object"), nus).schema is nus


def test_a_sized_schema_round_trips_through_dict() -> None:
    kitti = default_schema(sized_for="KITTI")
    again = LabelSchema.from_dict(json.loads(json.dumps(kitti.to_dict())))
    assert again == kitti and again.sizes_from == "KITTI"


def _with_car_sizes(value) -> dict:
    data = default_schema().to_dict()
    next(c for c in data["categories"] if c["name"] == "vehicle.car")["size_by_source"] = value
    return data


@pytest.mark.parametrize("value, expected", [
    ({"KITTI": [3.88, 1.63]}, r"'vehicle.car': size_by_source.KITTI: expected \[length, width, height\]"),
    ({"KITTI": [3.88, "wide", 1.5]}, r"size_by_source.KITTI: expected .*got \[3.88, 'wide', 1.5\]"),
    ({"KITTI": [3.88, -1.63, 1.53]}, r"size_by_source.KITTI: expected .*3 positive numbers"),
    ({"KITTY": [3.88, 1.63, 1.53]}, r"size_by_source.KITTY: source not cited in size_sources"),
    ([3.88, 1.63, 1.53], r"'vehicle.car': size_by_source: expected an object"),
])
def test_a_malformed_per_source_size_is_refused_naming_the_key(value, expected: str) -> None:
    with pytest.raises(SchemaError, match=expected) as info:
        LabelSchema.from_dict(_with_car_sizes(value), origin="my_schema.json")
    assert str(info.value).startswith("my_schema.json: category 'vehicle.car'")


def test_sizing_for_an_unknown_source_says_which_exist() -> None:
    with pytest.raises(SchemaError, match=r"no class has sizes for source 'Waymo'; expected one of \['KITTI'\]"):
        default_schema(sized_for="Waymo")
