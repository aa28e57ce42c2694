"""What the rules editor reads, checks and saves: an entity's rules in the tenant's draft.

A page lists the entity's validations, formulas, defaults (all in its entity file) and
the trigger rules ``on`` it (``rules/*.rules``). A check runs the checker behind
``POST /t/{t}/api/_check`` against the draft's model (compiled once per draft
revision), so a field added in the draft is known before it is published. A save is
refused while the rule has errors (nothing stored); otherwise the whole package is
validated with it (the CLI's positioned errors) and saved at the draft revision the
admin read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from trellis.metadata.model import AppModel, DslType
from trellis.metadata.model.local_text import Translatable, local_text
from trellis.platform.designers.field_yaml import entity_fields, parse_entity
from trellis.platform.designers.rules_text import (
    RULES_FOLDER,
    RuleBlock,
    package_rules,
    replace_block,
    rule_blocks,
    set_validations,
)
from trellis.platform.designers.service import (
    compiled_draft_model,
    draft_state,
    entity_path,
    refuse_new_errors,
    tenant_draft,
)
from trellis.platform.drafts.errors import DraftError, DraftFileNotFoundError
from trellis.platform.drafts.service import draft_files
from trellis.platform.drafts.store import DraftStore
from trellis.platform.i18n.catalogue import N_
from trellis.platform.runtime import Runtime
from trellis.platform.runtime.app_runtime import PartKey
from trellis.rules.editor import EditorReport, check_source
from trellis.rules.editor.rule_files import check_rule_file

_KEPT = 4


class _DraftModels:
    """Draft models compiled lately, by (published version, draft revision): a few."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.models: dict[tuple[int, int], AppModel] = {}

    def get(self, key: tuple[int, int]) -> AppModel | None:
        with self.lock:
            return self.models.get(key)

    def put(self, key: tuple[int, int], model: AppModel) -> None:
        with self.lock:
            while len(self.models) >= _KEPT:
                self.models.pop(next(iter(self.models)))
            self.models[key] = model


_DRAFT_MODELS: PartKey[_DraftModels] = PartKey("designers.draft_models")


class RuleEditError(DraftError):
    """A rule that cannot be saved as written (the message says why; nothing changed)."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.message = Translatable(msgid, **params)
        super().__init__(str(self.message))


class RuleCheckError(DraftError):
    """The rule has errors: the checker's report (line, column, code, suggestion)."""

    def __init__(self, report: EditorReport) -> None:
        self.report = report
        super().__init__("; ".join(str(e["message"]) for e in report.errors))


@dataclass(frozen=True, slots=True)
class Validation:
    """One entry of ``validations:``: ``when`` true means the record is invalid."""

    index: int
    when: str
    field: str
    message: dict[str, str]


@dataclass(frozen=True, slots=True)
class EntityRules:
    """One entity's rules as the draft has them, and the draft revision read."""

    name: str
    label: str
    revision: int
    validations: list[Validation]
    #: Computed fields: name -> formula.
    formulas: dict[str, str]
    #: Fields with a default: name -> expression.
    defaults: dict[str, str]
    triggers: list[RuleBlock]
    #: The entity's fields (name -> label), for the field a validation is about.
    fields: dict[str, str]


