"""The pipeline designer: ``/t/{t}/admin/pipelines`` (tenant admins only).

Shows every pipeline's stages in order with their label, probability, colour and
outcome; buttons move a stage up or down (the keyboard way to reorder), edit,
remove or add one. Each change is a plain form post saved to the draft at the
revision the page was read at; a refused one shows the page again with the reason.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.metadata.model.badges import BADGE_COLOURS
from trellis.metadata.model.local_text import local_text
from trellis.platform.designers.pipeline_service import (
    StageChange,
    StageEditError,
    edit_pipeline,
    pipeline_files,
)
from trellis.platform.drafts import DraftConflictError, DraftFileNotFoundError, InvalidDraftError
from trellis.platform.records.errors import NotFoundError
from trellis.ui.screens.designer_routes import admin_call, form_dict
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiCall, UiServices, page, redirect


def stage_rows(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the page shows of each stage (and the values its edit form starts with)."""
    rows = []
    for stage in stages:
        label = stage.get("label")
        names = label if isinstance(label, dict) else {"en": label, "es": label}
        outcome = "won" if stage.get("won") else "lost" if stage.get("lost") else ""
        rows.append(
            {
                "name": str(stage.get("name") or ""),
                "label": local_text(label) or str(stage.get("name") or ""),
                "en": str(names.get("en") or ""),
                "es": str(names.get("es") or ""),
                "probability": stage.get("probability"),
                "colour": str(stage.get("colour") or ""),
                "outcome": outcome,
            }
        )
    return rows


def pipeline_designer_routes(services: UiServices) -> list[Any]:
    """Route handlers of the pipeline designer."""

    def show(
        request: Request[Any, Any, Any],
        ui: UiCall,
        *,
        errors: dict[str, list[str]] | None = None,
        status: int = 200,
        revision: int | None = None,
        values: dict[str, str] | None = None,
    ) -> Response[Any]:
        files, current = pipeline_files(services.runtime, ui.tenant)
        ctx = {
            "pipelines": [(p, stage_rows(p.stages)) for p in files],
            "colours": BADGE_COLOURS,
            "errors": errors or {},
            "values": values or {},
            "revision": current if revision is None else revision,
            "pressed": (request.query_params.get("at"), request.query_params.get("pressed")),
        }
        return page(request, ui, "designer_pipelines.html", ctx, status=status)

    @get("/t/{tenant:str}/admin/pipelines", sync_to_thread=True)
    def pipelines_page(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
        return show(request, admin_call(services, request, tenant))

    @post(
        "/t/{tenant:str}/admin/pipelines/{name:str}",
        sync_to_thread=True,
        dependencies=POSTED_FORM,
        status_code=200,
    )
    def change_pipeline(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        name: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values = form_dict(form)
        text = values.get("draft_version", "").strip()
        revision = int(text) if text.isdigit() else 0
        change = StageChange(
            op=values.get("op", ""),
            stage=values.get("stage", "").strip(),
            label_en=values.get("label_en", ""),
            label_es=values.get("label_es", ""),
            probability=values.get("probability", ""),
            colour=values.get("colour", ""),
            outcome=values.get("outcome", ""),
        )
        again: dict[str, Any] = {
            "revision": revision,
            "values": {**values, "pipeline": name},
            "status": 422,
        }
        try:
            edit_pipeline(
                services.runtime,
                tenant,
                name,
                change,
                expected=revision,
                actor=ui.call.identity.email,
            )
        except DraftFileNotFoundError:
            raise NotFoundError(t.gettext("No such pipeline in the draft.")) from None
        except StageEditError as exc:
            return show(request, ui, errors={name: [t.message(exc.message)]}, **again)
        except InvalidDraftError as exc:
            return show(request, ui, errors={name: [str(e["text"]) for e in exc.errors]}, **again)
        except DraftConflictError as exc:
            stale = t.gettext(
                "Another admin (%(who)s) saved the draft since you opened this page. "
                "Nothing was changed: the page now shows the draft as it is; "
                "make your change again.",
                who=exc.updated_by or "?",
            )
            return show(request, ui, errors={name: [stale]}, status=409)
        done = t.gettext("Pipeline saved in the draft.")
        anchor = (
            f"?pressed={change.op}&at={name}-{change.stage}" if change.op in ("up", "down") else ""
        )
        return redirect(request, f"/t/{tenant}/admin/pipelines{anchor}", flash=done)

    return [pipelines_page, change_pipeline]


__all__ = ["pipeline_designer_routes", "stage_rows"]
