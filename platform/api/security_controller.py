"""Admin security routes: the audit log and "why can this user see this record?".

``GET /t/{t}/api/_audit?action=&limit=&cursor=`` lists the tenant's audit rows, newest
first. ``GET /t/{t}/api/_access?user=EMAIL&entity=E&id=N&action=A`` explains an access
decision with the same compiled policy the API enforces. Both answer 403 to non-admins.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from litestar import Controller, Request, get

from trellis.metadata.model import ADMIN_ROLE
from trellis.metadata.model.local_text import Translatable
from trellis.platform.api.deps import ADMIN_PURPOSE, AppServices, Caller, admin_only
from trellis.platform.api.requests import parse_list_limit as _limit
from trellis.platform.authz.call import Call
from trellis.platform.records.errors import BadRequestError, NotFoundError
from trellis.platform.services import Services
from trellis.rules.expr import EvalContext

EXPLAINED_ACTIONS = ("read", "update", "delete", "create")


def _cursor(raw: str | None) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 19:
        raise BadRequestError(
            Translatable(
                "Parameter 'cursor' has value '%(value)s'. Use a next_cursor value.", value=raw
            )
        )
    return int(raw)


def audit_body(services: Services, call: Call, params: Any) -> dict[str, Any]:
    """The ``_audit`` answer: items newest first and the cursor of the next page."""
    limit = _limit(params.get("limit"))
    runtime = services.runtime
    tenant_id = runtime.tenant(call.tenant).id
    rows = runtime.registry.audit.entries(
        tenant_id,
        action=params.get("action") or None,
        limit=limit + 1,
        before_id=_cursor(params.get("cursor")),
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [r.as_json() for r in rows],
        "next_cursor": str(rows[-1].id) if more and rows else None,
    }


def access_body(services: Services, call: Call, params: Any) -> dict[str, Any]:
    """The ``_access`` answer for (user, entity, id, action)."""
    email = (params.get("user") or "").strip().lower()
    entity_name = params.get("entity") or ""
    action = params.get("action") or "read"
    raw_id = params.get("id")
    if not email:
        raise BadRequestError(Translatable("Parameter 'user' is required (an email address)."))
    if action not in EXPLAINED_ACTIONS:
        raise BadRequestError(
            Translatable(
                "Parameter '%(name)s' has value '%(value)s'. Use one of %(choices)s.",
                name="action",
                value=action,
                choices=", ".join(EXPLAINED_ACTIONS),
            )
        )
    entity = call.app.entities.get(entity_name)
    if entity is None:
        raise NotFoundError(Translatable("No entity '%(name)s' in this tenant.", name=entity_name))
    if raw_id and (not raw_id.isdigit() or len(raw_id) > 18):
        raise BadRequestError(
            Translatable("Parameter 'id' has value '%(value)s'. Not a record id.", value=raw_id)
        )
    if not raw_id and action != "create":
        raise BadRequestError(
            Translatable("Parameter 'id' is required for action '%(action)s'.", action=action)
        )
    record_id = int(raw_id) if raw_id else None
    runtime, authz = services.runtime, services.authz
    registry = runtime.registry
    tenant_id = runtime.tenant(call.tenant).id
    user_id = registry.user_id(email)
    m = registry.memberships
    roles: tuple[str, ...] = ()
    if user_id is not None:
        with registry.connect() as conn:
            found = conn.execute(
                sa.select(m.c.roles).where(m.c.tenant_id == tenant_id, m.c.user_id == user_id)
            ).first()
        if found is not None:
            roles = tuple(sorted(found.roles or ()))
        else:
            user_id = None
    if user_id is None:
        raise NotFoundError(Translatable("No member '%(email)s' in this tenant.", email=email))
    access = authz.access(call.tenant, call.rt, user_id, roles)
    ectx = EvalContext(now=runtime.clock.now(), user_id=user_id)
    t = entity.table
    reasons: list[dict[str, Any]] = []
    with runtime.engines.tenant_connection(call.tenant) as conn:
        exists = (
            record_id is not None
            and conn.execute(
                sa.select(t.c.id).where(t.c.id == record_id, t.c.deleted_at.is_(None))
            ).first()
            is not None
        )

        def in_scope(predicate: sa.ColumnElement[Any] | None) -> bool | None:
            if record_id is None:
                return None
            if not exists:
                return False
            if predicate is None:
                return True
            query = sa.select(t.c.id).where(
                t.c.id == record_id, t.c.deleted_at.is_(None), predicate
            )
            return conn.execute(query).first() is not None

        for role in roles:
            one = authz.role_set(call.rt, (role,), access.subject_attributes).entities[entity.name]
            definition = call.app.model.roles.get(role)
            listed = definition.entities.get(entity.name) if definition else None
            reasons.append(
                {
                    "role": role,
                    "action_granted": access.enforcer.role_allows(role, entity.name, action),
                    "read_granted": access.enforcer.role_allows(role, entity.name, "read"),
                    "scope": "all" if role == ADMIN_ROLE else listed.scope if listed else None,
                    "where": listed.where if listed else None,
                    "record_in_scope": in_scope(
                        one.predicate(call.app.table, t, ectx, access.subject)
                    ),
                    "hidden_fields": sorted(one.hidden - one.restricted),
                    "read_only_fields": sorted(one.read_only),
                    # Rollups the role's scope does not wholly reach; listed when any.
                    **({"restricted_fields": sorted(one.restricted)} if one.restricted else {}),
                }
            )
        combined = in_scope(access.scope(entity, ectx))
    granted = access.can(entity.name, "read") and access.can(entity.name, action)
    allowed = granted and (combined is not False)
    why = (
        "no role in this tenant"
        if not roles
        else "allowed"
        if allowed
        else f"no role grants {action} on {entity.name}"
        if not access.can(entity.name, action)
        else f"no role grants read on {entity.name}"
        if not access.can(entity.name, "read")
        else "no such live record"
        if not exists
        else "the record is outside every role's scope"
    )
    return {
        "allowed": allowed,
        "user": email,
        "entity": entity.name,
        "id": record_id,
        "action": action,
        "roles": list(roles),
        "record_exists": exists if record_id is not None else None,
        "record_in_scope": combined,
        "summary": why,
        "reasons": reasons,
    }


class SecurityController(Controller):
    """``_audit`` and ``_access``: tenant admins only."""

    path = "/"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "use this endpoint"}

    @get("/_audit", sync_to_thread=True)
    def audit(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller
    ) -> dict[str, Any]:
        return audit_body(services, call, request.query_params)

    @get("/_access", sync_to_thread=True)
    def explain(
        self, request: Request[Any, Any, Any], services: AppServices, call: Caller
    ) -> dict[str, Any]:
        return access_body(services, call, request.query_params)


__all__ = ["SecurityController", "access_body", "audit_body"]
