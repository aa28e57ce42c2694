"""Read ``portals/<name>.yaml``: public searchable listings of one entity's records.

Each file is checked against its meta-schema, then against the model. Codes shared with
forms and links: MD240 (the ``portal`` key differs from the file name), MD241 (unknown
entity), MD242 (unknown field), MD244 (a ``public_when`` value that does not fit its
field). Own codes: MD398 (a field unfit for its role: a heading or summary that is not
text, a body that is not text or rich text, vote counters that are not stored integers, a
search field the entity does not index, a language field that is not an enum or string,
a filter that is not an enum, a ``translation_of`` that is not a reference to the entity
itself), MD399 (a portal name taken by the other public pages).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from trellis.metadata.loader._public import _Checks
from trellis.metadata.loader._report import Report
from trellis.metadata.loader._schedule_loading import Reader, documents
from trellis.metadata.loader.positions import NodePath
from trellis.metadata.loader.yaml_source import YamlDocument
from trellis.metadata.model import (
    FIELD_TYPES,
    RESERVED_PORTAL_NAMES,
    AppModel,
    DslType,
    EntityDef,
    FieldType,
    PortalDef,
    PublicFieldDef,
    public_text,
)

PORTAL_DIR = "portals"
#: Query parameters a portal's list page uses itself: no filter may take these names.
RESERVED_QUERY_NAMES = frozenset({"q", "page", "lang", "voted"})


def _name(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def build_portal(name: str, doc: YamlDocument) -> PortalDef:
    """The portal of file ``portals/<name>.yaml`` (already schema-checked)."""
    data: dict[str, Any] = doc.data
    when = data.get("public_when") or {}
    votes = data.get("votes")
    fields = []
    for index, item in enumerate(data.get("fields") or []):
        anchor = doc.positions.anchor(("fields", index))
        if isinstance(item, str):
            fields.append(PublicFieldDef(item, source=anchor))
        elif isinstance(item, dict):
            label = public_text(item.get("label"))
            fields.append(PublicFieldDef(str(item["field"]), label=label, source=anchor))
    return PortalDef(
        name=name,
        entity=str(data.get("entity", "")),
        public_when=MappingProxyType(
            {k: tuple(v) if isinstance(v, list) else (v,) for k, v in when.items()}
        ),
        heading=str(data.get("heading") or ""),
        title=public_text(data.get("title")),
        description=public_text(data.get("description")),
        summary=_name(data.get("summary")),
        body=_name(data.get("body")),
        fields=tuple(fields),
        search=tuple(data.get("search") or ()),
        language=_name(data.get("language")),
        votes=(str(votes["helpful"]), str(votes["not_helpful"]))
        if isinstance(votes, dict)
        else None,
        sort=_name(data.get("sort")),
        page_size=int(data.get("page_size", 20)),
        filters=tuple(data.get("filters") or ()),
        translation_of=_name(data.get("translation_of")),
        source=doc.positions.anchor(()),
    )


def _is_text(entity: EntityDef, name: str) -> bool:
    return FIELD_TYPES[entity.fields[name].type].dsl_type is DslType.TEXT


def _check_roles(portal: PortalDef, entity: EntityDef, checks: _Checks) -> None:
    """Each named field exists and suits what the portal does with it (MD242, MD398)."""
    for key in ("heading", "summary", "body", "language"):
        name = getattr(portal, key)
        if name and checks.known(entity, name, (key,)):
            kind = entity.fields[name].type
            fits = _is_text(entity, name)
            if key == "body":
                fits = kind in (FieldType.TEXT, FieldType.RICH_TEXT, FieldType.STRING)
            elif key == "language":
                fits = kind in (FieldType.ENUM, FieldType.STRING)
            if not fits:
                message = (
                    f"'{key}' field '{name}' is of type {kind}, which a portal cannot use there"
                )
                checks.error("MD398", message, (key,))
    for index, item in enumerate(portal.fields):
        checks.known(entity, item.name, ("fields", index))
    indexed = {n for n in (entity.title, *entity.search) if n and n in entity.fields}
    for index, name in enumerate(portal.search):
        path: NodePath = ("search", index)
        if checks.known(entity, name, path) and (name not in indexed or not _is_text(entity, name)):
            message = (
                f"field '{name}' is not in the search index of '{entity.name}'; "
                f"add it (a text field) to 'search:' of the entity"
            )
            checks.error("MD398", message, path)
    for key, name in zip(("helpful", "not_helpful"), portal.votes or (), strict=False):
        path = ("votes", key)
        if checks.known(entity, name, path):
            f = entity.fields[name]
            if f.type != FieldType.INTEGER or f.computed:
                what = f"computed {f.type}" if f.computed else str(f.type)
                message = f"vote counter '{name}' must be a stored integer field, not {what}"
                checks.error("MD398", message, path)
    if portal.sort:
        checks.known(entity, portal.sort.lstrip("-"), ("sort",))
    _check_extras(portal, entity, checks)


def _check_extras(portal: PortalDef, entity: EntityDef, checks: _Checks) -> None:
    """Filters are enum fields (not reserved query names); ``translation_of`` a
    reference to the entity itself (MD242, MD398)."""
    for index, name in enumerate(portal.filters):
        path: NodePath = ("filters", index)
        if name in RESERVED_QUERY_NAMES:
            checks.error("MD398", f"a filter cannot be named '{name}' (used by the page)", path)
        elif checks.known(entity, name, path) and entity.fields[name].type != FieldType.ENUM:
            kind = entity.fields[name].type
            checks.error("MD398", f"filter '{name}' must be an enum field, not {kind}", path)
    original = portal.translation_of
    if original and checks.known(entity, original, ("translation_of",)):
        f = entity.fields[original]
        if f.type != FieldType.REFERENCE or f.to != entity.name:
            message = (
                f"'translation_of' field '{original}' must be a reference to '{entity.name}' "
                f"(the record a translation is made from)"
            )
            checks.error("MD398", message, ("translation_of",))


def _check_portal(model: AppModel, stem: str, doc: YamlDocument, report: Report) -> PortalDef:
    checks = _Checks(model, doc, report, f"portal '{stem}'")
    checks.name("portal", stem, doc.data)
    if stem in RESERVED_PORTAL_NAMES:
        taken = ", ".join(sorted(RESERVED_PORTAL_NAMES))
        checks.error("MD399", f"the name '{stem}' is taken by other public pages ({taken})", ())
    portal = build_portal(stem, doc)
    entity = checks.entity(portal.entity)
    if entity is None:
        return portal
    if not portal.heading:
        if entity.title is None:
            checks.error("MD398", "give 'heading': the entity has no title field", ("entity",))
        portal = replace(portal, heading=entity.title or "id")
    for name, values in portal.public_when.items():
        if checks.known(entity, name, ("public_when", name)):
            for value in values:
                checks.values(entity, {name: value}, "public_when")
    _check_roles(portal, entity, checks)
    return portal


def attach_portals(
    model: AppModel, root: Path, display: str, read: Reader, report: Report
) -> AppModel:
    """The model with its ``portals/``; every problem is reported."""
    portals = {
        stem: _check_portal(model, stem, doc, report)
        for stem, doc in documents(root, display, PORTAL_DIR, "portal", read, report).items()
    }
    return replace(model, portals=MappingProxyType(portals))


__all__ = ["PORTAL_DIR", "attach_portals", "build_portal"]
