"""Rule routes: the rule editor's check and the trigger rule runs.

``POST /t/{t}/api/_check`` checks an expression or rule text (DESIGN.md §13);
``GET /t/{t}/api/_rule_runs?entity=&id=&limit=`` lists runs newest first, only of
records inside the caller's scope and without hidden fields.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import RawBody  # type: ignore[attr-defined]

from trellis.metadata.model.local_text import Translatable
from trellis.platform.api.deps import AppServices, Caller, TenantApp
from trellis.platform.api.requests import parse_list_limit as _limit
from trellis.platform.api.requests import parse_object
from trellis.platform.records.errors import BadRequestError
from trellis.platform.services.caller import readable_entity
from trellis.platform.services.check_request import run_check
from trellis.platform.services.rule_runs_access import visible_changes, visible_runs
from trellis.platform.triggers import list_runs


class RulesController(Controller):
    """``_check`` and ``_rule_runs``."""

    path = "/"

    @post("/_check", status_code=200, sync_to_thread=True)
    def check_expression(self, call: Caller, body: RawBody) -> dict[str, Any]:
        """Errors of an expression or rule file, and what fits the cursor.

        Checked against the model as the caller sees it: a hidden or restricted field
        (also through a reference) is unknown and never suggested.
        """
        model = call.app.model if call.access.admin else call.access.roles.visible_model
        return run_check(
            model,
            parse_object(body),
            lambda name: model.entities[readable_entity(call, name).name],
        )

    @get("/_rule_runs", sync_to_thread=True)
    def rule_runs(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller, app: TenantApp
    ) -> dict[str, Any]:
        params = request.query_params
        entity = params.get("entity") or None
        if entity is not None:
            readable_entity(call, entity)
        raw_id = params.get("id")
        if raw_id and (not raw_id.isdigit() or len(raw_id) > 19):
            raise BadRequestError(
                Translatable("Parameter 'id' has value '%(value)s'. Not a record id.", value=raw_id)
            )
        record_id = int(raw_id) if raw_id else None
        limit = _limit(params.get("limit"))
        with services.runtime.engines.tenant_connection(call.tenant) as conn:
            items = list_runs(
                conn,
                app,
                entity=entity,
                record_id=record_id,
                limit=limit,
                visible=partial(visible_runs, call.access),
            )
        items = [visible_changes(call.access, item) for item in items]
        return {"items": items, "count": len(items)}


__all__ = ["RulesController"]
