"""Read ``forms/<name>.yaml`` (public forms) and ``links/<name>.yaml`` (signed link kinds).

Each file is checked against its meta-schema, then against the model. Codes: MD240 (the
``form``/``link`` key differs from the file name), MD241 (unknown entity), MD242 (unknown
field), MD243 (a field a visitor cannot fill: computed, or of a type public pages do not
offer), MD244 (a fixed ``hidden`` or ``set`` value that does not fit its field), MD245 (the
``public`` role of roles.yaml cannot create the form's entity, or hides a field it
fills), MD246 (the ``public`` role is granted more than ``create``), MD247 (a link whose
action lacks what it needs: ``fields`` for view and answer, ``set`` for set).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.loader._report import Report
from trellis.metadata.loader._schedule_loading import Reader, documents
from trellis.metadata.loader.positions import NodePath, PositionMap
from trellis.metadata.loader.yaml_source import YamlDocument
from trellis.metadata.model import (
    FIELD_TYPES,
    PUBLIC_ROLE,
    AppModel,
    EntityDef,
    FieldType,
    FieldValueError,
    FormDef,
    LinkDef,
    PublicFieldDef,
    public_text,
)

FORM_DIR = "forms"
LINK_DIR = "links"
#: Field types a visitor can fill on a public page (no record pickers, files or JSON).
FILLABLE = frozenset(
    {
        FieldType.STRING,
        FieldType.TEXT,
        FieldType.INTEGER,
        FieldType.DECIMAL,
        FieldType.MONEY,
        FieldType.PERCENT,
        FieldType.BOOLEAN,
        FieldType.DATE,
        FieldType.DATETIME,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.URL,
        FieldType.ENUM,
        FieldType.MULTI_ENUM,
        FieldType.TAGS,
    }
)


def _fields(items: Any, positions: PositionMap) -> tuple[PublicFieldDef, ...]:
    out: list[PublicFieldDef] = []
    for index, item in enumerate(items if isinstance(items, list) else []):
        path: NodePath = ("fields", index)
        if isinstance(item, str):
            out.append(PublicFieldDef(item, source=positions.anchor(path)))
        elif isinstance(item, dict) and isinstance(item.get("field"), str):
            out.append(
                PublicFieldDef(
                    item["field"],
                    label=public_text(item.get("label")),
                    help=public_text(item.get("help")),
                    required=item.get("required") is True,
                    source=positions.anchor(path),
                )
            )
    return tuple(out)


def _origins(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def build_form(name: str, doc: YamlDocument) -> FormDef:
    """The form of file ``forms/<name>.yaml`` (already schema-checked)."""
    data: dict[str, Any] = doc.data
    success = data.get("success") if isinstance(data.get("success"), dict) else {}
    redirect = success.get("redirect") if isinstance(success, dict) else None
    hidden = data.get("hidden")
    return FormDef(
        name=name,
        entity=str(data.get("entity", "")),
        fields=_fields(data.get("fields"), doc.positions),
        title=public_text(data.get("title")),
        description=public_text(data.get("description")),
        submit_label=public_text(data.get("submit_label")),
        hidden=MappingProxyType(dict(hidden) if isinstance(hidden, dict) else {}),
        success_message=public_text(success.get("message") if isinstance(success, dict) else None),
        success_redirect=redirect if isinstance(redirect, str) else None,
        allowed_origins=_origins(data.get("allowed_origins")),
        source=doc.positions.anchor(()),
    )


def build_link(name: str, doc: YamlDocument) -> LinkDef:
    """The link kind of file ``links/<name>.yaml`` (already schema-checked)."""
    data: dict[str, Any] = doc.data
    values = data.get("set")
    days = data.get("expires_days")
    withdraw = data.get("withdraw_consent")
    withdraw = withdraw if isinstance(withdraw, dict) else {}
    return LinkDef(
        name=name,
        entity=str(data.get("entity", "")),
        action=str(data.get("action", "view")),
        fields=_fields(data.get("fields"), doc.positions),
        set_values=MappingProxyType(dict(values) if isinstance(values, dict) else {}),
        layout=data.get("layout") if isinstance(data.get("layout"), str) else None,
        single_use=data.get("single_use") is True,
        expires_days=days if isinstance(days, int) and not isinstance(days, bool) else 30,
        title=public_text(data.get("title")),
        description=public_text(data.get("description")),
        submit_label=public_text(data.get("submit_label")),
        done_message=public_text(data.get("done_message")),
        source=doc.positions.anchor(()),
        withdraw_purpose=str(withdraw["purpose"]) if "purpose" in withdraw else None,
        withdraw_email=str(withdraw["email"]) if "email" in withdraw else None,
    )


class _Checks:
    """Cross-checks of one form or link file against the model."""

    def __init__(self, model: AppModel, doc: YamlDocument, report: Report, what: str) -> None:
        self.model = model
        self.positions = doc.positions
        self.report = report
        self.what = what

    def error(self, code: str, message: str, path: NodePath, hint: str | None = None) -> None:
        self.report.error(code, f"{self.what}: {message}", self.positions.anchor(path), hint)

    def name(self, key: str, stem: str, data: Mapping[str, Any]) -> None:
        declared = data.get(key)
        if isinstance(declared, str) and declared != stem:
            self.error("MD240", f"'{key}' is '{declared}' but the file is '{stem}'", (key,), stem)

    def entity(self, name: str) -> EntityDef | None:
        entity = self.model.entities.get(name)
        if entity is None:
            hint = did_you_mean(name, list(self.model.entities))
            self.error("MD241", f"unknown entity '{name}'", ("entity",), hint)
        return entity

    def known(self, entity: EntityDef, name: str, path: NodePath) -> bool:
        if name in entity.fields:
            return True
        hint = did_you_mean(name, list(entity.fields))
        self.error("MD242", f"unknown field '{name}' of entity '{entity.name}'", path, hint)
        return False

    def fillable(self, entity: EntityDef, field: PublicFieldDef, path: NodePath) -> None:
        f = entity.fields[field.name]
        if f.computed:
            self.error("MD243", f"field '{f.name}' is computed; visitors cannot fill it", path)
        elif f.type not in FILLABLE:
            message = f"field '{f.name}' is a {f.type} field; public pages cannot offer it"
            self.error("MD243", message, path)

    def values(self, entity: EntityDef, values: Mapping[str, Any], key: str) -> None:
        for name, value in values.items():
            path: NodePath = (key, name)
            if not self.known(entity, name, path):
                continue
            f = entity.fields[name]
            if f.computed:
                self.error("MD243", f"field '{name}' is computed; it cannot be set", path)
                continue
            if f.type == FieldType.BOOLEAN and not isinstance(value, bool):
                self.error("MD244", f"value for '{name}' must be true or false", path)
                continue
            try:
                FIELD_TYPES[f.type].coerce(value, f)
            except (FieldValueError, TypeError, ValueError) as exc:
                self.error("MD244", f"value for '{name}' does not fit the field: {exc}", path)
                continue
            if f.options and f.type == FieldType.ENUM and value not in f.options:
                hint = did_you_mean(str(value), list(f.options))
                self.error("MD244", f"'{value}' is not an option of '{name}'", path, hint)


def _check_public_role(model: AppModel, form: FormDef, checks: _Checks) -> None:
    role = model.roles.get(PUBLIC_ROLE)
    access = role.entities.get(form.entity) if role is not None else None
    if access is None or not access.allows("create"):
        message = (
            f"the '{PUBLIC_ROLE}' role of roles.yaml may not create '{form.entity}' records; "
            f"add  {PUBLIC_ROLE}: {{entities: {{{form.entity}: {{actions: [create]}}}}}}"
        )
        checks.error("MD245", message, ("entity",))
        return
    written: list[tuple[str, NodePath]] = [
        (f.name, ("fields", i)) for i, f in enumerate(form.fields)
    ]
    written += [(name, ("hidden", name)) for name in form.hidden]
    for name, path in written:
        if name in access.fields:
            message = f"the '{PUBLIC_ROLE}' role has field '{name}' {access.fields[name]}"
            checks.error("MD245", message, path)


def check_public_role(model: AppModel, report: Report) -> None:
    """The ``public`` role may only create records (MD246 at its grants otherwise)."""
    role = model.roles.get(PUBLIC_ROLE)
    if role is None:
        return
    for access in role.entities.values():
        extra = [a for a in access.actions if a != "create"]
        if extra:
            message = (
                f"role '{PUBLIC_ROLE}' may only create records (public forms); "
                f"remove {', '.join(extra)} from entity '{access.entity}'"
            )
            report.error("MD246", message, access.source)


def _check_form(model: AppModel, stem: str, doc: YamlDocument, report: Report) -> FormDef | None:
    checks = _Checks(model, doc, report, f"form '{stem}'")
    checks.name("form", stem, doc.data)
    form = build_form(stem, doc)
    entity = checks.entity(form.entity)
    if entity is None:
        return form
    for index, field in enumerate(form.fields):
        if checks.known(entity, field.name, ("fields", index)):
            checks.fillable(entity, field, ("fields", index))
    checks.values(entity, form.hidden, "hidden")
    _check_public_role(model, form, checks)
    return form


def _check_link(model: AppModel, stem: str, doc: YamlDocument, report: Report) -> LinkDef | None:
    checks = _Checks(model, doc, report, f"link '{stem}'")
    checks.name("link", stem, doc.data)
    link = build_link(stem, doc)
    if link.layout is not None and link.action not in ("view", "set"):
        message = f"'layout' needs action 'view' or 'set', not '{link.action}'"
        checks.error("MD247", message, ("layout",))
    elif link.action == "view" and not link.fields and link.layout is None:
        checks.error("MD247", "action 'view' needs 'fields' or 'layout: detail'", ("action",))
    if link.action == "answer" and not link.fields:
        checks.error("MD247", "action 'answer' needs 'fields' to fill", ("action",))
    storing = link.action in ("set", "open", "redirect")
    if storing and not link.set_values:
        checks.error("MD247", f"action '{link.action}' needs 'set' values to store", ("action",))
    if not storing and link.set_values:
        checks.error(
            "MD247",
            f"'set' values need action set, open or redirect, not '{link.action}'",
            ("set",),
        )
    if link.withdraw_purpose is not None and link.action != "set":
        checks.error(
            "MD247", f"'withdraw_consent' needs action 'set', not '{link.action}'", ("action",)
        )
    entity = checks.entity(link.entity)
    if entity is None:
        return link
    for index, field in enumerate(link.fields):
        known = checks.known(entity, field.name, ("fields", index))
        if known and link.action == "answer":
            checks.fillable(entity, field, ("fields", index))
    checks.values(entity, link.set_values, "set")
    email = link.withdraw_email
    place = ("withdraw_consent", "email")
    if (
        email is not None
        and checks.known(entity, email, place)
        and (entity.fields[email].type != FieldType.EMAIL)
    ):
        kind = entity.fields[email].type
        checks.error("MD247", f"withdraw_consent: '{email}' is a {kind} field, not email", place)
    if link.layout == "detail" and not link.fields:
        link = replace(link, fields=_detail_fields(entity, link))
    return link


def _detail_fields(entity: EntityDef, link: LinkDef) -> tuple[PublicFieldDef, ...]:
    """The declared fields of the entity's detail layout (every field without one)."""
    detail = entity.layouts.detail if entity.layouts is not None else None
    names = [n for s in detail.sections for n in s.fields] if detail is not None else []
    shown = [n for n in dict.fromkeys(names) if n in entity.fields] or list(entity.fields)
    return tuple(PublicFieldDef(name, source=link.source) for name in shown)


def attach_public(
    model: AppModel, root: Path, display: str, read: Reader, report: Report
) -> AppModel:
    """The model with its ``forms/`` and ``links/``; every problem is reported."""
    check_public_role(model, report)
    forms: dict[str, FormDef] = {}
    for stem, doc in documents(root, display, FORM_DIR, "form", read, report).items():
        form = _check_form(model, stem, doc, report)
        if form is not None:
            forms[stem] = form
    links: dict[str, LinkDef] = {}
    for stem, doc in documents(root, display, LINK_DIR, "link", read, report).items():
        link = _check_link(model, stem, doc, report)
        if link is not None:
            links[stem] = link
    return replace(model, forms=MappingProxyType(forms), links=MappingProxyType(links))


__all__ = ["FILLABLE", "FORM_DIR", "LINK_DIR", "attach_public", "build_form", "build_link"]
