"""Rename a field or an entity in the tenant's draft, rewriting every reference to it.

``rename_in_draft`` loads the draft's model, refuses a rename onto an existing name
(with the position of what already has it), rewrites the entity files, rule files,
roles, dashboards, workflows, forms, the other YAML files and the e-mail templates
through their parsers (platform/drafts/refs_yaml.py, refs_expr.py, refs_templates.py),
declares ``renamed_from`` so the publish renames the column or table in place (values
kept), checks the rewritten package and saves every changed file as one draft revision.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from trellis.metadata.diagnostics import Diagnostic, MetadataError
from trellis.metadata.model import AppModel, SourceSpan
from trellis.platform.drafts.errors import DraftError, InvalidDraftError
from trellis.platform.drafts.plan import load_checked, package_folder
from trellis.platform.drafts.refs_expr import Edit, Rename, apply_edits, rule_file_edits
from trellis.platform.drafts.refs_templates import template_edits, template_entities, template_name
from trellis.platform.drafts.refs_yaml import declare_renamed_from, yaml_edits
from trellis.platform.drafts.service import draft_files, published
from trellis.platform.drafts.store import DraftStore
from trellis.platform.runtime import Runtime

#: Folders whose files belong to the entity named by the file (``sla/ticket.yaml``).
ENTITY_FOLDERS = ("entities", "sla", "reminders")


class RenameTargetError(DraftError):
    """The entity or field to rename does not exist in the draft."""


def _file_entity(path: str) -> str | None:
    pure = PurePosixPath(path)
    if len(pure.parts) == 2 and pure.parts[0] in ENTITY_FOLDERS and pure.suffix == ".yaml":
        return pure.stem
    return None


def _collision(model: AppModel, rename: Rename, root: Any) -> None:
    """Refuse a new name that is already taken, placed where it is declared."""
    if rename.kind == "field":
        taken = model.entities[rename.entity].fields.get(rename.new)
        span = taken.source if taken is not None else None
        what = f"field '{rename.new}' of {rename.entity}"
        code = "MD005"
    else:
        existing = model.entities.get(rename.new)
        span = existing.source if existing is not None else None
        what, code = f"entity '{rename.new}'", "MD013"
    if span is None:
        return
    if not span.path:
        span = SourceSpan(str(root / "entities" / f"{rename.entity}.yaml"), 1, 1)
    message = f"cannot rename '{rename.old}' to '{rename.new}': {what} already exists here"
    raise InvalidDraftError(MetadataError([Diagnostic(code, message, span)]).placed(root))


def _target(model: AppModel, rename: Rename) -> None:
    entity = model.entities.get(rename.entity)
    if entity is None:
        raise RenameTargetError(f"The draft has no entity '{rename.entity}'.")
    if rename.kind == "field" and rename.old not in entity.fields:
        raise RenameTargetError(f"Entity '{rename.entity}' has no field '{rename.old}'.")


def file_edits(model: AppModel, files: Mapping[str, str], rename: Rename) -> dict[str, list[Edit]]:
    """Per file, the edits ``rename`` makes to it (files it does not touch are left out)."""
    found: dict[str, list[Edit]] = {}
    rendered = template_entities(files) if rename.kind == "field" else {}
    for path, text in files.items():
        template = template_name(path)
        if template is not None:
            if rename.entity not in rendered.get(template, set()):
                continue
            edits = template_edits(model, rename.entity, text, rename)
        elif path.endswith(".rules"):
            edits = rule_file_edits(model, text, rename)
        elif path.endswith((".yaml", ".yml")):
            edits = yaml_edits(model, text, _file_entity(path), rename)
            own = _file_entity(path) == rename.entity
            if own and path.startswith("entities/"):
                where = ("fields", rename.old) if rename.kind == "field" else ()
                edits += declare_renamed_from(text, where, rename.old)
        else:
            continue
        if edits:
            found[path] = edits
    return found


def rewrite_files(
    model: AppModel, files: Mapping[str, str], rename: Rename
) -> dict[str, str | None]:
    """The files ``rename`` changes: new text, or None for a file moved away."""
    changed: dict[str, str | None] = {}
    edits = file_edits(model, files, rename)
    for path, text in files.items():
        new_text = apply_edits(text, edits.get(path, []))
        target = path
        if rename.kind == "entity" and _file_entity(path) == rename.old:
            target = str(PurePosixPath(path).with_stem(rename.new))
            changed[path] = None
        if new_text != text or target != path:
            changed[target] = new_text
    return changed


def rename_in_draft(
    runtime: Runtime,
    tenant: str,
    rename: Rename,
    *,
    expected: int | None,
    actor: str,
) -> dict[str, Any]:
    """Apply ``rename`` to the draft as one new revision; answers what changed.

    Raises:
        RenameTargetError: no such entity or field.
        InvalidDraftError: the draft does not validate, the new name is taken, or the
            renamed package does not validate (positioned errors).
        DraftConflictError: the draft is not at ``expected``.
    """
    state = published(runtime, tenant)
    store = DraftStore(runtime.registry)
    draft = store.load(state.info.id)
    files = draft_files(state, draft)
    with package_folder(files) as root:
        model = load_checked(runtime, root)
        _target(model, rename)
        if rename.old != rename.new:
            _collision(model, rename, root)
    changed = rewrite_files(model, files, rename) if rename.old != rename.new else {}
    if not changed:  # the same name: nothing to do
        return _answer(draft.revision, rename, changed)
    after = {**files, **changed}
    with package_folder({p: t for p, t in after.items() if t is not None}) as root:
        load_checked(runtime, root)
    revision = store.save_many(
        state.info, changed, draft.revision if expected is None else expected, actor
    )
    return _answer(revision, rename, changed)


def _answer(revision: int, rename: Rename, changed: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "draft_version": revision,
        "rename": {
            "kind": rename.kind,
            "entity": rename.entity,
            "from": rename.old,
            "to": rename.new,
        },
        "files": sorted(changed),
    }


__all__ = ["RenameTargetError", "file_edits", "rename_in_draft", "rewrite_files"]
