"""Checks over one track's boxes in frame order: size, heading, motion, gaps, attributes."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...model import Annotation, Category, LabelSchema, Track, frame_number
from .base import Finding, Severity, describe
from .settings import CheckSettings

describe("size_change", "track", Severity.WARNING, "rigid track whose box size differs from its median")
describe("heading_flip", "track", Severity.ERROR, "heading jumps (or reverses) between consecutive boxes")
describe("speed", "track", Severity.WARNING, "speed implausible for the class")
describe("acceleration", "track", Severity.WARNING, "acceleration implausible for the class")
describe("track_gap", "track", Severity.WARNING, "frames missing inside a track")
describe("attribute_missing", "track", Severity.WARNING, "attribute required by the class is missing")
describe("attribute_invalid", "track", Severity.ERROR, "attribute value the class does not allow")


@dataclass
class TrackData:
    """One track's boxes as arrays (ordered by frame)."""

    track: Track
    category: Category | None
    anns: list[Annotation]
    frames: np.ndarray  # (n,) int
    times_s: np.ndarray  # (n,)
    centers_m: np.ndarray  # (n, 3)
    sizes_m: np.ndarray  # (n, 3)
    yaws_rad: np.ndarray  # (n,)

    @classmethod
    def build(cls, track: Track, anns: list[Annotation], timestamps_s: np.ndarray,
              schema: LabelSchema) -> "TrackData":
        boxes = np.array([a.box.to_array() for a in anns]).reshape(-1, 7)
        frames = np.array([a.frame_index for a in anns], dtype=np.int64)
        cat = schema.category(track.category) if schema.has_category(track.category) else None
        return cls(track, cat, anns, frames, timestamps_s[frames], boxes[:, :3], boxes[:, 3:6], boxes[:, 6])

    def finding(self, check: str, settings: CheckSettings, message: str, i: int | None,
                value: float | None = None) -> Finding:
        frame = None if i is None else int(self.frames[i])
        ann = None if i is None else self.anns[i].token
        return Finding(check, settings.severity(check), f"track {self.track.number}: {message}",
                       frame, self.track.token, ann, None, value)


def _fmt(size: np.ndarray) -> str:
    return "×".join(f"{v:.2f}" for v in size) + " m"


def check_size(td: TrackData, s: CheckSettings) -> list[Finding]:
    if td.category is not None and not td.category.rigid or len(td.anns) < 3:
        return []
    median = np.median(td.sizes_m, axis=0)
    tol = np.maximum(s.size_tolerance_m, s.size_tolerance_ratio * median)
    dev = np.abs(td.sizes_m - median)
    out = []
    for i in np.nonzero(np.any(dev > tol, axis=1))[0]:
        out.append(td.finding("size_change", s, f"size {_fmt(td.sizes_m[i])} differs from the track's "
                              f"median {_fmt(median)}", int(i), float(dev[i].max())))
    return out


def _jump_deg(a_rad: float, b_rad: float) -> float:
    return abs(math.degrees((a_rad - b_rad + math.pi) % (2 * math.pi) - math.pi))


def check_heading(td: TrackData, s: CheckSettings) -> list[Finding]:
    """A jump above the limit between consecutive boxes is reported at the later box; a
    single box whose heading disagrees with both neighbours (which agree) is reported once."""
    n = len(td.anns)
    lim = s.max_yaw_jump_deg
    jumps = [_jump_deg(td.yaws_rad[i], td.yaws_rad[i - 1]) for i in range(1, n)]
    bad = {i for i in range(1, n) if jumps[i - 1] > lim}
    out: list[Finding] = []
    skip: set[int] = set()
    for i in sorted(bad):
        if i in skip:
            continue
        jump = jumps[i - 1]
        kind = "reversed" if jump > 180.0 - lim else f"jumps {jump:.0f}°"
        if i + 1 in bad and _jump_deg(td.yaws_rad[i + 1], td.yaws_rad[i - 1]) <= lim:
            skip.add(i + 1)
            msg = (f"heading {kind} in this frame only (vs. frames {frame_number(td.frames[i - 1])} and "
                   f"{frame_number(td.frames[i + 1])})")
        else:
            msg = f"heading {kind} from frame {frame_number(td.frames[i - 1])}"
        out.append(td.finding("heading_flip", s, msg, i, jump))
    return out


