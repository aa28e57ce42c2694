"""Pipeline routes: a record's stage history, stage statistics and the weighted forecast."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from litestar import Controller, Request, get
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model.local_text import Translatable
from trellis.platform.api.deps import AppServices, Caller, Target
from trellis.platform.api.requests import request_locale
from trellis.platform.authz.call import Call, require_reachable
from trellis.platform.i18n import Translator
from trellis.platform.pipelines import forecast, record_stages, stage_stats
from trellis.platform.pipelines.forecast import Authorize
from trellis.platform.records.errors import BadRequestError, NotFoundError
from trellis.platform.records.ids import parse_id
from trellis.platform.services.history import parse_as_of
from trellis.rules.expr import EvalContext


def authorize(call: Call, now: datetime) -> Authorize:
    """The caller's read check and record scope for pipeline aggregates.

    403 when the caller may not read the entity; a hidden field is refused as unknown
    (400), so sums never reveal it. ``now`` is the runtime clock's time.
    """
    ectx = EvalContext(now=now, user_id=call.identity.user_id)

    def check(entity: str, fields: tuple[str, ...]) -> sa.ColumnElement[Any] | None:
        call.access.require(entity, "read")
        hidden = call.access.entity(entity).hidden
        for name in fields:
            if name in hidden:
                raise BadRequestError(
                    Translatable(
                        "Unknown field '%(name)s' of %(entity)s.", name=name, entity=entity
                    ),
                    {"field": [Translatable("Unknown field '%(name)s'.", name=name)]},
                )
        return call.access.scope(call.app.entities[entity], ectx)

    return check


class RecordStagesController(Controller):
    """``GET /t/{t}/api/{entity}/{id}/_stages``: a record's stage history."""

    path = "/{entity:str}/{record_id:str}/_stages"

    @get("/", sync_to_thread=True)
    def stages_of_record(
        self, services: AppServices, call: Caller, target: Target, record_id: FromPath[str]
    ) -> dict[str, Any]:
        ident = parse_id(target.name, record_id)
        t = target.table
        with services.runtime.engines.tenant_connection(call.tenant) as conn:
            live = conn.execute(
                sa.select(t.c.id).where(t.c.id == ident, t.c.deleted_at.is_(None))
            ).first()
            if live is None:
                raise NotFoundError(
                    Translatable("No %(entity)s with id %(id)s.", entity=target.name, id=ident)
                )
            require_reachable(call, conn, target, ident)
            body = record_stages(conn, call.app, target, ident, services.runtime.clock.now())
        return body


class PipelinesController(Controller):
    """``_stages`` statistics and the weighted ``_forecast`` (also ``as_of`` a moment)."""

    path = "/"

    @get("/_stages", sync_to_thread=True)
    def pipeline_stages(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller
    ) -> dict[str, Any]:
        as_of = request.query_params.get("as_of")
        at = parse_as_of(as_of) if as_of is not None else None
        check = authorize(call, services.runtime.clock.now())
        with services.runtime.engines.tenant_connection(call.tenant) as conn:
            body = stage_stats(conn, call.app, request.query_params, check, at=at)
        return body

    @get("/_forecast", sync_to_thread=True)
    def weighted_forecast(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller
    ) -> dict[str, Any]:
        now = services.runtime.clock.now()
        as_of = request.query_params.get("as_of")
        at = parse_as_of(as_of) if as_of is not None else None
        check = authorize(call, now)
        with services.runtime.engines.tenant_connection(call.tenant) as conn:
            body = forecast(conn, call.app, request.query_params, check, now.date(), at=at)
        return _localized_gaps(body, request_locale(request))


def _localized_gaps(body: dict[str, Any], locale: str) -> dict[str, Any]:
    """The forecast with each ``missing_rates`` message in the caller's language."""
    gaps = body.get("missing_rates")
    if not gaps:
        return body
    t = Translator(locale)
    return {**body, "missing_rates": [{**g, "message": t.message(g["message"])} for g in gaps]}


__all__ = ["PipelinesController", "RecordStagesController", "authorize"]
