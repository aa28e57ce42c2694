"""The invitation page: ``/t/{t}/invitation/{token}`` (no sign-in needed; the link is
the authority).

A new invitee chooses a password (typed twice); someone with an account types their
own. Accepting joins the tenant with the invited roles and signs them in (through the
two-factor step when they have it on). An expired, used, replaced or tampered link
gets a page saying so (410, or 404 when it does not verify) and changes nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.identity import IdentityError, lockout_message
from trellis.platform.people import Invitation, InvitationRefusedError, Invitations
from trellis.platform.records.errors import ValidationFailedError
from trellis.platform.sessions import SESSION_COOKIE
from trellis.ui.screens.session_cookie import identity_service, request_ip, set_session_cookie
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiServices, page, redirect


def _refused(
    request: Request[Any, Any, Any], tenant: str, exc: InvitationRefusedError
) -> Response[Any]:
    status = 404 if exc.reason == "invalid" else 410
    context = {"tenant": tenant, "message": exc.message, "reason": exc.reason}
    return page(request, None, "invitation_refused.html", context, status=status)


def invitation_routes(services: UiServices) -> list[Any]:
    """The invitation page and its post."""
    invitations = Invitations(services.runtime)
    identity = identity_service(services)

    def form_page(
        request: Request[Any, Any, Any],
        tenant: str,
        token: str,
        invitation: Invitation,
        *,
        errors: dict[str, list[str]] | None = None,
        name: str = "",
    ) -> Response[Any]:
        context = {
            "tenant": tenant,
            "tenant_label": services.runtime.tenant(tenant).label,
            "token": token,
            "invitation": invitation,
            "existing": invitations.has_password(invitation.email),
            "errors": errors or {},
            "name": name,
        }
        return page(request, None, "invitation.html", context, status=422 if errors else 200)

    @get("/t/{tenant:str}/invitation/{token:str}", sync_to_thread=True)
    def invitation_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], token: FromPath[str]
    ) -> Response[Any]:
        try:
            invitation = invitations.check(tenant, token)
        except InvitationRefusedError as exc:
            return _refused(request, tenant, exc)
        return form_page(request, tenant, token, invitation)

    @post(
        "/t/{tenant:str}/invitation/{token:str}",
        status_code=200,
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def accept(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        token: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        password = str(form.get("password", ""))
        name = str(form.get("name", ""))
        try:
            # Typing an existing account's password here counts towards its sign-in lock.
            asked = invitations.check(tenant, token)
            left = identity.lockout.locked_for(asked.email)
            if left is not None:
                errors = {"password": [lockout_message(left)]}
                return form_page(request, tenant, token, asked, errors=errors, name=name)
            invitation = invitations.accept(
                tenant,
                token,
                password=password,
                repeat=str(form.get("repeat", "")),
                name=name,
            )
        except InvitationRefusedError as exc:
            return _refused(request, tenant, exc)
        except ValidationFailedError as exc:
            if invitations.has_password(asked.email):
                identity.lockout.record_failure(asked.email)
            return form_page(request, tenant, token, asked, errors=exc.errors, name=name)
        home = f"/t/{tenant}/"
        try:
            session = identity.sign_in(tenant, invitation.email, password, ip=request_ip(request))
        except IdentityError as exc:
            return redirect(request, f"/t/{tenant}/login?next={quote(home)}", flash=exc.message)
        old = request.cookies.get(SESSION_COOKIE)
        if old and old != session.sid:
            services.sessions.delete(old)
        if session.second_factor_pending:
            response: Response[Any] = redirect(
                request, f"/t/{tenant}/login/verify?next={quote(home)}"
            )
        else:
            response = redirect(request, home)
        set_session_cookie(response, request, services, session)
        return response

    return [invitation_page, accept]


__all__ = ["invitation_routes"]
