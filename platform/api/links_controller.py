"""``POST /t/{t}/api/_links`` issues a signed link; ``DELETE …/_links/{id}`` revokes one.

Tenant admins only (platform/public/links.py does the work). The answer of an issue
holds the token and the public path ``/p/{tenant}/s/{token}``.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, delete, post
from litestar.params import FromPath, RawBody  # type: ignore[attr-defined]

from trellis.metadata.model.local_text import Translatable
from trellis.platform.api.deps import ADMIN_PURPOSE, AppServices, Caller, admin_only
from trellis.platform.api.requests import parse_object
from trellis.platform.public import SignedLinks
from trellis.platform.records.errors import BadRequestError, NotFoundError

_KEYS = ("link", "record_id", "expires_days")


def _whole(body: dict[str, Any], key: str, *, required: bool) -> int | None:
    value = body.get(key)
    if value is None and not required:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # JSON Schema's integer: 7.0 is a whole number too
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**63:
        raise BadRequestError(
            Translatable("'%(key)s' must be a whole number from 1.", key=key),
            {key: [Translatable("Must be a whole number from 1.")]},
        )
    return value


class LinksController(Controller):
    """``_links``: tenant admins only."""

    path = "/_links"
    guards = [admin_only]
    opt = {ADMIN_PURPOSE: "issue or revoke signed links"}

    @post("/", status_code=201, sync_to_thread=True)
    def issue_link(self, services: AppServices, call: Caller, body: RawBody) -> dict[str, Any]:
        data = parse_object(body)
        unknown = sorted(set(data) - set(_KEYS))
        if unknown:
            raise BadRequestError(
                Translatable("Unknown key '%(key)s'.", key=unknown[0]),
                {unknown[0]: [Translatable("Unknown key.")]},
            )
        name = data.get("link")
        if not isinstance(name, str) or not name:
            raise BadRequestError("'link' names a links/<name>.yaml kind.", {"link": ["Required."]})
        record_id = _whole(data, "record_id", required=True)
        days = _whole(data, "expires_days", required=False)
        links = SignedLinks(services.runtime)
        issued = links.issue(call.tenant, name, record_id or 0, days=days, by=call.identity.user_id)
        return issued.as_json(call.tenant)

    @delete("/{link_id:str}", status_code=204, sync_to_thread=True)
    def revoke_link(self, services: AppServices, call: Caller, link_id: FromPath[str]) -> None:
        if not link_id.isdigit() or not 1 <= int(link_id) < 2**63:
            raise NotFoundError(Translatable("No signed link with id %(id)s.", id=link_id))
        SignedLinks(services.runtime).revoke(call.tenant, int(link_id))


__all__ = ["LinksController"]
