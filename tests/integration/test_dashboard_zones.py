"""Dashboard time buckets in the tenant's zone, in SQL, across daylight-saving changes.

The same records are bucketed by the database (PostgreSQL's ``timezone()``, SQLite's
offset stretches) and here in Python with zoneinfo; both must agree on every bucket.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from trellis.metadata.model import TileDef
from trellis.platform.dashboards import compute_tile
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.platform.services import Services
from trellis.rules.expr import EvalContext

#: Instants around Madrid's and New York's 2026 changes, and local midnights on the edges.
EDGES = [
    "2026-03-28T22:59:59Z",  # Madrid: Sat 23:59:59 CET
    "2026-03-28T23:00:00Z",  # Madrid: Sun 29 March 00:00 CET
    "2026-03-29T00:59:59Z",
    "2026-03-29T01:00:00Z",  # Madrid: summer time starts (03:00 CEST)
    "2026-03-29T22:00:00Z",  # Madrid: Mon 30 March 00:00 CEST
    "2026-03-31T21:59:59Z",  # Madrid: still March
    "2026-03-31T22:00:00Z",  # Madrid: 1 April 00:00
    "2026-03-08T04:59:59Z",  # New York: Sat 7 March 23:59:59 EST
    "2026-03-08T07:00:00Z",  # New York: summer time starts
    "2026-10-25T00:59:59Z",
    "2026-10-25T01:00:00Z",  # Madrid: summer time ends
    "2026-10-25T22:59:59Z",  # Madrid: Sun 25 October 23:59:59 CET
    "2026-10-25T23:00:00Z",  # Madrid: Mon 26 October 00:00 CET, a new week
    "2026-10-31T22:59:59Z",  # Madrid: still October
    "2026-10-31T23:00:00Z",  # Madrid: 1 November
    "2026-11-01T03:59:59Z",  # New York: Oct 31 23:59:59 EDT
    "2026-11-01T04:00:00Z",  # New York: 1 November 00:00 EDT
    "2026-11-02T04:59:59Z",  # New York: Sun 1 November 23:59:59 EST
    "2026-11-02T05:00:00Z",  # New York: Mon 2 November 00:00 EST
]
#: And a spread of instants every 13 hours over both changes.
SPREAD = [
    f"{datetime(2026, 3, 20, 5, tzinfo=UTC) + timedelta(hours=13 * i):%Y-%m-%dT%H:%M:%SZ}"
    for i in range(30)
] + [
    f"{datetime(2026, 10, 20, 5, tzinfo=UTC) + timedelta(hours=13 * i):%Y-%m-%dT%H:%M:%SZ}"
    for i in range(30)
]
INSTANTS = EDGES + SPREAD


def _package(tmp_path: Path, zone: str) -> Path:
    target = tmp_path / "pkg"
    (target / "entities").mkdir(parents=True)
    (target / "app.yaml").write_text(f'name: zones\nversion: "1.0"\ntimezone: {zone}\n')
    (target / "entities" / "slot.yaml").write_text(
        "entity: slot\nfields:\n  title: {type: string}\n  at: {type: datetime}\n"
    )
    return target


def _python_bucket(instant: str, zone: str, bucket: str) -> str:
    local = datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    day = local.date()
    if bucket == "week":
        day -= timedelta(days=day.weekday())
    elif bucket == "month":
        day = date(day.year, day.month, 1)
    return day.isoformat()


@pytest.mark.parametrize("zone", ["Europe/Madrid", "America/New_York"])
def test_buckets_in_sql_equal_buckets_in_python(
    runtime: Runtime, tmp_path: Path, zone: str
) -> None:
    runtime.registry.create_tenant("zones")
    publish(runtime, "zones", _package(tmp_path, zone))
    user = runtime.registry.ensure_user("admin@zones.test", "correct horse battery")
    runtime.registry.add_membership("zones", user, ["admin"])
    services = Services(runtime)
    identity = runtime.registry.member_identity("zones", user)
    assert identity is not None
    call = services.call_as("zones", identity)
    for index, instant in enumerate(INSTANTS):
        record = {"title": f"slot {index}", "at": instant}
        services.records.create(call, call.app.entities["slot"], record)
    ectx = EvalContext(now=datetime(2026, 12, 1, tzinfo=UTC), user_id=user)
    # Days in two halves (a chart keeps at most 60 buckets), weeks and months whole.
    spring, autumn = (
        'at < datetime("2026-06-01T00:00:00Z")',
        'at > datetime("2026-06-01T00:00:00Z")',
    )
    for bucket, where in [("day", spring), ("day", autumn), ("week", None), ("month", None)]:
        tile = TileDef(
            kind="bar",
            label="Slots",
            entity="slot",
            agg="count",
            group_by="at",
            bucket=bucket,
            where=where,
        )
        with runtime.engines.tenant_connection("zones") as conn:
            data = compute_tile(conn, call.access, tile, ectx)
        counted = {g.key: int(g.value) for g in data.groups if g.value}
        chosen = [i for i in INSTANTS if where is None or (i < "2026-06") == (where == spring)]
        expected = Counter(_python_bucket(i, zone, bucket) for i in chosen)
        assert counted == dict(expected), (zone, bucket, where)
        utc = Counter(_python_bucket(i, "UTC", bucket) for i in chosen)
        assert counted != dict(utc)  # the zone really moved records between buckets
