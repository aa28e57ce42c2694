"""Public forms: a visitor creates one record through the save pipeline as ``public``.

The principal of every public save is the tenant's ``public`` role (roles.yaml), which
the loader allows to do nothing but create the entities of the declared forms; the save
pipeline (coercion, validations, formulas, rollups, rules, change row) runs as for any
member. Fields the form does not show are dropped, its ``hidden`` values always win.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trellis.metadata.model import PUBLIC_ROLE, FormDef
from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz.call import Call
from trellis.platform.records.errors import ValidationFailedError
from trellis.platform.runtime import PartKey, Runtime, TenantNotFoundError
from trellis.platform.runtime.app_runtime import AppRuntime
from trellis.platform.services import Services
from trellis.tenants.registry import TokenIdentity

#: The user id public saves are recorded with (no member has it: ids start at 1).
PUBLIC_USER_ID = 0
#: Shown in the visitor's language (the same message as the save pipeline's).
REQUIRED = Translatable("This field is required.")
_CALL: PartKey[Call] = PartKey("public.call")


class UnknownPublicPageError(LookupError):
    """No such tenant, form or link; answered the same way whichever it was."""


@dataclass(frozen=True, slots=True)
class PublicForm:
    """A form of a tenant's current app version."""

    tenant: str
    form: FormDef
    rt: AppRuntime

    @property
    def default_locale(self) -> str | None:
        """The tenant's default language (``locale:`` in app.yaml, when the model has it)."""
        value = getattr(self.rt.app.model, "locale", None)
        return value if isinstance(value, str) else None


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


class PublicForms:
    """Finds forms and saves their submissions as the tenant's public principal."""

    def __init__(self, runtime: Runtime, services: Services) -> None:
        self.runtime = runtime
        self.services = services

    def find(self, tenant: str, name: str) -> PublicForm:
        """The form ``name`` of ``tenant``.

        Raises:
            UnknownPublicPageError: no such tenant (or nothing published) or form.
        """
        try:
            rt = self.runtime.app_runtime(tenant)
        except TenantNotFoundError:
            raise UnknownPublicPageError(name) from None
        form = rt.app.model.forms.get(name)
        if form is None:
            raise UnknownPublicPageError(name)
        return PublicForm(tenant, form, rt)

    def call(self, found: PublicForm) -> Call:
        """The call of the tenant's public principal (built once per app version)."""

        def build(rt: AppRuntime) -> Call:
            identity = TokenIdentity(
                token_id=0,
                user_id=PUBLIC_USER_ID,
                email=PUBLIC_ROLE,
                tenant_id=rt.tenant_id,
                tenant=rt.tenant,
                roles=(PUBLIC_ROLE,),
                expires_at=None,
            )
            return self.services.call_as(rt.tenant, identity)

        return found.rt.part(_CALL, build)

    def submit(self, found: PublicForm, values: dict[str, Any]) -> dict[str, Any]:
        """Create the form's record from ``values``; returns the saved record's JSON.

        Raises:
            ValidationFailedError: a field required by the form is empty, or the save
                pipeline refused the record (nothing is stored).
        """
        form = found.form
        shown = {f.name for f in form.fields}
        data = {name: value for name, value in values.items() if name in shown}
        data.update(form.hidden)
        # Unowned until a rule assigns it (the public principal is nobody's account).
        data["owner_id"] = None
        call = self.call(found)
        entity = call.app.entities[form.entity]
        missing = {
            f.name: [REQUIRED] for f in form.fields if f.required and _empty(data.get(f.name))
        }
        if missing:
            # Every problem at once: what the pipeline would refuse too (nothing written).
            try:
                explained = self.services.records.dry_run(call, entity, data, None, None)
                errors: dict[str, list[str]] = dict(explained.get("errors") or {})
            except ValidationFailedError as exc:  # a malformed value: refused before the steps
                errors = dict(exc.errors)
            for name, messages in missing.items():
                errors[name] = [*messages, *(m for m in errors.get(name, []) if m not in messages)]
            raise ValidationFailedError(errors)
        return self.services.records.create(call, entity, data).record


__all__ = ["PUBLIC_USER_ID", "PublicForm", "PublicForms", "UnknownPublicPageError"]
