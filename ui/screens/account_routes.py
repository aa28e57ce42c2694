"""The account security screen: two-factor sign-in, password, sign out everywhere.

``GET /t/{t}/account`` shows the state; each change is its own small form post
(CSRF-protected) that answers with the page again or a redirect with a flash message.
Recovery codes are shown once, in the answer that created them, and never again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.i18n import N_
from trellis.platform.i18n.translator import zone_names
from trellis.platform.identity import RECOVERY_CODE_COUNT, IdentityError, TwoFactorError
from trellis.platform.identity.preferences import DENSITIES, PreferenceError
from trellis.ui.screens.auth_routes import safe_next
from trellis.ui.screens.session_cookie import (
    clear_session_cookie,
    identity_service,
    request_ip,
    set_session_cookie,
)
from trellis.ui.screens.web import (
    POSTED_FORM,
    PostedForm,
    UiCall,
    UiServices,
    page,
    redirect,
    signed_in,
)

#: The languages a member may choose, each named in itself (as language pickers do).
LOCALE_NAMES = (("en", "English"), ("es", "Español"))
#: The list densities a member may choose (``DENSITIES``), with their labels.
DENSITY_NAMES = ((DENSITIES[0], N_("Comfortable")), (DENSITIES[1], N_("Compact")))
#: An identity change checked by a code or password; returns new recovery codes or None.
TwoFactorStep = Callable[..., list[str] | None]


def account_routes(services: UiServices) -> list[Any]:
    """The account page and its forms."""
    identity = identity_service(services)
    two_factor = identity.two_factor

    def render(
        request: Request[Any, Any, Any],
        ui: UiCall,
        *,
        status: int = 200,
        **extra: Any,
    ) -> Response[Any]:
        session = ui.session
        enabled = two_factor.is_enabled(session.user_id)
        context: dict[str, Any] = {
            "locale_choice": services.members.locale(session.user_id) or "",
            "locales": LOCALE_NAMES,
            "zone_choice": services.members.timezone(session.user_id) or "",
            "densities": DENSITY_NAMES,
            "zones": zone_names(),
            "two_factor_on": enabled,
            "enrolment": (
                None if enabled else two_factor.pending(session.user_id, session.email, ui.tenant)
            ),
            "codes_left": two_factor.remaining_recovery_codes(session.user_id) if enabled else 0,
            "code_count": RECOVERY_CODE_COUNT,
            **extra,
        }
        return page(request, ui, "account.html", context, status=status)

    def home(tenant: str) -> str:
        return f"/t/{tenant}/account"

    @get("/t/{tenant:str}/account", sync_to_thread=True)
    def account_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        return render(request, signed_in(services, request, tenant))

    @post("/t/{tenant:str}/account/2fa/start", sync_to_thread=True)
    def start_two_factor(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        try:
            two_factor.begin(ui.session.user_id, ui.session.email, tenant)
        except TwoFactorError as exc:
            return render(request, ui, status=400, error_2fa=str(exc))
        return redirect(request, home(tenant) + "#two-factor")

    def two_factor_step(
        request: Request[Any, Any, Any],
        tenant: str,
        form: PostedForm,
        field: str,
        step: TwoFactorStep,
        notice: str,
    ) -> Response[Any]:
        """Run ``step`` with the posted ``field``; a refusal shows in the two-factor section."""
        ui = signed_in(services, request, tenant)
        try:
            codes = step(ui.session, str(form.get(field, "")), ip=request_ip(request))
        except IdentityError as exc:
            return render(request, ui, status=exc.status, error_2fa=exc.message)
        shown = ui.translator.gettext(notice)  # marked N_ where it is chosen
        if codes is None:  # no new recovery codes to show once: back to the page
            return redirect(request, home(tenant), flash=shown)
        return render(request, ui, recovery_codes=codes, notice=shown)

    @post("/t/{tenant:str}/account/2fa/confirm", sync_to_thread=True, dependencies=POSTED_FORM)
    def confirm_two_factor(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        step = identity.confirm_two_factor
        return two_factor_step(request, tenant, form, "code", step, N_("Two-factor sign-in is on."))

    @post("/t/{tenant:str}/account/2fa/disable", sync_to_thread=True, dependencies=POSTED_FORM)
    def disable_two_factor(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        step = identity.disable_two_factor
        notice = N_("Two-factor sign-in is off.")
        return two_factor_step(request, tenant, form, "password", step, notice)

    @post(
        "/t/{tenant:str}/account/2fa/recovery-codes", sync_to_thread=True, dependencies=POSTED_FORM
    )
    def renew_recovery_codes(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        step = identity.renew_recovery_codes
        notice = N_("New recovery codes; the old ones are void.")
        return two_factor_step(request, tenant, form, "password", step, notice)

    @post("/t/{tenant:str}/account/password", sync_to_thread=True, dependencies=POSTED_FORM)
    def change_password(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        new = str(form.get("new_password", ""))
        if new != str(form.get("confirm_password", "")):
            return render(
                request,
                ui,
                status=400,
                error_password=ui.translator.gettext("The two new passwords are not the same."),
            )
        try:
            session = identity.change_password(
                ui.session, str(form.get("current_password", "")), new, ip=request_ip(request)
            )
        except IdentityError as exc:
            return render(request, ui, status=exc.status, error_password=exc.message)
        response = redirect(
            request,
            home(tenant),
            flash=ui.translator.gettext(
                "Your password is changed; your other sessions are signed out."
            ),
        )
        set_session_cookie(response, request, services, session)
        return response

    @post("/t/{tenant:str}/account/signout-everywhere", sync_to_thread=True)
    def sign_out_everywhere(
        request: Request[Any, Any, Any], tenant: FromPath[str]
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        ended = identity.sign_out_everywhere(ui.session, ip=request_ip(request))
        response = redirect(
            request,
            f"/t/{tenant}/login",
            flash=ui.translator.ngettext(
                "You are signed out everywhere (%(num)s session ended).",
                "You are signed out everywhere (%(num)s sessions ended).",
                ended,
            ),
        )
        clear_session_cookie(response, tenant)
        return response

    @post("/t/{tenant:str}/account/locale", sync_to_thread=True, dependencies=POSTED_FORM)
    def set_locale(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        try:
            services.members.preferences.set_locale(ui.session.user_id, str(form.get("locale", "")))
        except PreferenceError:
            return render(
                request, ui, status=400, error_locale=N_("Choose a language of the list.")
            )
        services.members.forget_locale(ui.session.user_id)
        return redirect(request, home(tenant) + "#language", flash=N_("Your language is saved."))

    @post("/t/{tenant:str}/account/density", sync_to_thread=True, dependencies=POSTED_FORM)
    def set_density(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        try:
            services.members.preferences.set_density(
                ui.session.user_id, str(form.get("density", ""))
            )
        except PreferenceError:
            return render(
                request, ui, status=400, error_density=N_("Choose a density of the list.")
            )
        services.members.forget_locale(ui.session.user_id)
        back = safe_next(tenant, str(form.get("next") or home(tenant) + "#density"))
        return redirect(request, back, flash=N_("Your list density is saved."))

    @post("/t/{tenant:str}/account/timezone", sync_to_thread=True, dependencies=POSTED_FORM)
    def set_timezone(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        ui = signed_in(services, request, tenant)
        zone = str(form.get("timezone", "")).strip()
        try:
            services.members.preferences.set_timezone(ui.session.user_id, zone)
        except PreferenceError:
            return render(request, ui, status=400, error_zone=N_("Choose a time zone of the list."))
        services.members.forget_locale(ui.session.user_id)
        return redirect(request, home(tenant) + "#language", flash=N_("Your time zone is saved."))

    return [
        account_page,
        set_locale,
        set_timezone,
        set_density,
        start_two_factor,
        confirm_two_factor,
        disable_two_factor,
        renew_recovery_codes,
        change_password,
        sign_out_everywhere,
    ]


__all__ = ["account_routes"]
