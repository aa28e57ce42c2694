"""Dashboards: tiles of ``dashboards/*.yaml`` computed in SQL through the caller's access."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import sqlalchemy as sa

from trellis.metadata.model import DashboardDef, TileDef
from trellis.platform.authz import Access
from trellis.platform.dashboards.aggregate import TileData, compute_tile
from trellis.platform.dashboards.buckets import BUCKETS, bucket_label, bucket_start
from trellis.platform.dashboards.groups import Group
from trellis.rules.expr import EvalContext


def readable_dashboards(access: Access) -> list[DashboardDef]:
    """The app's dashboards with at least one tile on an entity the caller may read."""
    model = access.app.model
    return [d for d in model.dashboards.values() if any(_readable(access, t) for t in d.tiles)]


def _readable(access: Access, tile: TileDef) -> bool:
    entities = [m.entity for _, m in tile.ratio.parts] if tile.ratio else [tile.entity]
    model = access.app.model
    return all(e in model.entities and access.can(e, "read") for e in entities)


def compute_dashboard(
    conn: sa.Connection,
    access: Access,
    dashboard: DashboardDef,
    ectx: EvalContext,
    *,
    user_names: Mapping[int, str] | None = None,
    at: datetime | None = None,
) -> list[TileData]:
    """Every tile of ``dashboard``, in order, as the caller may see it (as of ``at``)."""
    return [
        compute_tile(conn, access, tile, ectx, user_names=user_names, at=at)
        for tile in dashboard.tiles
    ]


__all__ = [
    "BUCKETS",
    "Group",
    "TileData",
    "bucket_label",
    "bucket_start",
    "compute_dashboard",
    "compute_tile",
    "readable_dashboards",
]
