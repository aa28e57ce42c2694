"""The users page: ``/t/{t}/admin/users`` (tenant admins only, 403 otherwise).

Lists the tenant's members (name, e-mail, roles, teams, manager, active, two-factor)
and open invitations; invites by e-mail (``platform/people/invitations.py``),
deactivates and reactivates, resets two-factor sign-in, and edits teams and manager
(``platform/people/roster.py``). Each form posts with htmx and gets the page's people
section back with the outcome; without htmx it redirects with a flash message.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.i18n import N_, SUPPORTED_LOCALES
from trellis.platform.people import Invitations, Roster
from trellis.platform.records.errors import ForbiddenError, RecordError
from trellis.ui.screens.web import (
    POSTED_FORM,
    PostedForm,
    UiCall,
    UiServices,
    is_htmx,
    page,
    redirect,
    signed_in,
)

LANGUAGES = {"en": "English", "es": "Español"}


def _admin(services: UiServices, request: Request[Any, Any, Any], tenant: str) -> UiCall:
    ui = signed_in(services, request, tenant)
    if not ui.call.access.admin:
        raise ForbiddenError(ui.translator.gettext("Only tenant admins may manage users."))
    return ui


def _error_text(ui: UiCall, exc: RecordError) -> str:
    """The first field message of ``exc`` (else its message), in the caller's language."""
    for messages in exc.errors.values():
        if messages:
            return ui.translator.message(messages[0])
    return ui.translator.message(exc.message)


def _teams(text: str) -> list[str]:
    return sorted({t.strip() for t in text.replace(";", ",").split(",") if t.strip()})


def admin_people_routes(services: UiServices) -> list[Any]:
    """Route handlers of the users page and its actions."""
    runtime = services.runtime
    roster = Roster(runtime)
    invitations = Invitations(runtime)

    def context(ui: UiCall, tenant: str) -> dict[str, Any]:
        people = roster.people(tenant)
        model = ui.call.app.model
        return {
            "people": people,
            "invitations": invitations.pending(tenant),
            "roles": ["admin", *sorted(model.roles)],
            "languages": [(code, LANGUAGES.get(code, code)) for code in SUPPORTED_LOCALES],
            "default_language": model.locale or ui.translator.locale,
            "me": ui.call.identity.user_id,
        }

    def answer(
        request: Request[Any, Any, Any],
        ui: UiCall,
        tenant: str,
        *,
        notice: str | None = None,
        error: str | None = None,
    ) -> Response[Any]:
        if is_htmx(request):
            ctx = {**context(ui, tenant), "notice": notice, "error": error}
            return page(request, ui, "_admin_users.html", ctx)
        return redirect(request, f"/t/{tenant}/admin/users", flash=error or notice)

    @get("/t/{tenant:str}/admin/users", sync_to_thread=True)
    def users_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = _admin(services, request, tenant)
        return page(request, ui, "admin_users.html", context(ui, tenant))

    @post(
        "/t/{tenant:str}/admin/users/invite",
        status_code=200,
        sync_to_thread=True,
        dependencies=POSTED_FORM,
    )
    def invite(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        ui = _admin(services, request, tenant)
        email = str(form.get("email", "")).strip()
        roles = [str(r) for r in form.getall("roles", [])]
        language = str(form.get("language", "")) or None
        base = f"{request.url.scheme}://{request.url.netloc}"
        try:
            made = invitations.invite(
                tenant,
                email,
                roles,
                locale=language if language in SUPPORTED_LOCALES else None,
                base_url=base,
                actor=ui.call.identity.email,
                actor_user_id=ui.call.identity.user_id,
            )
        except RecordError as exc:
            return answer(request, ui, tenant, error=_error_text(ui, exc))
        done = ui.translator.gettext(
            "Invitation sent to %(email)s: the link works once, for 7 days.", email=made.email
        )
        return answer(request, ui, tenant, notice=done)

    def member_action(path: str, run: Any, done: str) -> Any:
        @post(
            f"/t/{{tenant:str}}/admin/users/{{user_id:int}}/{path}",
            status_code=200,
            sync_to_thread=True,
            dependencies=POSTED_FORM,
            name=f"admin-users-{path}",
        )
        def action(
            request: Request[Any, Any, Any],
            tenant: FromPath[str],
            user_id: FromPath[int],
            form: PostedForm,
        ) -> Response[Any]:
            ui = _admin(services, request, tenant)
            try:
                person = run(ui, user_id, form)
            except RecordError as exc:
                return answer(request, ui, tenant, error=_error_text(ui, exc))
            notice = ui.translator.gettext(done, email=person.email)
            return answer(request, ui, tenant, notice=notice)

        return action

    actions = [
        member_action(
            "deactivate",
            lambda ui, uid, _f: roster.set_active(ui.call, uid, False),
            N_("%(email)s is deactivated: they cannot sign in and their API tokens stop working."),
        ),
        member_action(
            "reactivate",
            lambda ui, uid, _f: roster.set_active(ui.call, uid, True),
            N_("%(email)s is active again."),
        ),
        member_action(
            "reset-two-factor",
            lambda ui, uid, _f: roster.reset_two_factor(ui.call, uid),
            N_(
                "Two-factor sign-in of %(email)s was reset: they set it up again at their "
                "next sign-in if the tenant requires it."
            ),
        ),
        member_action(
            "profile",
            lambda ui, uid, f: roster.set_teams_and_manager(
                ui.call, uid, _teams(str(f.get("teams", ""))), str(f.get("manager", ""))
            ),
            N_("Teams and manager of %(email)s saved."),
        ),
    ]
    return [users_page, invite, *actions]


__all__ = ["admin_people_routes"]
