"""Save a demo plan: members into the registry, records through the save pipeline.

Records are saved in batches, one transaction each, as the tenant's admin with
``source="demo"``: validations, formulas, rollups, workflows, stage history and trigger
rules run as for any save. Each save runs "at" its planned time (``created_at`` and the
history's times come from the plan, not the clock). E-mails and webhooks that rules
would send are not queued: the rule run records them as "not sent" and the result
counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from trellis.platform.authz.enforcers import store_roles
from trellis.platform.automation import record_service
from trellis.platform.db.tables import RULE_RUNS_TABLE
from trellis.platform.demo_data.generate import Plan, PlannedRecord, Ref
from trellis.platform.records.errors import RecordError
from trellis.platform.records.save_context import SaveContext
from trellis.tenants.registry.members import update_member

if TYPE_CHECKING:
    from trellis.platform.authz.call import Call
    from trellis.platform.runtime import Runtime

#: Records saved per transaction.
DEFAULT_BATCH = 2000
_NOT_SENT = "(not sent: side effects off)"


class DemoDataError(ValueError):
    """A planned record was refused by the app; names the record and the reasons."""


@dataclass(slots=True)
class DemoResult:
    """What a load saved: members, records per entity, history saves, suppressed sends."""

    users: int = 0
    records: dict[str, int] = field(default_factory=dict)
    history_saves: int = 0
    emails_suppressed: int = 0
    webhooks_suppressed: int = 0
    #: Parents whose rollups were totalled at the end of a batch (once each per batch).
    rollups_totalled: int = 0

    @property
    def total(self) -> int:
        """Records saved (history saves not counted)."""
        return sum(self.records.values())


def load_users(runtime: Runtime, tenant: str, plan: Plan) -> list[int]:
    """Make every planned user a member (roles, team, manager); their user ids."""
    ids = []
    for user in plan.users:
        user_id = runtime.registry.ensure_user(user.email, None, user.name)
        runtime.registry.add_membership(tenant, user_id, list(user.roles), actor="demo")
        store_roles(runtime.policies, tenant, user_id, list(user.roles))
        ids.append(user_id)
    for user in plan.users:
        update_member(
            runtime.registry,
            tenant,
            user.email,
            teams=[user.team],
            manager=user.manager,
            actor="demo",
        )
    return ids


class DemoLoader:
    """Saves the records of a plan for one call (the tenant's admin)."""

    def __init__(self, runtime: Runtime, call: Call, user_ids: list[int]) -> None:
        self.runtime, self.call, self.user_ids = runtime, call, user_ids
        self.service = record_service(call.rt)
        self.ids: dict[str, list[int]] = {}

    def load(self, plan: Plan, result: DemoResult, batch: int = DEFAULT_BATCH) -> None:
        """Save every record of ``plan``, ``batch`` records per transaction.

        Raises:
            DemoDataError: a record was refused (nothing of its batch is kept).
        """
        runs = self.call.app.metadata.tables[RULE_RUNS_TABLE]
        with self.runtime.engines.tenant_connection(self.call.tenant) as conn:
            first_run = conn.execute(sa.select(sa.func.max(runs.c.id))).scalar() or 0
        for start in range(0, len(plan.records), batch):
            self._batch(plan.records[start : start + batch], result)
        with self.runtime.engines.tenant_connection(self.call.tenant) as conn:
            rows = conn.execute(sa.select(runs.c.changes).where(runs.c.id > first_run))
            for (changes,) in rows:
                for key, value in (changes or {}).items():
                    if isinstance(value, str) and value.endswith(_NOT_SENT):
                        if key == "send email":
                            result.emails_suppressed += 1
                        elif key == "webhook":
                            result.webhooks_suppressed += 1

    def _batch(self, records: list[PlannedRecord], result: DemoResult) -> None:
        app = self.call.app
        engines = self.runtime.engines
        with engines.tenant_connection(self.call.tenant, write=True) as conn, conn.begin():
            ctx = SaveContext(conn, self.call.member, records[0].created_at, source="demo")
            ctx.side_effects = False
            ctx.deferred_rollups = set()
            for planned in records:
                entity = app.entities[planned.entity]
                values = self._resolve(planned.values)
                if planned.owner is not None:
                    values["owner_id"] = self.user_ids[planned.owner]
                ctx.now = planned.created_at
                saved = self._save(planned, self.service.create, ctx, entity, values)
                record_id = int(saved["id"])
                self.ids.setdefault(planned.entity, []).append(record_id)
                for at, change in planned.updates:
                    ctx.now = at
                    data = self._resolve(change)
                    self._save(planned, self.service.update, ctx, entity, record_id, data, None)
                    result.history_saves += 1
                result.records[planned.entity] = result.records.get(planned.entity, 0) + 1
            ctx.now = records[-1].created_at
            result.rollups_totalled += self.service.flush_rollups(ctx)

    @staticmethod
    def _save(planned: PlannedRecord, save: Any, *args: Any) -> dict[str, Any]:
        try:
            return dict(save(*args))
        except RecordError as exc:
            reasons = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in (exc.errors or {}).items()
            )
            raise DemoDataError(
                f"Demo {planned.entity} #{planned.index + 1} was refused: {reasons or exc.message}"
            ) from exc

    def _resolve(self, values: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in values.items():
            if isinstance(value, Ref):
                value = self.ids[value.entity][value.index]
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            out[name] = value
        return out


__all__ = ["DEFAULT_BATCH", "DemoDataError", "DemoLoader", "DemoResult", "load_users"]
