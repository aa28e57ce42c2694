"""A pipeline tenant on a clock the tests move, for figures ``as_of`` a past moment:
the forecast, the stage report and dashboard tiles (SQLite and PostgreSQL)."""

from __future__ import annotations

import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar.testing import TestClient

from trellis.platform.config import RuntimeConfig
from trellis.platform.config.clock import FakeClock
from trellis.platform.money.rates import parse_rate
from trellis.platform.money.service import store_rates
from trellis.platform.publish import publish
from trellis.platform.runtime import Runtime
from trellis.ui.screens.app import create_web_app

from conftest import PG_URL, drop_schemas
from helpers import Api

FILES = {
    "app.yaml": "name: pipe\nversion: 1.0.0\nlabel: Pipe\ncurrency: EUR\n",
    "entities/deal.yaml": """
        title: name
        fields:
          name: {type: string, required: true}
          stage: {type: pipeline, pipeline: sales}
          amount: {type: money}
          margin: {type: money}
          close_date: {type: date}
          currency: {type: enum, options: [EUR, USD]}
          local: {type: money, currency_field: currency, rate_date: today}
    """,
    "pipelines/sales.yaml": """
        pipeline: sales
        stages:
          - {name: lead, probability: 10}
          - {name: proposal, probability: 50}
          - {name: won, probability: 100, won: true}
          - {name: lost, probability: 0, lost: true}
    """,
    "dashboards/board.yaml": """
        dashboard: board
        label: Board
        tiles:
          - {kind: kpi, label: Open amount, entity: deal, agg: sum, field: amount,
             where: "not stage.won and not stage.lost"}
          - {kind: kpi, label: Deals, entity: deal, agg: count}
          - {kind: bar, label: By stage, entity: deal, agg: count, group_by: stage}
          - {kind: kpi, label: Margin, entity: deal, agg: sum, field: margin}
    """,
    "roles.yaml": """
        roles:
          rep:
            entities:
              deal:
                actions: [create, read, update]
                scope: own
                fields: {margin: hidden}
    """,
}
START = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@dataclass
class World:
    """Tenant ``pipe`` on a clock the tests move; an admin and two reps."""

    runtime: Runtime
    clock: FakeClock
    client: TestClient[Any]
    apis: dict[str, Api] = field(default_factory=dict)

    def deal(self, who: str, **body: Any) -> int:
        response = self.apis[who].post("deal", json={"name": "Deal", **body})
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def change(self, who: str, ident: int, **body: Any) -> None:
        response = self.apis[who].patch(f"deal/{ident}", json=body)
        assert response.status_code == 200, response.text

    def tick(self) -> str:
        """Move the clock one minute on; the moment before the move, as RFC 3339."""
        at = self.clock.now().isoformat().replace("+00:00", "Z")
        self.clock.advance(60)
        return at

    def forecast(self, who: str, **params: str) -> dict[str, Any]:
        response = self.apis[who].get("_forecast", params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def stages(self, who: str, **params: str) -> dict[str, Any]:
        response = self.apis[who].get("_stages", params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())


def _write(root: Path) -> None:
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def build_world(backend: str, tmp: Path) -> Iterator[World]:
    """A fresh ``pipe`` tenant on ``backend`` (``sqlite`` or ``postgres``)."""
    prefix = f"x{uuid.uuid4().hex[:10]}_"
    extra: dict[str, Any] = (
        {"database_url": PG_URL, "schema_prefix": prefix} if backend == "postgres" else {}
    )
    config = RuntimeConfig(data_dir=tmp / "data", version_check_interval=0.0, **extra)
    _write(tmp / "pkg")
    clock = FakeClock(START)
    runtime = Runtime(config, clock=clock)
    try:
        runtime.registry.create_tenant("pipe")
        publish(runtime, "pipe", tmp / "pkg")
        with TestClient(app=create_web_app(runtime)) as client:
            world = World(runtime, clock, client)
            reg = runtime.registry
            for who, roles in (("admin", ["admin"]), ("rep", ["rep"]), ("rep2", ["rep"])):
                email = f"{who}@pipe.test"
                user = reg.ensure_user(email, "long enough secret")
                reg.add_membership("pipe", user, roles)
                world.apis[who] = Api(client, "pipe", reg.create_token("pipe", email))
            rates = [parse_rate("EUR", "USD", "2", "2026-01-01")]
            store_rates(runtime, "pipe", rates, None)
            yield world
    finally:
        runtime.close()
        if backend == "postgres":
            drop_schemas(PG_URL, prefix)
