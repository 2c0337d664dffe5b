"""Label schema: categories and the attributes each allows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping


class SchemaError(ValueError):
    """A schema file or an attribute value that does not fit the schema."""


@dataclass(frozen=True)
class Category:
    """One object class. ``attributes`` maps a group name to its allowed values
    (one value per group, e.g. ``motion: vehicle.moving|stopped|parked``)."""

    name: str
    label: str
    color: str
    default_size_lwh_m: tuple[float, float, float]
    kitti_type: str
    nuscenes_category: str
    attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rigid: bool = True
    av2_categories: tuple[str, ...] = ()  # Argoverse 2 categories imported as this one (first: export)

    @property
    def color_rgb(self) -> tuple[float, float, float]:
        h = self.color.lstrip("#")
        return tuple(int(h[i : i + 2], 16) / 255.0 for i in (0, 2, 4))  # type: ignore[return-value]


@dataclass(frozen=True)
class LabelSchema:
    """Categories with their allowed attributes, plus attributes every box may carry."""

    name: str
    categories: tuple[Category, ...]
    default_category: str
    frame_attributes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [c.name for c in self.categories]
        if len(set(names)) != len(names):
            raise SchemaError("category names must be unique")
        if self.default_category not in names:
            raise SchemaError(f"default_category {self.default_category!r} is not a category")

    @property
    def category_names(self) -> list[str]:
        return [c.name for c in self.categories]

    def category(self, name: str) -> Category:
        for c in self.categories:
            if c.name == name:
                return c
        raise SchemaError(f"unknown category {name!r}; expected one of {self.category_names}")

    def has_category(self, name: str) -> bool:
        return any(c.name == name for c in self.categories)

    def category_for_kitti(self, kitti_type: str) -> Category | None:
        """The first category whose KITTI type matches (schema order decides)."""
        for c in self.categories:
            if c.kitti_type.lower() == kitti_type.lower():
                return c
        return None

    def category_for_av2(self, av2_category: str) -> Category | None:
        """The first category listing this Argoverse 2 category (e.g. ``REGULAR_VEHICLE``)."""
        for c in self.categories:
            if av2_category in c.av2_categories:
                return c
        return None

    def category_for_nuscenes(self, nuscenes_name: str) -> Category | None:
        for c in self.categories:
            if c.name == nuscenes_name:
                return c
        for c in self.categories:
            if c.nuscenes_category == nuscenes_name:
                return c
        return None

    def allowed_values(self, category: str, group: str) -> tuple[str, ...]:
        cat = self.category(category)
        if group in cat.attributes:
            return cat.attributes[group]
        if group in self.frame_attributes:
            return self.frame_attributes[group]
        raise SchemaError(f"category {category!r} has no attribute {group!r}")

    def validate_attributes(self, category: str, attributes: Mapping[str, Any]) -> None:
        """Raise SchemaError when a schema-defined group holds a value it does not allow.

        Keys outside the schema (e.g. imported KITTI ``truncated``) are kept as is."""
        cat = self.category(category)
        for group, value in attributes.items():
            allowed = cat.attributes.get(group) or self.frame_attributes.get(group)
            if allowed is not None and value is not None and value not in allowed:
                raise SchemaError(
                    f"{category}: attribute {group}={value!r} not allowed; expected one of {list(allowed)}"
                )

    # -- (de)serialisation ---------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = "<schema>") -> "LabelSchema":
        try:
            cats = tuple(
                Category(
                    name=c["name"],
                    label=c.get("label", c["name"]),
                    color=c.get("color", "#cccccc"),
                    default_size_lwh_m=tuple(float(v) for v in c["default_size_lwh_m"]),  # type: ignore[arg-type]
                    kitti_type=c.get("kitti_type", "Misc"),
                    nuscenes_category=c.get("nuscenes_category", c["name"]),
                    attributes={k: tuple(v) for k, v in c.get("attributes", {}).items()},
                    rigid=bool(c.get("rigid", True)),
                    av2_categories=tuple(str(v) for v in c.get("av2_categories", ())),
                )
                for c in data["categories"]
            )
            return cls(
                name=data.get("name", "schema"),
                categories=cats,
                default_category=data.get("default_category", cats[0].name if cats else ""),
                frame_attributes={k: tuple(v) for k, v in data.get("frame_attributes", {}).items()},
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise SchemaError(f"{origin}: not a valid label schema ({exc!r})") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "sweeplabel-schema",
            "version": 1,
            "name": self.name,
            "default_category": self.default_category,
            "frame_attributes": {k: list(v) for k, v in self.frame_attributes.items()},
            "categories": [
                {
                    "name": c.name,
                    "label": c.label,
                    "color": c.color,
                    "default_size_lwh_m": list(c.default_size_lwh_m),
                    "kitti_type": c.kitti_type,
                    "nuscenes_category": c.nuscenes_category,
                    "attributes": {k: list(v) for k, v in c.attributes.items()},
                    "rigid": c.rigid,
                    **({"av2_categories": list(c.av2_categories)} if c.av2_categories else {}),
                }
                for c in self.categories
            ],
        }

    @classmethod
    def from_json_file(cls, path: Path) -> "LabelSchema":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{path}: line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
        return cls.from_dict(data, origin=str(path))


def default_schema() -> LabelSchema:
    """The shipped schema: nuScenes categories and attributes plus the KITTI types."""
    text = resources.files("sweeplabel.resources").joinpath("default_schema.json").read_text("utf-8")
    return LabelSchema.from_dict(json.loads(text), origin="default_schema.json")
