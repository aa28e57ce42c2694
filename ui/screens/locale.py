"""The language of a screen request: the member's setting, the tenant's, the browser's, en."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar import Request

from trellis.platform.i18n import Translator, choose_locale

if TYPE_CHECKING:
    from trellis.ui.screens.members import MemberCache

_STATE_KEY = "trellis_translator"


def request_translator(
    members: MemberCache,
    request: Request[Any, Any, Any],
    user_id: int | None = None,
    tenant_locale: str | None = None,
    tenant_zone: str = "UTC",
) -> Translator:
    """The request's Translator, chosen once per request and kept on its state.

    An unknown locale anywhere (a stale setting, a browser's exotic header) is skipped
    without an error.
    """
    found = request.scope.get("state", {}).get(_STATE_KEY)
    if isinstance(found, Translator):
        return found
    user = members.locale(user_id) if user_id is not None else None
    locale = choose_locale(user, tenant_locale, request.headers.get("accept-language"))
    zone = (members.timezone(user_id) if user_id is not None else None) or tenant_zone
    translator = Translator(locale, zone)
    request.scope.setdefault("state", {})[_STATE_KEY] = translator
    return translator


def known_translator(request: Request[Any, Any, Any]) -> Translator:
    """The request's Translator if a screen chose one, else one by ``Accept-Language``."""
    found = request.scope.get("state", {}).get(_STATE_KEY)
    if isinstance(found, Translator):
        return found
    return Translator(choose_locale(None, None, request.headers.get("accept-language")))


__all__ = ["known_translator", "request_translator"]
