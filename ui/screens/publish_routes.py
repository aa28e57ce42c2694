"""The publish page and the history: ``/t/{t}/admin/publish`` and ``/t/{t}/admin/versions``.

The publish page shows the draft's plan (DDL for the tenant's database, destructive
changes with their counts, the metadata diff) and publishes it with a comment; a
destructive change is confirmed by typing the name of each entity it touches. The
history lists every version with author, time and comment, diffs two versions and
rolls back to one (shown as a plan first). Everything goes through platform/drafts,
the functions behind ``/t/{t}/api/_meta/…``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.drafts import (
    DestructiveChangeError,
    DraftStore,
    InvalidDraftError,
    PublishLockedError,
    StaleDraftError,
    VersionNotFoundError,
    diff_versions,
    list_versions,
    plan_draft,
    publish_draft,
    rollback,
)
from trellis.platform.records.errors import NotFoundError
from trellis.tenants.registry import VersionConflictError
from trellis.ui.screens.designer_routes import admin_call
from trellis.ui.screens.version_view import version_rows
from trellis.ui.screens.web import (
    POSTED_FORM,
    PostedForm,
    UiCall,
    UiServices,
    is_htmx,
    page,
    redirect,
)

#: Longest publish comment kept (as the API).
MAX_COMMENT = 2000


def to_confirm(plan: Mapping[str, Any]) -> list[str]:
    """The entities whose names must be typed to confirm the plan's destructive changes."""
    if not plan.get("needs_confirmation"):
        return []
    return sorted({str(c["entity"]) for c in plan.get("destructive", []) if c.get("entity")})


def confirmed(form: Mapping[str, Any], entities: list[str]) -> bool:
    """Whether the form typed every entity name of ``entities`` exactly."""
    return all(str(form.get(f"confirm_{name}", "")).strip() == name for name in entities)


def typed(form: Mapping[str, Any]) -> bool:
    """Whether the form carries any typed confirmation (else the plan needs none)."""
    return any(str(key).startswith("confirm_") for key in form)


