"""JSON Schemas of the OpenAPI document: records as answered and as written, lists, errors.

A record as the API answers it (``Account``) has every visible column; a list item
(``Account_Item``) only ``id`` for sure (``fields=`` picks the rest). Every field may be
``null`` in answers (a field made required later keeps its old empty values), and the
reference and user columns ``expand=`` accepts are an id or a ``Trellis_Expanded``
object. What a client writes (``Account_Create``, ``Account_Update``) holds only the writable
fields and ``owner_id``; anything else is refused (422), so ``additionalProperties`` is
false. A required text must hold a non-blank character, as the save refuses blanks.

An entity's own components are named ``<Class>_<Part>`` and shared ones
``Trellis_<Name>``: class names hold no ``_``, so no entity (``order`` beside
``order_item``) can take another's name.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Any

from trellis.metadata.model import FIELD_TYPES, STANDARD_COLUMNS, DslType, FieldDef, FieldType
from trellis.metadata.model.field_types import nullable_schema
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.validation import MAX_VALUE_DEPTH
from trellis.platform.services.bulk import MAX_BULK_ITEMS
from trellis.platform.services.expand import expandable

INT64_MAX = 2**63 - 1
#: A required text must contain a character that is not white space, as Python's
#: ``str.strip`` sees it (``\S`` differs between regex dialects: ECMA-262 counts U+0085
#: and U+001C-U+001F as text and U+FEFF as space).
NOT_BLANK = r"[^\t-\r\x1c- \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_BLANK_CHECKED = (FieldType.STRING, FieldType.TEXT, FieldType.RICH_TEXT)
_STANDARD: dict[DslType, dict[str, Any]] = {
    DslType.NUMBER: {"type": "integer"},
    DslType.DATETIME: {"type": "string", "format": "date-time"},
}
_ALWAYS_SET = ("id", "created_at", "updated_at", "version")
_PATTERN_ONLY = ("email", "uri")
#: No stored text may hold NUL (PostgreSQL cannot); a write with one is refused (422).
NO_NUL: dict[str, Any] = {"not": {"type": "string", "pattern": "\\u0000"}}
_USER_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": INT64_MAX}


def ref(name: str) -> dict[str, str]:
    """A ``$ref`` to component schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


def class_name(entity: str) -> str:
    """The component name of an entity: ``sales_order`` -> ``SalesOrder``."""
    return "".join(part.capitalize() for part in entity.split("_"))


def _field_schema(f: FieldDef, *, nullable: bool, written: bool = False) -> dict[str, Any]:
    """The field's JSON Schema as the server checks it (``written``: as a client writes it).

    A write must match the field's pattern (``name@host.tld``, ``http(s)://…``) and the
    ``email`` or ``uri`` format; answers leave those formats out, so a value stored by an
    older, looser check still conforms.
    """
    schema = nullable_schema(f if not nullable else replace(f, required=False))
    if schema.get("format") in _PATTERN_ONLY and not written:
        del schema["format"]
    return schema


def _or_expanded(schema: dict[str, Any]) -> dict[str, Any]:
    """An id column's schema that ``expand=`` may turn into a ``Trellis_Expanded`` object
    (a list of ids, ``many_to_many``: each item)."""
    if "items" in schema:
        return {**schema, "items": {"anyOf": [schema["items"], ref("Trellis_Expanded")]}}
    if "entity" in schema.get("properties", {}):  # any_reference: the title joins in
        title = {"type": ["string", "null"], "description": "With expand=: the title."}
        return {**schema, "properties": {**schema["properties"], "title": title}}
    meta: dict[str, Any] = {
        k: schema.pop(k) for k in ("title", "description", "readOnly") if k in schema
    }
    return {"anyOf": [schema, ref("Trellis_Expanded")], **meta}


