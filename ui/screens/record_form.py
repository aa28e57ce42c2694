"""The record form of the screens: its sections, defaults, posted values and rendering.

A new record's form is filled with the fields' ``default:`` values (the same
expressions the API evaluates), and a create leaves out the empty fields that have a
default so the save pipeline fills them, as it does for an API client that omits them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request, Response

from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import RecordError
from trellis.platform.records.values import coerce_computed, to_json
from trellis.ui.screens.forms import form_values
from trellis.ui.screens.layouts import Screens, editable
from trellis.ui.screens.line_forms import form_tables, posted_lines
from trellis.ui.screens.present import TITLED_TYPES, Presenter, label_of, link_chips
from trellis.ui.screens.web import PostedForm, UiCall, UiServices, is_htmx, page

Sections = list[tuple[str, tuple[str, ...]]]


def posted_multi(form: PostedForm) -> dict[str, list[str]]:
    """Every value of each field of a posted form."""
    return {key: [str(v) for v in form.getall(key)] for key in form}


def without_blank_defaults(entity: CompiledEntity, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` without the empty values of fields that have a default (a create fills them)."""
    return {k: v for k, v in data.items() if not (v is None and k in entity.defaults)}


class RecordForms:
    """Builds, reads and renders the create/edit form of any entity."""

    def __init__(self, services: UiServices) -> None:
        self.services = services
        self.api = services.records

    def presenter(self, ui: UiCall) -> Presenter:
        """Cell formatting in the caller's language, with reference titles they may read."""
        names = self.services.members.names(ui.tenant)
        return Presenter(self.api, ui.call, names, ui.translator)

    def sections(self, ui: UiCall, entity: CompiledEntity, screens: Screens) -> Sections:
        """Sections of the form with only the fields this user may write; a ``lines``
        field placed in a section is shown there as its table of lines."""
        access = ui.call.access.entity(entity.name)
        found = []
        for section in screens.form:
            names = tuple(
                n
                for n in section.fields
                if n not in access.hidden
                and (
                    n in entity.entity.lines
                    or (n in entity.entity.fields and editable(entity.entity.fields[n]))
                )
            )
            if names:
                found.append((section.label, names))
        return found

    def posted(
        self, form: PostedForm, ui: UiCall, entity: CompiledEntity, screens: Screens
    ) -> tuple[dict[str, list[str]], list[str], dict[str, Any]]:
        """The posted form, the fields this user may write in it, and their API values."""
        posted = posted_multi(form)
        names = [
            n
            for _, fields in self.sections(ui, entity, screens)
            for n in fields
            if n not in entity.entity.lines
        ]
        values = form_values(entity.entity, posted, names, ui.translator.zone)
        return posted, names, values | posted_lines(ui.call, entity.entity, posted)

    def defaults(self, ui: UiCall, entity: CompiledEntity) -> dict[str, Any]:
        """The JSON values of the entity's ``default:`` expressions for a new record now."""
        ectx = self.api.eval_context(ui.call)
        blank: dict[str, Any] = dict.fromkeys(entity.entity.fields)
        values: dict[str, Any] = {}
        for name, expression in entity.defaults.items():
            f = entity.entity.fields[name]
            try:
                value = coerce_computed(f, expression.evaluate(blank, ectx))
            except (ArithmeticError, ValueError, TypeError):
                continue  # the save reports it; the form just starts empty
            values[name] = to_json(value, f)
        return values

    def state(self, ui: UiCall, entity: CompiledEntity, record: dict[str, Any]) -> dict[str, Any]:
        """Which fields are visible, required and read-only for the draft now."""
        try:
            draft = {k: v for k, v in record.items() if k in entity.entity.fields}
            return self.api.form(ui.call, entity, record.get("id"), draft)
        except RecordError:
            return {}

    def titles(self, ui: UiCall, entity: CompiledEntity, record: dict[str, Any]) -> dict[str, str]:
        """The shown titles of the record's references (for the lookups' text boxes)."""
        shown = self.presenter(ui)
        names = [n for n, f in entity.entity.fields.items() if f.type in TITLED_TYPES]
        shown.load_titles(entity.entity, [record], names)
        return {n: shown.cell(entity.entity, record, n).text for n in names if record.get(n)}

    def render(
        self,
        request: Request[Any, Any, Any],
        ui: UiCall,
        entity: CompiledEntity,
        screens: Screens,
        record: dict[str, Any],
        *,
        errors: dict[str, list[str]] | None = None,
        conflict: dict[str, Any] | None = None,
        status: int = 200,
        duplicates: list[dict[str, Any]] | None = None,
    ) -> Response[Any]:
        """The form page (an htmx re-post with errors gets the form fragment only); a 409
        of a ``warn`` duplicate rule lists the look-alikes with "Save anyway"."""
        access = ui.call.access.entity(entity.name)
        sections = self.sections(ui, entity, screens)
        shown = {n for _, names in sections for n in names}
        failed = errors or {}
        tables = form_tables(ui.call, entity.entity, record, failed)
        summary = [
            (name, label_of(entity.entity, name) if name in entity.entity.fields else name, ms)
            for name, ms in failed.items()
            if name != "__all__"
        ]
        context = {
            "entity": entity.entity,
            "record": record,
            "sections": sections,
            "errors": failed,
            "error_summary": [(n, label, ms, n in shown) for n, label, ms in summary],
            "read_only": access.read_only,
            "state": self.state(ui, entity, record),
            "options": self.titles(ui, entity, record),
            "chips": link_chips(self.presenter(ui), entity, record),
            "conflict": conflict,
            "line_tables": [t for t in tables if t.name not in shown],
            "placed_tables": {t.name: t for t in tables if t.name in shown},
            "duplicates": duplicates if status == 409 else None,
        }
        template = "_form.html" if is_htmx(request) and status != 200 else "form.html"
        return page(request, ui, template, context, status=status)


__all__ = ["RecordForms", "posted_multi", "without_blank_defaults"]