def publish_routes(services: UiServices) -> list[Any]:
    """Route handlers of the publish page and the history."""
    runtime = services.runtime

    def publish_page(
        request: Request[Any, Any, Any],
        ui: UiCall,
        *,
        plan: Mapping[str, Any] | None,
        status: int = 200,
        problem: str | None = None,
        refused: list[str] | None = None,
        comment: str = "",
    ) -> Response[Any]:
        info = runtime.tenant(ui.tenant, fresh=True)
        draft = DraftStore(runtime.registry).load(info.id)
        ctx = {
            "draft": draft,
            "current_version": info.current_version,
            "plan": plan,
            "confirm": to_confirm(plan) if plan else [],
            "problem": problem,
            "refused": refused or [],
            "comment": comment,
            "action": f"/t/{ui.tenant}/admin/publish",
        }
        template = "_publish_plan.html" if is_htmx(request) and plan else "publish.html"
        return page(request, ui, template, ctx, status=status)

    @get("/t/{tenant:str}/admin/publish", sync_to_thread=True)
    def show(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        return publish_page(request, ui, plan=None)

    @get("/t/{tenant:str}/admin/publish/plan", sync_to_thread=True)
    def show_plan(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        try:
            plan = plan_draft(runtime, tenant)
        except StaleDraftError as exc:
            return publish_page(request, ui, plan=None, problem=str(exc), status=409)
        return publish_page(request, ui, plan=plan)

    @post(
        "/t/{tenant:str}/admin/publish",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def do_publish(
        request: Request[Any, Any, Any], tenant: FromPath[str], form: PostedForm
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        comment = str(form.get("comment", ""))[:MAX_COMMENT]
        try:
            answer = publish_draft(
                runtime,
                tenant,
                actor=ui.call.identity.email,
                comment=comment,
                confirm=typed(form) and confirmed(form, to_confirm(plan_draft(runtime, tenant))),
            )
        except InvalidDraftError as exc:
            problem = t.gettext("The draft has errors; nothing was published.")
            bad = {"valid": False, "errors": exc.errors}
            return publish_page(request, ui, plan=bad, problem=problem, status=422, comment=comment)
        except DestructiveChangeError as exc:
            problem = t.gettext(
                "This publish would lose or hide data: type the name of each entity to confirm."
            )
            return publish_page(
                request,
                ui,
                plan=plan_draft(runtime, tenant),
                problem=problem,
                refused=exc.changes,
                status=409,
                comment=comment,
            )
        except (PublishLockedError, StaleDraftError, VersionConflictError) as exc:
            return publish_page(request, ui, plan=None, problem=str(exc), status=409)
        if answer.get("unchanged"):
            done = t.gettext("The draft has no changes: nothing to publish.")
        else:
            done = t.gettext("Version %(n)s published.", n=answer["version"])
        return redirect(request, f"/t/{tenant}/admin/versions", flash=done)

    @get("/t/{tenant:str}/admin/versions", sync_to_thread=True)
    def history(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        found = list_versions(runtime, tenant)
        found["items"] = version_rows(ui.translator, found["items"])
        return page(request, ui, "versions.html", found)

    @get("/t/{tenant:str}/admin/versions/diff", sync_to_thread=True)
    def diff(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        a, b = request.query_params.get("a", ""), request.query_params.get("b", "")
        missing = NotFoundError(ui.translator.gettext("Pick two published versions to compare."))
        if not (a.isdigit() and b.isdigit() and len(a) < 10 and len(b) < 10):
            raise missing
        try:
            found = diff_versions(runtime, tenant, int(a), int(b))
        except VersionNotFoundError:
            raise missing from None
        return page(request, ui, "version_diff.html", {"diff": found})

    def rollback_page(
        request: Request[Any, Any, Any],
        ui: UiCall,
        version: int,
        *,
        status: int = 200,
        problem: str | None = None,
    ) -> Response[Any]:
        try:
            plan = rollback(runtime, ui.tenant, version, actor=ui.call.identity.email, dry_run=True)
        except VersionNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such version.")) from None
        ctx = {
            "version": version,
            "plan": plan,
            "confirm": to_confirm(plan),
            "problem": problem,
            "action": f"/t/{ui.tenant}/admin/versions/{version}/rollback",
        }
        return page(request, ui, "rollback.html", ctx, status=status)

    @get("/t/{tenant:str}/admin/versions/{version:int}/rollback", sync_to_thread=True)
    def rollback_plan(
        request: Request[Any, Any, Any], tenant: FromPath[str], version: FromPath[int]
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        return rollback_page(request, ui, version)

    @post(
        "/t/{tenant:str}/admin/versions/{version:int}/rollback",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def do_rollback(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        version: FromPath[int],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        comment = str(form.get("comment", "")).strip()[:MAX_COMMENT] or None
        actor = ui.call.identity.email
        try:
            confirm = typed(form) and confirmed(
                form, to_confirm(rollback(runtime, tenant, version, actor=actor, dry_run=True))
            )
            answer = rollback(
                runtime, tenant, version, actor=actor, comment=comment, confirm=confirm
            )
        except VersionNotFoundError:
            raise NotFoundError(t.gettext("No such version.")) from None
        except DestructiveChangeError:
            problem = t.gettext(
                "This rollback would lose or hide data: type the name of each entity to confirm."
            )
            return rollback_page(request, ui, version, status=409, problem=problem)
        except (PublishLockedError, VersionConflictError) as exc:
            return rollback_page(request, ui, version, status=409, problem=str(exc))
        if answer.get("unchanged"):
            done = t.gettext("Version %(v)s is what runs now: nothing to roll back.", v=version)
        else:
            done = t.gettext(
                "Rolled back to version %(v)s as version %(n)s.", v=version, n=answer["version"]
            )
        return redirect(request, f"/t/{tenant}/admin/versions", flash=done)

    return [show, show_plan, do_publish, history, diff, rollback_plan, do_rollback]


__all__ = ["confirmed", "publish_routes", "to_confirm", "typed"]
