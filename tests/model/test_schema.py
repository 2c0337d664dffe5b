import json

import pytest

from sweeplabel.model import LabelSchema, SchemaError, default_schema

NUSCENES_CATEGORIES = {
    "animal", "human.pedestrian.adult", "human.pedestrian.child", "human.pedestrian.construction_worker",
    "human.pedestrian.personal_mobility", "human.pedestrian.police_officer", "human.pedestrian.stroller",
    "human.pedestrian.wheelchair", "movable_object.barrier", "movable_object.debris",
    "movable_object.pushable_pullable", "movable_object.trafficcone", "static_object.bicycle_rack",
    "vehicle.bicycle", "vehicle.bus.bendy", "vehicle.bus.rigid", "vehicle.car", "vehicle.construction",
    "vehicle.emergency.ambulance", "vehicle.emergency.police", "vehicle.motorcycle", "vehicle.trailer",
    "vehicle.truck",
}
NUSCENES_ATTRIBUTES = {
    "vehicle.moving", "vehicle.stopped", "vehicle.parked", "cycle.with_rider", "cycle.without_rider",
    "pedestrian.sitting_lying_down", "pedestrian.standing", "pedestrian.moving",
}
KITTI_TYPES = {"Car", "Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Tram", "Misc"}


def test_default_schema_covers_nuscenes_and_kitti():
    schema = default_schema()
    assert NUSCENES_CATEGORIES <= set(schema.category_names)
    nus_targets = {c.nuscenes_category for c in schema.categories}
    assert nus_targets <= NUSCENES_CATEGORIES, "every class exports to a real nuScenes category"
    attrs = {v for c in schema.categories for values in c.attributes.values() for v in values}
    assert attrs == NUSCENES_ATTRIBUTES
    assert KITTI_TYPES <= {c.kitti_type for c in schema.categories}
    for kitti in KITTI_TYPES:
        assert schema.category_for_kitti(kitti).kitti_type == kitti
    assert schema.category_for_kitti("car").name == "vehicle.car"
    assert schema.category_for_nuscenes("vehicle.car").name == "vehicle.car"


def test_schema_round_trips_through_dict():
    schema = default_schema()
    again = LabelSchema.from_dict(json.loads(json.dumps(schema.to_dict())))
    assert again == schema


def test_bad_schema_file_names_file_and_line(tmp_path):
    bad = tmp_path / "schema.json"
    bad.write_text('{"categories": [\n  {"name": "car",\n}', encoding="utf-8")
    with pytest.raises(SchemaError, match=r"schema.json: line 3"):
        LabelSchema.from_json_file(bad)
    missing = tmp_path / "missing_size.json"
    missing.write_text(json.dumps({"categories": [{"name": "car"}]}), encoding="utf-8")
    with pytest.raises(SchemaError, match="missing_size.json: not a valid label schema"):
        LabelSchema.from_json_file(missing)


def test_attribute_validation():
    schema = default_schema()
    schema.validate_attributes("vehicle.bicycle", {"rider": "cycle.with_rider", "visibility": "v80-100"})
    with pytest.raises(SchemaError, match="expected one of"):
        schema.validate_attributes("vehicle.bicycle", {"rider": "vehicle.parked"})
    assert schema.category("vehicle.car").color_rgb[0] < schema.category("vehicle.car").color_rgb[2]