def record_schema(
    entity: CompiledEntity, hidden: Collection[str] = (), *, item: bool = False
) -> dict[str, Any]:
    """JSON Schema of a record as the API answers it (a list item when ``item``)."""
    columns = [str(c) for c in entity.columns if c not in hidden]
    expanded = {e.column for e in expandable(entity, columns).values()}
    props: dict[str, Any] = {}
    for name, (dsl, description) in STANDARD_COLUMNS.items():
        if name in hidden:
            continue
        schema = dict(_STANDARD[dsl])
        if name not in _ALWAYS_SET:
            schema["type"] = [schema["type"], "null"]
        if dsl is DslType.NUMBER:
            schema["minimum"] = 1
        schema["description"] = description
        if name != "owner_id":
            schema["readOnly"] = True
        props[name] = schema
    for f in entity.entity.fields.values():
        if f.name in hidden:
            continue
        schema = _field_schema(f, nullable=True)
        if f.computed:
            schema["readOnly"] = True
        props[f.name] = schema
    for name in expanded:
        props[name] = _or_expanded(props[name])
    label = entity.entity.label
    return {
        "type": "object",
        "title": f"{label} (list item)" if item else label,
        "description": (
            f"A {label} record; `fields=` chooses the columns beside `id`."
            if item
            else entity.entity.description or f"A {label} record."
        ),
        "properties": props,
        "required": ["id"] if item else list(props),
    }


def _input_property(entity: CompiledEntity, name: str) -> dict[str, Any]:
    f = entity.entity.fields[name]
    schema = _field_schema(f, nullable=not f.required, written=True)
    schema.pop("readOnly", None)
    if FIELD_TYPES[f.type].dsl_type is DslType.JSON:
        schema.update(ref("Trellis_JsonValue"))
    elif "string" in schema.get("type", ()):
        schema.update(NO_NUL)
    elif "string" in schema.get("items", {}).get("type", ()):
        schema["items"] = {**schema["items"], **NO_NUL}
    if FIELD_TYPES[f.type].whole:
        schema.setdefault("minimum", -INT64_MAX - 1)
        schema.setdefault("maximum", INT64_MAX)
    if f.required and f.type in _BLANK_CHECKED:
        schema.update(minLength=1, pattern=NOT_BLANK)
    if f.required and FIELD_TYPES[f.type].is_list:
        schema["minItems"] = 1
    return schema


