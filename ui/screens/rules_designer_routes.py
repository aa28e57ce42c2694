"""The rules editor: ``/t/{t}/admin/entities/{e}/rules`` (tenant admins only).

Lists an entity's validations, formulas, defaults and trigger rules; edits a
validation or a trigger rule in a text box checked as one types (htmx posts the text
and the cursor to ``…/rules/check``, which answers the errors underlined with their
code and suggestion, and what may be typed at the cursor). "Try on record #N"
evaluates the rule on a stored record beside the dry-run explanation of its save.
A save goes to the draft at the revision the page was read at; a rule with errors is
not saved, a stale page answers 409 with the text kept.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.params import FromPath  # type: ignore[attr-defined]

from trellis.platform.designers.rule_try import try_on_record
from trellis.platform.designers.rules_service import (
    RuleCheckError,
    RuleEditError,
    Validation,
    check_condition,
    check_trigger,
    delete_trigger,
    delete_validation,
    entity_rules,
    save_trigger,
    save_validation,
)
from trellis.platform.drafts import DraftConflictError, DraftFileNotFoundError, InvalidDraftError
from trellis.platform.records.errors import NotFoundError, RecordError
from trellis.rules.editor import EditorReport
from trellis.ui.screens.designer_routes import admin_call, form_dict
from trellis.ui.screens.rule_check_view import completions, cursor_of, underlined
from trellis.ui.screens.web import POSTED_FORM, PostedForm, UiCall, UiServices, page, redirect

KINDS = ("validation", "trigger")
_BASE = "/t/{tenant:str}/admin/entities/{entity:str}/rules"


def _skeleton(entity: str) -> str:
    return (
        f'rule "New rule"\n  on {entity} created, updated\n'
        '  then notify owner "Check this record."\nend\n'
    )


def _text(values: dict[str, str], key: str = "source") -> str:
    return values.get(key, "").replace("\r\n", "\n")


def _kind(values: dict[str, str]) -> str:
    found = values.get("kind", "")
    return found if found in KINDS else "validation"


def _revision(values: dict[str, str]) -> int:
    text = values.get("draft_version", "")
    return int(text) if text.isdigit() else 0


def rules_designer_routes(services: UiServices) -> list[Any]:
    """Route handlers of the rules editor."""
    rt = services.runtime

    def report_of(
        ui: UiCall, entity: str, kind: str, source: str, cursor: int | None
    ) -> EditorReport:
        if kind == "trigger":
            return check_trigger(rt, ui.tenant, source, cursor)
        return check_condition(rt, ui.tenant, entity, source, cursor)

    def check_ctx(report: EditorReport, source: str) -> dict[str, Any]:
        errors = report.errors if source.strip() else []
        return {
            "checked": bool(source.strip()),
            "problems": errors,
            "pieces": underlined(source, errors),
            "completions": completions(report),
        }

    def editor(
        request: Request[Any, Any, Any],
        ui: UiCall,
        entity: str,
        kind: str,
        values: dict[str, str],
        *,
        revision: int | None = None,
        general: list[str] | None = None,
        stale: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        try:
            rules = entity_rules(rt, ui.tenant, entity)
            source = _text(values)
            report = report_of(
                ui, entity, kind, source, cursor_of(source, values.get("cursor", ""))
            )
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such entity in the draft.")) from None
        ctx = {
            "rules": rules,
            "kind": kind,
            "values": values,
            "revision": rules.revision if revision is None else revision,
            "general": general or [],
            "stale": stale,
            **check_ctx(report, source),
        }
        return page(request, ui, "designer_rule.html", ctx, status=status)

    @get(_BASE, sync_to_thread=True)
    def rules_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        try:
            rules = entity_rules(rt, tenant, entity)
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such entity in the draft.")) from None
        return page(request, ui, "designer_rules.html", {"rules": rules})

    @get(f"{_BASE}/validations/new", sync_to_thread=True)
    def new_validation(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        return editor(request, admin_call(services, request, tenant), entity, "validation", {})

    @get(f"{_BASE}/validations/{{number:int}}", sync_to_thread=True)
    def validation_page(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        number: FromPath[int],
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        try:
            rules = entity_rules(rt, tenant, entity)
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such entity in the draft.")) from None
        if not 1 <= number <= len(rules.validations):
            raise NotFoundError(ui.translator.gettext("No such rule in the draft."))
        found = rules.validations[number - 1]
        values = {
            "source": found.when,
            "field": found.field,
            "message_en": found.message.get("en", ""),
            "message_es": found.message.get("es", ""),
            "index": str(number),
        }
        return editor(request, ui, entity, "validation", values, revision=rules.revision)

    @get(f"{_BASE}/triggers/new", sync_to_thread=True)
    def new_trigger(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        return editor(request, ui, entity, "trigger", {"source": _skeleton(entity)})

    @get(f"{_BASE}/triggers/edit", sync_to_thread=True)
    def trigger_page(
        request: Request[Any, Any, Any], tenant: FromPath[str], entity: FromPath[str]
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        name = request.query_params.get("name", "")
        try:
            rules = entity_rules(rt, tenant, entity)
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such entity in the draft.")) from None
        block = next((b for b in rules.triggers if b.name == name), None)
        if block is None:
            raise NotFoundError(ui.translator.gettext("No such rule in the draft."))
        values = {"source": block.text, "original": block.name}
        return editor(request, ui, entity, "trigger", values, revision=rules.revision)

    @post(f"{_BASE}/check", sync_to_thread=True, dependencies=POSTED_FORM, status_code=200)
    def check_fragment(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        values = form_dict(form)
        kind = _kind(values)
        source = _text(values)
        try:
            report = report_of(
                ui, entity, kind, source, cursor_of(source, values.get("cursor", ""))
            )
        except DraftFileNotFoundError:
            raise NotFoundError(ui.translator.gettext("No such entity in the draft.")) from None
        return page(request, ui, "_rule_check.html", check_ctx(report, source))

    @post(f"{_BASE}/try", sync_to_thread=True, dependencies=POSTED_FORM, status_code=200)
    def try_fragment(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        values = form_dict(form)
        kind = _kind(values)
        raw = values.get("record", "").strip().lstrip("#")
        if not raw.isdigit() or len(raw) > 18:
            bad = ui.translator.gettext("Type the number of a record, e.g. 12.")
            return page(request, ui, "_rule_try.html", {"problem": bad})
        record = int(raw)
        result = try_on_record(rt, ui.call, kind, entity, _text(values), record)
        dry: dict[str, Any] | None = None
        compiled = ui.call.app.entities.get(result.entity)
        if result.outcome != "missing" and compiled is not None:
            try:
                dry = services.records.dry_run(ui.call, compiled, {}, record, None)
            except RecordError as exc:
                dry = {"would_save": False, "errors": {"__all__": [exc.message]}, "steps": []}
        ctx = {"result": result, "record": record, "dry": dry, "kind": kind}
        return page(request, ui, "_rule_try.html", ctx)

    def saved(
        request: Request[Any, Any, Any],
        ui: UiCall,
        entity: str,
        kind: str,
        values: dict[str, str],
        action: Any,
    ) -> Response[Any]:
        t = ui.translator
        revision = _revision(values)
        again: dict[str, Any] = {"revision": revision}
        try:
            action(revision)
        except DraftFileNotFoundError:
            raise NotFoundError(t.gettext("No such rule in the draft.")) from None
        except RuleEditError as exc:
            return editor(
                request,
                ui,
                entity,
                kind,
                values,
                **again,
                general=[t.message(exc.message)],
                status=422,
            )
        except RuleCheckError:
            fix = t.gettext("The rule has errors; nothing was saved. Fix them and save again.")
            return editor(request, ui, entity, kind, values, **again, general=[fix], status=422)
        except InvalidDraftError as exc:
            placed = [str(e["text"]) for e in exc.errors]
            return editor(request, ui, entity, kind, values, **again, general=placed, status=422)
        except DraftConflictError as exc:
            stale = t.gettext(
                "Another admin (%(who)s) saved the draft since you opened this page. "
                "Your changes are still in this form: reload the page in a new tab, "
                "apply them again and save.",
                who=exc.updated_by or "?",
            )
            return editor(request, ui, entity, kind, values, **again, stale=stale, status=409)
        done = t.gettext("Rule saved in the draft.")
        return redirect(request, f"/t/{ui.tenant}/admin/entities/{entity}/rules", flash=done)

    @post(f"{_BASE}/validations", sync_to_thread=True, dependencies=POSTED_FORM, status_code=200)
    def save_validation_post(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        values = form_dict(form)
        number = values.get("index", "")
        message = {"en": values.get("message_en", ""), "es": values.get("message_es", "")}
        rule = Validation(0, _text(values), values.get("field", "").strip(), message)

        def action(revision: int) -> int:
            index = int(number) - 1 if number.isdigit() else None
            who = ui.call.identity.email
            return save_validation(rt, tenant, entity, index, rule, expected=revision, actor=who)

        return saved(request, ui, entity, "validation", values, action)

    @post(f"{_BASE}/triggers", sync_to_thread=True, dependencies=POSTED_FORM, status_code=200)
    def save_trigger_post(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        values = form_dict(form)
        original = values.get("original") or None

        def action(revision: int) -> int:
            who = ui.call.identity.email
            return save_trigger(
                rt, tenant, entity, original, _text(values), expected=revision, actor=who
            )

        return saved(request, ui, entity, "trigger", values, action)

    @post(f"{_BASE}/delete", sync_to_thread=True, dependencies=POSTED_FORM, status_code=200)
    def delete_rule(
        request: Request[Any, Any, Any],
        tenant: FromPath[str],
        entity: FromPath[str],
        form: PostedForm,
    ) -> Response[Any]:
        ui = admin_call(services, request, tenant)
        t = ui.translator
        values = form_dict(form)
        revision, who = _revision(values), ui.call.identity.email
        number = values.get("index", "")
        try:
            if values.get("kind") == "trigger":
                delete_trigger(rt, tenant, values.get("name", ""), expected=revision, actor=who)
            elif number.isdigit():
                delete_validation(rt, tenant, entity, int(number) - 1, expected=revision, actor=who)
            else:
                raise NotFoundError(t.gettext("No such rule in the draft."))
        except DraftFileNotFoundError:
            raise NotFoundError(t.gettext("No such rule in the draft.")) from None
        except (InvalidDraftError, DraftConflictError):
            refused = t.gettext(
                "The rule was not deleted: the draft changed since this page was read, "
                "or it would not validate without the rule. Reload and try again."
            )
            return redirect(request, f"/t/{tenant}/admin/entities/{entity}/rules", flash=refused)
        done = t.gettext("Rule deleted from the draft.")
        return redirect(request, f"/t/{tenant}/admin/entities/{entity}/rules", flash=done)

    return [
        rules_page,
        new_validation,
        validation_page,
        new_trigger,
        trigger_page,
        check_fragment,
        try_fragment,
        save_validation_post,
        save_trigger_post,
        delete_rule,
    ]


__all__ = ["rules_designer_routes"]
