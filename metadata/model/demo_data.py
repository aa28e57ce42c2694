"""The demo data generator spec (``data/demo/spec.yaml``) as frozen objects.

A spec says, per entity, how many records to make and how to fill each field; the
platform's generator (``trellis.platform.demo_data``) turns it into records. The
objects carry no behaviour: see docs/demo-data.md for what each generator means.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan

#: The generator kinds; a field's generator has exactly one of these keys.
GENERATOR_KINDS = (
    "value",
    "choice",
    "word",
    "pattern",
    "integer",
    "number",
    "date",
    "datetime",
    "ref",
    "copy",
    "bool",
    "lang",
)

_EMPTY: Mapping[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Generator:
    """How one field is filled: ``kind`` (one of ``GENERATOR_KINDS``) and its argument."""

    kind: str
    arg: Any
    #: The share of records that get a value (the others leave the field empty).
    chance: float = 1.0
    #: Decimal places of a ``number``.
    places: int = 2
    #: What ``date``/``datetime`` day offsets count from: ``anchor`` or ``created``.
    origin: str = "anchor"
    #: For ``ref``: the referenced record's field must equal this record's same field.
    same: str | None = None
    #: Draw again when the value was already drawn for this field (then number it).
    unique: bool = False
    source: SourceSpan = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class TeamSpec:
    """A team of generated users; the first member also gets ``lead_roles``."""

    name: str
    size: int
    roles: tuple[str, ...]
    lead_roles: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PerParent:
    """Records made per record of ``parent`` (a random count within ``low``-``high``)."""

    parent: str
    field: str
    low: int
    high: int


@dataclass(frozen=True, slots=True)
class HistorySpec:
    """Later saves of a record moving ``field`` along ``path`` to a weighted end value."""

    field: str
    path: tuple[str, ...]
    ends: tuple[tuple[str, float], ...]
    gap_hours: tuple[float, float] = (24.0, 240.0)
    #: Fields set on the save that reaches a value, by value.
    sets: Mapping[str, tuple[tuple[str, Generator], ...]] = dataclasses.field(
        default_factory=lambda: _EMPTY
    )


@dataclass(frozen=True, slots=True)
class RecordSpec:
    """How many records of ``entity`` to make, and how to fill them."""

    entity: str
    count: int = 0
    per: PerParent | None = None
    owners: tuple[str, ...] = ()
    #: ``created_at`` lies between these day offsets from the anchor.
    created_days: tuple[float, float] = (0.0, 0.0)
    fields: tuple[tuple[str, Generator], ...] = ()
    history: HistorySpec | None = None
    source: SourceSpan = UNKNOWN_SOURCE


@dataclass(frozen=True, slots=True)
class DemoSpec:
    """A whole spec with its word lists (``words[list][language]``; ``"*"``: any)."""

    seed: int
    anchor: date | None
    languages: tuple[tuple[str, float], ...]
    domain: str
    teams: tuple[TeamSpec, ...]
    records: tuple[RecordSpec, ...]
    words: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=lambda: _EMPTY)
    #: Exchange rates ``(from, to, rate)`` stored before any record (amounts convert).
    rates: tuple[tuple[str, str, float], ...] = ()


__all__ = [
    "GENERATOR_KINDS",
    "DemoSpec",
    "Generator",
    "HistorySpec",
    "PerParent",
    "RecordSpec",
    "TeamSpec",
]