def input_schema(
    entity: CompiledEntity,
    unwritable: Collection[str] = (),
    *,
    update: bool = False,
    starts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """JSON Schema of a create (or, with ``update``, a PATCH) body.

    ``starts`` maps a workflow's state field to its initial state: a create may only
    leave it out or name that state (a transition moves it on).
    """
    props: dict[str, Any] = {}
    for f in entity.entity.fields.values():
        if not f.computed and f.name not in unwritable:
            props[f.name] = _input_property(entity, f.name)
    for name, initial in (starts or {}).items():
        if name in props and not update:
            props[name] = {**props[name], "enum": [initial, None]}
    if "owner_id" not in unwritable:
        props["owner_id"] = {**_USER_ID, "description": "User id of the owner."}
    label = entity.entity.label
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if update:
        props["version"] = {
            "type": "integer",
            "minimum": 0,
            "maximum": INT64_MAX,
            "description": "The version the change is based on (409 when another save came "
            "first); the If-Match header wins over it.",
        }
        schema["title"] = f"Changes to a {label}"
        schema["description"] = "Only the fields sent change."
        return schema
    schema["title"] = f"New {label}"
    schema["required"] = [
        f.name
        for f in entity.entity.fields.values()
        if f.required and not f.computed and f.default is None and f.name in props
    ]
    return schema


def bulk_schema(entity: CompiledEntity, hidden: Collection[str] = ()) -> dict[str, Any]:
    """The body of ``POST …/{entity}/bulk``: an array, or items with an upsert key."""
    items = {
        "type": "array",
        "maxItems": MAX_BULK_ITEMS,
        "items": {
            "description": "A record to create (or update, when upsert_key matches); "
            "an item that is not valid gets its own errors in the answer."
        },
    }
    unmatchable = (DslType.LIST, DslType.JSON)
    keys = [
        name
        for name, f in entity.entity.fields.items()
        if name not in hidden and FIELD_TYPES[f.type].dsl_type not in unmatchable
    ]
    return {
        "title": f"Many {entity.entity.plural_label}",
        "oneOf": [
            items,
            {
                "type": "object",
                "properties": {
                    "items": items,
                    "upsert_key": {
                        "enum": [*keys, None],
                        "description": "A field: an item whose value matches a record in "
                        "the caller's scope updates it.",
                    },
                },
                "required": ["items"],
                "additionalProperties": False,
            },
        ],
    }


def shared_schemas() -> dict[str, Any]:
    """Schemas every document holds: errors, expanded references, lists, dry runs, bulk."""
    messages = {"type": "array", "items": {"type": "string"}}
    value = ref("Trellis_JsonValue")
    return {
        "Trellis_JsonValue": {
            "description": "Any JSON value without NUL in its strings and keys, nested at "
            f"most {MAX_VALUE_DEPTH} levels deep.",
            "anyOf": [
                {"type": ["null", "boolean", "number"]},
                {"type": "string", **NO_NUL},
                {"type": "array", "items": value},
                {"type": "object", "propertyNames": NO_NUL, "additionalProperties": value},
            ],
        },
        "Errors": {
            "type": "object",
            "description": "Every problem at once, by field (`__all__`: the request as a whole).",
            "properties": {
                "errors": {"type": "object", "additionalProperties": messages},
                "duplicates": {
                    "type": "array",
                    "description": "A save that duplicates live records (409 warn, 422 block): "
                    "the ones the caller may read, best first (docs/duplicates.md).",
                    "items": {"$ref": "#/components/schemas/Trellis_DuplicateCandidate"},
                },
                "referenced_by": {
                    "type": "array",
                    "description": "A delete refused by on_delete: restrict (409): the child "
                    "entities whose live records still reference the record, and how many.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "entity": {"type": "string"},
                            "field": {"type": "string"},
                            "count": {"type": "integer", "minimum": 1},
                        },
                        "required": ["entity", "field", "count"],
                    },
                },
            },
            "required": ["errors"],
        },
        "Trellis_DuplicateCandidate": {
            "type": "object",
            "properties": {
                "id": {"type": "integer", "minimum": 1},
                "title": {"type": "string"},
                "rule": {"type": "string"},
                "score": {"type": "number", "minimum": 0, "maximum": 1},
            },
            "required": ["id", "title", "rule", "score"],
        },
        "Trellis_Expanded": {
            "type": "object",
            "description": "A referenced record or member embedded by expand=; title is null "
            "when the caller may not see it.",
            "properties": {
                "id": {"type": "integer", "minimum": 1},
                "title": {"type": ["string", "null"]},
            },
            "required": ["id", "title"],
            "additionalProperties": False,
        },
        "Trellis_DryRun": {
            "type": "object",
            "properties": {
                "would_save": {"type": "boolean"},
                "record": {
                    "type": ["object", "null"],
                    "description": "The record as it would be saved (id null on a create).",
                },
                "steps": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "kind": {"type": "string"},
                            "name": {"type": "string"},
                            "result": {"type": "string"},
                            "changes": {"type": ["object", "null"]},
                            "step": {
                                "type": "string",
                                "description": "The save pipeline step it happened in.",
                            },
                        },
                    },
                },
                "errors": {"type": "object", "additionalProperties": messages},
            },
            "required": ["would_save", "record", "steps", "errors"],
        },
        "Trellis_BulkResult": {
            "type": "object",
            "properties": {
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "index": {"type": "integer", "minimum": 0},
                            "status": {"enum": ["created", "updated", "error"]},
                            "id": {"type": "integer"},
                            "record": {"type": "object"},
                            "errors": {"type": "object", "additionalProperties": messages},
                        },
                        "required": ["index", "status"],
                    },
                },
                "created": {"type": "integer", "minimum": 0},
                "updated": {"type": "integer", "minimum": 0},
                "failed": {"type": "integer", "minimum": 0},
            },
            "required": ["items", "created", "updated", "failed"],
        },
    }


def page_schema(entity: CompiledEntity) -> dict[str, Any]:
    """A list answer: a page of items, the next cursor and the count."""
    return {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": ref(f"{class_name(entity.name)}_Item")},
            "next_cursor": {"type": ["string", "null"]},
            "count": {"type": "integer", "minimum": 0},
            "count_exact": {"type": "boolean"},
        },
        "required": ["items", "next_cursor", "count", "count_exact"],
    }


def sortable(entity: CompiledEntity, hidden: Collection[str] = ()) -> list[str]:
    """Columns ``sort=`` accepts (lists and JSON values cannot be sorted)."""
    unsortable = {DslType.LIST, DslType.JSON}
    names = []
    for name in entity.columns:
        f = entity.entity.fields.get(name)
        if name in hidden or (f is not None and FIELD_TYPES[f.type].dsl_type in unsortable):
            continue
        names.append(str(name))
    return names


__all__ = [
    "INT64_MAX",
    "NOT_BLANK",
    "bulk_schema",
    "class_name",
    "input_schema",
    "page_schema",
    "record_schema",
    "ref",
    "shared_schemas",
    "sortable",
]