def _message(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {"en": str(value)} if value is not None else {}


def _validations(data: dict[str, Any]) -> list[Validation]:
    items = data.get("validations")
    return [
        Validation(i, str(v.get("when", "")), str(v.get("field") or ""), _message(v.get("message")))
        for i, v in enumerate(items if isinstance(items, list) else [])
        if isinstance(v, dict)
    ]


def _entity_text(files: dict[str, str], entity: str) -> str:
    text = files.get(entity_path(entity))
    if text is None:
        raise DraftFileNotFoundError(f"The draft has no entity '{entity}'.")
    return text


def entity_rules(runtime: Runtime, tenant: str, entity: str) -> EntityRules:
    """Entity ``entity``'s rules in the draft.

    Raises:
        DraftFileNotFoundError: the draft has no such entity.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    text = _entity_text(files, entity)
    data = parse_entity(text)
    raw = data.get("fields")
    fields = {
        str(k): (v if isinstance(v, dict) else {})
        for k, v in (raw.items() if isinstance(raw, dict) else ())
    }
    return EntityRules(
        entity,
        local_text(data.get("label")) or entity,
        draft.revision,
        _validations(data),
        {n: str(d["formula"]) for n, d in fields.items() if d.get("formula") is not None},
        {n: str(d["default"]) for n, d in fields.items() if d.get("default") is not None},
        [b for b in package_rules(files) if b.entity == entity],
        {n: local_text(d.get("label")) or n for n, d in fields.items()},
    )


def draft_model(runtime: Runtime, tenant: str) -> AppModel:
    """The draft's compiled model (the published one while the draft does not load).

    Raises:
        DraftFileNotFoundError: the tenant has nothing published nor drafted.
    """
    # The cache key needs the version numbers only: the published files are read on a miss.
    info, head = tenant_draft(runtime, tenant)
    cache = (
        runtime.app_runtime(tenant).part(_DRAFT_MODELS, lambda _rt: _DraftModels())
        if info.current_version
        else None
    )
    key = (info.current_version or 0, head.revision)
    found = cache.get(key) if cache is not None else None
    if found is not None:
        return found
    state, draft = draft_state(runtime, tenant)
    key = (state.info.current_version or 0, draft.revision)
    model = compiled_draft_model(runtime, state, draft)
    if model is None:
        raise DraftFileNotFoundError("The tenant has no application yet.")
    if cache is not None:
        cache.put(key, model)
    return model


def check_condition(
    runtime: Runtime, tenant: str, entity: str, source: str, cursor: int | None = None
) -> EditorReport:
    """A validation's condition checked as ``_check`` does (a boolean of ``entity``).

    Raises:
        DraftFileNotFoundError: the draft's model has no such entity.
    """
    model = draft_model(runtime, tenant)
    found = model.entities.get(entity)
    if found is None:
        raise DraftFileNotFoundError(f"The draft has no entity '{entity}'.")
    return check_source(source, found, model, cursor=cursor, expected=DslType.BOOLEAN)


def check_trigger(
    runtime: Runtime, tenant: str, source: str, cursor: int | None = None
) -> EditorReport:
    """A trigger rule's text checked as ``_check`` does a rule file."""
    return check_rule_file(source, draft_model(runtime, tenant), cursor=cursor)


def _item(when: str, field: str, message: dict[str, str]) -> dict[str, Any]:
    texts = {k: v.strip() for k, v in message.items() if v.strip()}
    if not when.strip():
        raise RuleEditError(N_("Write the condition that makes a record invalid."))
    if not texts.get("en"):
        raise RuleEditError(N_("Write the message shown when a save is refused (English)."))
    item: dict[str, Any] = {"when": when.strip()}
    if field:
        item["field"] = field
    item["message"] = texts if len(texts) > 1 else texts["en"]
    return item


def save_validation(
    runtime: Runtime,
    tenant: str,
    entity: str,
    index: int | None,
    rule: Validation,
    *,
    expected: int,
    actor: str,
) -> int:
    """Add (``index`` None) or replace validation ``index``; the new draft revision.

    Raises:
        DraftFileNotFoundError: no such entity, or no validation ``index``.
        RuleEditError: an empty condition or message, a field the entity lacks.
        RuleCheckError: the condition has errors (nothing saved).
        InvalidDraftError: the changed package has errors it did not have (all placed).
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    text = _entity_text(files, entity)
    item = _item(rule.when, rule.field, rule.message)
    if rule.field and rule.field not in entity_fields(text):
        raise RuleEditError(
            N_("Entity '%(entity)s' has no field '%(field)s'."), entity=entity, field=rule.field
        )
    report = check_condition(runtime, tenant, entity, item["when"])
    if not report.as_json()["valid"]:
        raise RuleCheckError(report)
    items = [v for v in parse_entity(text).get("validations") or [] if isinstance(v, dict)]
    if index is None:
        items.append(item)
    elif 0 <= index < len(items):
        items[index] = item
    else:
        raise DraftFileNotFoundError(f"Entity '{entity}' has no validation {index + 1}.")
    return _store(
        runtime, state, files, entity_path(entity), set_validations(text, items), expected, actor
    )


def delete_validation(
    runtime: Runtime, tenant: str, entity: str, index: int, *, expected: int, actor: str
) -> int:
    """Remove validation ``index`` of ``entity``; the new draft revision.

    Raises:
        DraftFileNotFoundError: no such entity or validation.
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    text = _entity_text(files, entity)
    items = [v for v in parse_entity(text).get("validations") or [] if isinstance(v, dict)]
    if not 0 <= index < len(items):
        raise DraftFileNotFoundError(f"Entity '{entity}' has no validation {index + 1}.")
    del items[index]
    return _store(
        runtime, state, files, entity_path(entity), set_validations(text, items), expected, actor
    )


def _store(
    runtime: Runtime,
    state: Any,
    files: dict[str, str],
    path: str,
    text: str,
    expected: int,
    actor: str,
) -> int:
    refuse_new_errors(runtime, files, {**files, path: text})
    return DraftStore(runtime.registry).save(state.info, path, text, expected, actor)


def find_trigger(files: dict[str, str], name: str) -> RuleBlock | None:
    """The rule block named ``name`` in the package, if any."""
    return next((b for b in package_rules(files) if b.name == name), None)


def save_trigger(
    runtime: Runtime,
    tenant: str,
    entity: str,
    original: str | None,
    source: str,
    *,
    expected: int,
    actor: str,
) -> int:
    """Replace rule ``original`` (None: add to ``rules/<entity>.rules``) by ``source``.

    Raises:
        DraftFileNotFoundError: no rule named ``original``.
        RuleEditError: ``source`` is not exactly one rule.
        RuleCheckError: the rule has errors (nothing saved).
        InvalidDraftError: the changed package has errors it did not have (all placed).
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    if len(rule_blocks("", source)) != 1:
        raise RuleEditError(N_("Write exactly one rule, from 'rule \"name\"' to 'end'."))
    report = check_trigger(runtime, tenant, source)
    if not report.as_json()["valid"]:
        raise RuleCheckError(report)
    block = find_trigger(files, original) if original else None
    if original and block is None:
        raise DraftFileNotFoundError(f"The draft has no rule '{original}'.")
    path = block.path if block else f"{RULES_FOLDER}/{entity}.rules"
    text = replace_block(files.get(path, ""), block, source)
    return _store(runtime, state, files, path, text, expected, actor)


def delete_trigger(runtime: Runtime, tenant: str, name: str, *, expected: int, actor: str) -> int:
    """Remove rule ``name`` from its file; the new draft revision.

    Raises:
        DraftFileNotFoundError: no rule named ``name``.
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    block = find_trigger(files, name)
    if block is None:
        raise DraftFileNotFoundError(f"The draft has no rule '{name}'.")
    text = replace_block(files[block.path], block, None)
    return _store(runtime, state, files, block.path, text, expected, actor)


__all__ = [
    "EntityRules",
    "RuleCheckError",
    "RuleEditError",
    "Validation",
    "check_condition",
    "check_trigger",
    "delete_trigger",
    "delete_validation",
    "draft_model",
    "entity_rules",
    "find_trigger",
    "save_trigger",
    "save_validation",
]
