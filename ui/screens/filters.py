"""Jinja filters and globals of the screens."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from jinja2.runtime import Context

from trellis.metadata.model import AppModel, FieldDef
from trellis.platform.api.security_headers import CONTENT_SECURITY_POLICY
from trellis.platform.i18n import Translator, translations
from trellis.ui.screens.forms import local_input
from trellis.ui.screens.icons import icon

HTMX_VERSION = "2.0.11"
ENGLISH = Translator("en")


def _translator(context: Context) -> Translator:
    found = context.get("i18n")
    return found if isinstance(found, Translator) else ENGLISH


@pass_context
def _gettext(context: Context, message: str) -> str:
    # Jinja's new-style wrapper fills the placeholders; only the lookup happens here.
    return translations(_translator(context).locale).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    # Jinja's newstyle wrapper fills %(num)s and the other variables itself.
    return translations(_translator(context).locale).ungettext(singular, plural, count)


@pass_context
def _pgettext(context: Context, msgctxt: str, message: str) -> str:
    # ``pgettext("jobs column", "queued")``: the same lookup within a msgctxt.
    return str(translations(_translator(context).locale).pgettext(msgctxt, message))


@pass_context
def _label(context: Context, text: str | None) -> str:
    return _translator(context).label(text)


@pass_context
def _message(context: Context, text: str) -> str:
    return _translator(context).message(text)


@pass_context
def _value_label(context: Context, value: Any, field: FieldDef) -> str:
    model = context.get("app_model")
    if not isinstance(model, AppModel):
        return "" if value is None else str(value)
    return _translator(context).value_label(model, field, value)


def register_filters(engine: Any) -> None:
    """Add the screens' globals, filters and gettext (``{% trans %}``, ``_()``,
    ``pgettext()``) to Jinja."""
    env = engine.engine
    env.globals["htmx_version"] = HTMX_VERSION
    env.globals["csp"] = CONTENT_SECURITY_POLICY
    env.auto_reload = False  # package files: no stat() of every template on every render
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(_gettext, _ngettext, newstyle=True, pgettext=_pgettext)
    env.filters["label"] = _label
    env.filters["msg"] = _message
    env.filters["value_label"] = _value_label
    env.globals["icon"] = icon  # an icon of the static sprite
    env.globals["local_input"] = local_input  # datetime-local values in the member's zone


__all__ = ["register_filters"]