def check_motion(td: TrackData, s: CheckSettings) -> list[Finding]:
    """Bird's-eye-view speed between consecutive boxes; acceleration from central differences."""
    if len(td.anns) < 2:
        return []
    cat = td.track.category
    out: list[Finding] = []
    xy, t = td.centers_m[:, :2], td.times_s
    dt = np.diff(t)
    ok = dt > 1e-9
    v = np.full((len(dt), 2), np.nan)
    v[ok] = np.diff(xy, axis=0)[ok] / dt[ok, None]
    vmax = s.for_class(s.max_speed_mps, cat)
    if vmax is not None and s.enabled("speed"):
        speed = np.linalg.norm(v, axis=1)
        for k in np.nonzero(speed > vmax)[0]:
            out.append(td.finding("speed", s, f"speed {speed[k]:.1f} m/s from frame {frame_number(td.frames[k])} "
                                  f"(limit {vmax:g} m/s for {cat})", int(k) + 1, float(speed[k])))
    amax = s.for_class(s.max_accel_mps2, cat)
    if amax is not None and s.enabled("acceleration") and len(v) >= 2:
        mid_t = (t[:-1] + t[1:]) / 2
        dmid = np.diff(mid_t)
        acc = np.linalg.norm(np.diff(v, axis=0), axis=1) / np.where(dmid > 1e-9, dmid, np.nan)
        for k in np.nonzero(acc > amax)[0]:
            out.append(td.finding("acceleration", s, f"acceleration {acc[k]:.1f} m/s² "
                                  f"(limit {amax:g} m/s² for {cat})", int(k) + 1, float(acc[k])))
    return out


def check_gaps(td: TrackData, s: CheckSettings) -> list[Finding]:
    out = []
    for i in range(1, len(td.anns)):
        missing = int(td.frames[i] - td.frames[i - 1] - 1)
        if missing > s.max_gap_frames:
            first, last = int(td.frames[i - 1]) + 1, int(td.frames[i]) - 1
            span = (f"frame {frame_number(first)}" if first == last
                    else f"frames {frame_number(first)}–{frame_number(last)}")
            f = Finding("track_gap", s.severity("track_gap"), f"track {td.track.number}: {span} missing "
                        f"({missing})", first, td.track.token, None, None, float(missing))
            out.append(f)
    return out


def check_attributes(td: TrackData, s: CheckSettings, schema: LabelSchema) -> list[Finding]:
    """Per attribute group: one finding for the boxes missing it, one per invalid value."""
    if td.category is None:
        return []
    groups = {g: vals for g, vals in td.category.attributes.items()}
    for g in s.required_frame_attributes:
        groups.setdefault(g, schema.frame_attributes.get(g, ()))
    for g, vals in schema.frame_attributes.items():
        groups.setdefault(g, vals)  # optional, but checked when present
    required = set(td.category.attributes) | set(s.required_frame_attributes)
    out: list[Finding] = []
    for group, allowed in groups.items():
        missing: list[int] = []
        invalid: dict[str, list[int]] = {}
        for i, ann in enumerate(td.anns):
            value = ann.attributes.get(group, td.track.attributes.get(group))
            if value is None:
                if group in required:
                    missing.append(i)
            elif allowed and value not in allowed:
                invalid.setdefault(str(value), []).append(i)
        if missing and s.enabled("attribute_missing"):
            out.append(td.finding("attribute_missing", s, f"{group!r} missing on {len(missing)} of "
                                  f"{len(td.anns)} boxes", missing[0], float(len(missing))))
        if s.enabled("attribute_invalid"):
            for value, idx in invalid.items():
                out.append(td.finding("attribute_invalid", s, f"{group}={value!r} not allowed for "
                                      f"{td.category.name} (on {len(idx)} boxes; allowed: "
                                      f"{', '.join(allowed)})", idx[0], float(len(idx))))
    return out


def run_track_checks(td: TrackData, s: CheckSettings, schema: LabelSchema) -> list[Finding]:
    out: list[Finding] = []
    if s.enabled("size_change"):
        out += check_size(td, s)
    if s.enabled("heading_flip"):
        out += check_heading(td, s)
    out += check_motion(td, s)
    if s.enabled("track_gap"):
        out += check_gaps(td, s)
    out += check_attributes(td, s, schema)
    return out
