"""The public form designer's domain: ``forms/<name>.yaml`` of the draft.

What the metadata of a public form declares (docs/public.md) and the designer edits:
the fields shown (order, label and help per locale, required), the title, description,
submit label and success message per locale. The fixed ``hidden`` values, the success
redirect and ``allowed_origins`` are shown, not edited. A change is written into the
file in place (comments kept, platform/designers/form_yaml.py), the package validated
with it (the CLI's positioned errors: an unknown field is MD242) and saved at the draft
revision the admin read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from trellis.metadata.loader._public import FILLABLE
from trellis.metadata.model.local_text import Translatable
from trellis.platform.designers.field_yaml import parse_entity
from trellis.platform.designers.form_yaml import set_items, set_value
from trellis.platform.designers.service import draft_state, refuse_new_errors
from trellis.platform.drafts.errors import DraftError, DraftFileNotFoundError
from trellis.platform.drafts.service import draft_files
from trellis.platform.drafts.store import DraftStore
from trellis.platform.i18n.catalogue import N_
from trellis.platform.runtime import Runtime

FORM_FOLDER = "forms"
FORM_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
#: The texts of the form itself the designer edits (``success`` means success.message).
TEXTS = ("title", "description", "submit_label", "success")
LOCALES = ("en", "es")


class FormEditError(DraftError):
    """A form change that cannot be made (the message says why; nothing changed)."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.message = Translatable(msgid, **params)
        super().__init__(str(self.message))


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One field of the form as the designer shows and posts it back."""

    name: str
    label: dict[str, str]
    help: dict[str, str]
    required: bool
    position: int = 0
    remove: bool = False


@dataclass(frozen=True, slots=True)
class FormChange:
    """Everything the form page posts: its field rows, texts and a field to add."""

    fields: list[FieldRow]
    texts: dict[str, dict[str, str]] = field(default_factory=dict)
    add: str = ""


@dataclass(frozen=True, slots=True)
class FormFile:
    """One public form as the draft has it."""

    name: str
    path: str
    revision: int
    changed: bool
    data: dict[str, Any]
    rows: list[FieldRow]
    texts: dict[str, dict[str, str]]


def form_path(name: str) -> str:
    """The package path of form ``name``.

    Raises:
        DraftFileNotFoundError: ``name`` is not a form name.
    """
    if not FORM_NAME.fullmatch(name):
        raise DraftFileNotFoundError(f"'{name}' is not a form name.")
    return f"{FORM_FOLDER}/{name}.yaml"


def local(value: Any) -> dict[str, str]:
    """A text of the form (plain or per locale) as one text per edited locale."""
    if isinstance(value, dict):
        return {loc: str(value.get(loc) or "") for loc in LOCALES}
    text = "" if value is None else str(value)
    return dict.fromkeys(LOCALES, text)


def _item(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return dict(value)
    return {"field": str(value)} if value is not None else {}


def _rows(data: dict[str, Any]) -> list[FieldRow]:
    items = data.get("fields")
    rows = []
    for i, raw in enumerate(items if isinstance(items, list) else []):
        item = _item(raw)
        rows.append(
            FieldRow(
                name=str(item.get("field") or ""),
                label=local(item.get("label")),
                help=local(item.get("help")),
                required=item.get("required") is True,
                position=i + 1,
            )
        )
    return rows


def _texts(data: dict[str, Any]) -> dict[str, dict[str, str]]:
    success = data.get("success")
    message = success.get("message") if isinstance(success, dict) else None
    found = {key: local(data.get(key)) for key in TEXTS if key != "success"}
    return {**found, "success": local(message)}


def form_files(runtime: Runtime, tenant: str) -> tuple[list[FormFile], int]:
    """Every public form of the draft, in name order, and the draft revision."""
    state, draft = draft_state(runtime, tenant)
    found = []
    for path, text in sorted(draft_files(state, draft).items()):
        parts = path.split("/")
        if len(parts) != 2 or parts[0] != FORM_FOLDER or not parts[1].endswith(".yaml"):
            continue
        data = parse_entity(text)
        name = parts[1].removesuffix(".yaml")
        changed = path in draft.files
        found.append(FormFile(name, path, draft.revision, changed, data, _rows(data), _texts(data)))
    return found, draft.revision


def form_file(runtime: Runtime, tenant: str, name: str) -> FormFile:
    """Form ``name`` as the draft has it.

    Raises:
        DraftFileNotFoundError: no such form in the draft.
    """
    path = form_path(name)
    forms, _revision = form_files(runtime, tenant)
    for form in forms:
        if form.path == path:
            return form
    raise DraftFileNotFoundError(f"The draft has no form '{name}'.")


def offered_fields(runtime: Runtime, tenant: str, form: FormFile) -> list[str]:
    """Fields of the form's entity (published) a visitor may fill and the form lacks."""
    model = runtime.app(tenant).model
    entity = model.entities.get(str(form.data.get("entity") or ""))
    if entity is None:
        return []
    shown = {r.name for r in form.rows}
    fillable = [n for n, f in entity.fields.items() if f.type in FILLABLE and not f.computed]
    return [n for n in fillable if n not in shown]


