"""``/t/{t}/api/_gdpr``: person export, erasure and the consent ledger (tenant admins)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import RawBody  # type: ignore[attr-defined]

from trellis.platform.api.deps import ADMIN_PURPOSE, AppServices, Caller, admin_only
from trellis.platform.api.requests import check_query_params, parse_object
from trellis.platform.records.errors import BadRequestError, ValidationFailedError
from trellis.platform.services.privacy import PrivacyService, email_of

Req = Request[Any, Any, Any]


def _only(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationFailedError({name: ["Unknown field."] for name in unknown})


class PrivacyController(Controller):
    """``_gdpr``: tenant admins only."""

    path = "/_gdpr"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "export or erase a person's data and keep the consent ledger"}

    @post("/export", status_code=200, sync_to_thread=True)
    def export(
        self, request: Req, services: AppServices, call: Caller, body: RawBody
    ) -> Response[bytes]:
        check_query_params(request.query_params, ())
        data = parse_object(body)
        _only(data, {"email"})
        email = email_of(data)
        archive = PrivacyService(services.runtime).export(
            call.tenant, email, call.identity.email, call.identity.user_id
        )
        name = f"person-export-{call.tenant}.zip"
        return Response(
            content=archive,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @post("/erase", status_code=200, sync_to_thread=True)
    def erase(
        self, request: Req, services: AppServices, call: Caller, body: RawBody
    ) -> dict[str, Any]:
        check_query_params(request.query_params, ())
        data = parse_object(body)
        _only(data, {"email", "dry_run"})
        dry_run = data.get("dry_run", False)
        if not isinstance(dry_run, bool):
            raise ValidationFailedError({"dry_run": ["true or false."]})
        done = PrivacyService(services.runtime).erase(
            call.tenant, email_of(data), dry_run, call.identity.email, call.identity.user_id
        )
        return done.as_json()

    @post("/consents", status_code=201, sync_to_thread=True)
    def add(
        self, request: Req, services: AppServices, call: Caller, body: RawBody
    ) -> dict[str, Any]:
        check_query_params(request.query_params, ())
        return PrivacyService(services.runtime).add_consent(
            call.tenant, parse_object(body), call.identity.email, call.identity.user_id
        )

    @get("/consents", sync_to_thread=True)
    def consents(self, request: Req, services: AppServices, call: Caller) -> dict[str, Any]:
        check_query_params(request.query_params, ("email",))
        email = request.query_params.get("email") or ""
        if "@" not in email or len(email) > 254 or "\0" in email:
            raise BadRequestError("email= is required.", {"email": ["An e-mail address."]})
        return {"items": PrivacyService(services.runtime).consents(call.tenant, email)}


__all__ = ["PrivacyController"]
