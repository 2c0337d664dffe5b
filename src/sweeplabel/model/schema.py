"""Label schema: categories and the attributes each allows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
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
    size_spread_lwh_m: tuple[float, float, float] | None = None  # one-sigma spread of the class's sizes
    size_source: str = ""  # where default_size_lwh_m comes from (see the schema's size_sources)
    av2_categories: tuple[str, ...] = ()  # Argoverse 2 categories imported as this one (first: export)
    # the class's typical size in another source's statistics (e.g. {"KITTI": (3.88, 1.63, 1.53)}),
    # the default once the schema is sized for that source (LabelSchema.sized_for)
    size_by_source: Mapping[str, tuple[float, float, float]] = field(default_factory=dict)

    def size_range_lwh_m(self, spreads: float = 2.5) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """(low, high) sizes still typical of the class: the default +- ``spreads`` spreads
        (+- 30 % of the default where the schema gives no spread)."""
        mean = self.default_size_lwh_m
        spread = self.size_spread_lwh_m or tuple(0.3 * m / spreads for m in mean)
        return (tuple(max(0.05, m - spreads * s) for m, s in zip(mean, spread)),
                tuple(m + spreads * s for m, s in zip(mean, spread)))

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
    sizes_from: str = ""  # the source whose sizes are the defaults ("": each class's own default_size_lwh_m)
    size_sources: Mapping[str, str] = field(default_factory=dict)  # source -> citation of its sizes

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

    def sized_for(self, source: str) -> "LabelSchema":
        """The schema with each class's default size taken from ``source``'s statistics
        (``size_by_source``) where it has the class; the other classes and the spreads are kept."""
        known = sorted({s for c in self.categories for s in c.size_by_source})
        if source not in known:
            raise SchemaError(f"no class has sizes for source {source!r}; expected one of {known}")
        cats = tuple(replace(c, default_size_lwh_m=c.size_by_source[source],
                             size_source=f"{source} train mean (see the schema's size_sources)")
                     if source in c.size_by_source else c for c in self.categories)
        return replace(self, categories=cats, sizes_from=source)

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
                    size_spread_lwh_m=(tuple(float(v) for v in c["size_spread_lwh_m"])  # type: ignore[arg-type]
                                       if c.get("size_spread_lwh_m") is not None else None),
                    size_source=str(c.get("size_source", "")),
                    av2_categories=tuple(str(v) for v in c.get("av2_categories", ())),
                    size_by_source=_size_by_source(c, data.get("size_sources"), origin),
                )
                for c in data["categories"]
            )
            return cls(
                name=data.get("name", "schema"),
                categories=cats,
                default_category=data.get("default_category", cats[0].name if cats else ""),
                frame_attributes={k: tuple(v) for k, v in data.get("frame_attributes", {}).items()},
                sizes_from=str(data.get("sizes_from", "")),
                size_sources={str(k): str(v) for k, v in dict(data.get("size_sources", {})).items()},
            )
        except SchemaError:
            raise
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise SchemaError(f"{origin}: not a valid label schema ({exc!r})") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "sweeplabel-schema",
            "version": 1,
            "name": self.name,
            "default_category": self.default_category,
            "frame_attributes": {k: list(v) for k, v in self.frame_attributes.items()},
            **({"sizes_from": self.sizes_from} if self.sizes_from else {}),
            **({"size_sources": dict(self.size_sources)} if self.size_sources else {}),
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
                    **({"size_spread_lwh_m": list(c.size_spread_lwh_m)} if c.size_spread_lwh_m else {}),
                    **({"size_source": c.size_source} if c.size_source else {}),
                    **({"av2_categories": list(c.av2_categories)} if c.av2_categories else {}),
                    **({"size_by_source": {k: list(v) for k, v in c.size_by_source.items()}}
                       if c.size_by_source else {}),
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


def _size_by_source(cat: Mapping[str, Any], cited: Any, origin: str) -> dict[str, tuple[float, float, float]]:
    """A category's ``size_by_source``: source -> [length, width, height] in metres, each source
    one the schema cites in ``size_sources`` (when it has that table)."""
    raw = cat.get("size_by_source", {})
    where = f"{origin}: category {cat.get('name')!r}: size_by_source"
    if not isinstance(raw, Mapping):
        raise SchemaError(f"{where}: expected an object (source -> [length, width, height] in m), got {raw!r}")
    out = {}
    for source, size in raw.items():
        if isinstance(cited, Mapping) and source not in cited:
            raise SchemaError(f"{where}.{source}: source not cited in size_sources (expected one of {sorted(cited)})")
        ok = (isinstance(size, list) and len(size) == 3
              and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 100 for v in size))
        if not ok:
            raise SchemaError(f"{where}.{source}: expected [length, width, height] in m "
                              f"(3 positive numbers), got {size!r}")
        out[str(source)] = tuple(float(v) for v in size)
    return out  # type: ignore[return-value]


# Sequence.format -> the source whose class sizes a project of it starts with (others: the
# schema's defaults, nuScenes' means)
SIZE_SOURCE_OF_FORMAT = {"kitti-object": "KITTI", "kitti-tracking": "KITTI"}


def size_source_of_format(sequence_format: str) -> str | None:
    """The size source (``size_by_source`` key) for a sequence format, None for the defaults."""
    return SIZE_SOURCE_OF_FORMAT.get(sequence_format)


def default_schema(sized_for: str | None = None) -> LabelSchema:
    """The shipped schema: nuScenes categories and attributes plus the KITTI types; class sizes
    nuScenes' means, or ``sized_for``'s (e.g. "KITTI") where that source has the class."""
    text = resources.files("sweeplabel.resources").joinpath("default_schema.json").read_text("utf-8")
    schema = LabelSchema.from_dict(json.loads(text), origin="default_schema.json")
    return schema.sized_for(sized_for) if sized_for else schema


def default_schema_for(sequence_format: str) -> LabelSchema:
    """The shipped schema a project of a sequence of ``sequence_format`` starts with: its class
    sizes those of the data's source (``size_source_of_format``; KITTI data: KITTI's means)."""
    return default_schema(sized_for=size_source_of_format(sequence_format))