def _text_value(texts: dict[str, str]) -> dict[str, str] | None:
    found = {loc: texts.get(loc, "").strip() for loc in LOCALES}
    found = {loc: text for loc, text in found.items() if text}
    return found or None


def _same(a: Any, b: Any) -> bool:
    """Whether two item values of ``fields`` mean the same (plain texts as per locale)."""
    one, two = _item(a), _item(b)
    for item in (one, two):
        for key in ("label", "help"):
            if key in item:
                item[key] = _text_value(local(item[key]))
            if item.get(key) is None:
                item.pop(key, None)
        if item.get("required") is not True:
            item.pop("required", None)
    return one == two


def _field_value(old: Any, row: FieldRow) -> Any:
    item = _item(old) or {"field": row.name}
    item["field"] = row.name
    for key, texts in (("label", row.label), ("help", row.help)):
        value = _text_value(texts)
        if value is None:
            item.pop(key, None)
        elif key not in item or _text_value(local(item[key])) != value:
            item[key] = value  # an unchanged text stays as written (plain or per locale)
    if row.required:
        item["required"] = True
    else:
        item.pop("required", None)
    return row.name if list(item) == ["field"] else item


def ordered(rows: list[FieldRow]) -> list[FieldRow]:
    """``rows`` in their new order: a row whose number changed moves to that place."""
    moved = sorted((r for i, r in enumerate(rows) if r.position != i + 1), key=lambda r: r.position)
    result = [r for i, r in enumerate(rows) if r.position == i + 1]
    for row in moved:
        result.insert(max(0, min(row.position - 1, len(result))), row)
    return result


def edited_text(text: str, change: FormChange) -> str:
    """The form file ``text`` with ``change`` made (unchanged parts as written).

    Raises:
        FormEditError: no field would be left.
        FormFileError: the file cannot be edited.
    """
    data = parse_entity(text)
    found = data.get("fields")
    old: list[Any] = found if isinstance(found, list) else []
    known = {r.name: i for i, r in enumerate(_rows(data))}
    rows = [r for r in ordered(change.fields) if not r.remove]
    if change.add.strip():
        rows.append(FieldRow(change.add.strip(), {}, {}, False))
    if not rows:
        raise FormEditError(N_("A form needs at least one field."))
    items: list[tuple[int | None, Any]] = []
    for row in rows:
        i = known.get(row.name)
        value = _field_value(old[i] if i is not None else None, row)
        keep = i is not None and _same(old[i], value)
        items.append((i, None if keep else value))
    if [i for i, v in items] != list(range(len(old))) or any(v is not None for _, v in items):
        text = set_items(text, "fields", items)
    current = _texts(data)
    for key in TEXTS:
        wanted = change.texts.get(key)
        if wanted is None or _text_value(wanted) == _text_value(current[key]):
            continue
        value = _text_value(wanted)
        if value is not None:
            text = set_value(text, ("success", "message") if key == "success" else (key,), value)
    return text


def save_form(
    runtime: Runtime, tenant: str, name: str, change: FormChange, *, expected: int, actor: str
) -> int:
    """Make ``change`` to form ``name`` in the draft; returns the new draft revision.

    Raises:
        DraftFileNotFoundError: no such form in the draft.
        FormEditError: the change cannot be made.
        FormFileError: the file cannot be edited in place.
        InvalidDraftError: the changed package has errors it did not have (all placed).
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    path = form_path(name)
    text = files.get(path)
    if text is None:
        raise DraftFileNotFoundError(f"The draft has no form '{name}'.")
    new_text = edited_text(text, change)
    refuse_new_errors(runtime, files, {**files, path: new_text})
    return DraftStore(runtime.registry).save(state.info, path, new_text, expected, actor)


__all__ = [
    "FieldRow",
    "FormChange",
    "FormEditError",
    "FormFile",
    "edited_text",
    "form_file",
    "form_files",
    "form_path",
    "offered_fields",
    "ordered",
    "save_form",
]
