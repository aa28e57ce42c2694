"""The pipeline designer's domain: the stages of ``pipelines/<name>.yaml`` in the draft.

A pipeline is an ordered list of stages (name, label per locale, probability, badge
colour, won or lost). A change moves a stage up or down, adds, edits or removes one;
the stages that change are written back in place (the other stages, comments and
the rest of the file kept; :func:`patch_yaml`), the package
validated with it (the CLI's positioned errors) and saved at the draft revision the
admin read.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from trellis.metadata.model.badges import BADGE_COLOURS
from trellis.metadata.model.local_text import Translatable, local_text
from trellis.platform.designers.field_yaml import parse_entity
from trellis.platform.designers.flow_props import NAME
from trellis.platform.designers.service import ENTITY_NAME, draft_state, refuse_new_errors
from trellis.platform.designers.yaml_patch import patch_yaml
from trellis.platform.drafts.errors import DraftError, DraftFileNotFoundError
from trellis.platform.drafts.service import draft_files
from trellis.platform.drafts.store import DraftStore
from trellis.platform.i18n.catalogue import N_
from trellis.platform.runtime import Runtime

PIPELINE_FOLDER = "pipelines"
OPERATIONS = ("up", "down", "add", "edit", "remove")


class StageEditError(DraftError):
    """A stage change that cannot be made (the message says why; nothing changed)."""

    def __init__(self, msgid: str, **params: Any) -> None:
        self.message = Translatable(msgid, **params)
        super().__init__(str(self.message))


@dataclass(frozen=True, slots=True)
class StageChange:
    """``op`` on stage ``stage``; the other values describe an added or edited stage."""

    op: str
    stage: str
    label_en: str = ""
    label_es: str = ""
    probability: str = ""
    colour: str = ""
    outcome: str = ""  # "", "won" or "lost"


@dataclass(frozen=True, slots=True)
class PipelineFile:
    """One pipeline as the draft has it and the draft revision read."""

    name: str
    path: str
    revision: int
    changed: bool
    label: str
    stages: list[dict[str, Any]]


def pipeline_path(name: str) -> str:
    """The package path of pipeline ``name``.

    Raises:
        DraftFileNotFoundError: ``name`` is not a pipeline name.
    """
    if not ENTITY_NAME.fullmatch(name):
        raise DraftFileNotFoundError(f"'{name}' is not a pipeline name.")
    return f"{PIPELINE_FOLDER}/{name}.yaml"


def _stages(data: dict[str, Any]) -> list[dict[str, Any]]:
    found = data.get("stages")
    return [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []


def pipeline_files(runtime: Runtime, tenant: str) -> tuple[list[PipelineFile], int]:
    """Every pipeline of the draft, in name order, and the draft revision."""
    state, draft = draft_state(runtime, tenant)
    found = []
    for path, text in sorted(draft_files(state, draft).items()):
        parts = path.split("/")
        if len(parts) != 2 or parts[0] != PIPELINE_FOLDER or not parts[1].endswith(".yaml"):
            continue
        name = parts[1].removesuffix(".yaml")
        data = parse_entity(text)
        label = local_text(data.get("label")) or name
        found.append(
            PipelineFile(name, path, draft.revision, path in draft.files, label, _stages(data))
        )
    return found, draft.revision


def _index(stages: list[dict[str, Any]], name: str) -> int:
    for i, stage in enumerate(stages):
        if stage.get("name") == name:
            return i
    raise StageEditError(N_("The pipeline has no stage '%(stage)s'."), stage=name)


def _fill(stage: dict[str, Any], change: StageChange) -> None:
    """Set the label, probability, colour and outcome of ``stage`` from ``change``."""
    label = {"en": change.label_en.strip(), "es": change.label_es.strip()}
    if not (label["en"] and label["es"]):
        raise StageEditError(N_("Give the label in English and in Spanish."))
    text = change.probability.strip()
    try:
        probability = float(text)
    except ValueError:
        probability = -1.0
    if not 0 <= probability <= 100:
        raise StageEditError(
            N_("The probability is a number from 0 to 100, not '%(value)s'."), value=text
        )
    colour = change.colour.strip()
    if colour and colour not in BADGE_COLOURS:
        raise StageEditError(N_("'%(colour)s' is not a badge colour."), colour=colour)
    stage["label"] = label
    stage["probability"] = int(probability) if probability == int(probability) else probability
    for key in ("colour", "won", "lost"):
        stage.pop(key, None)
    if colour:
        stage["colour"] = colour
    if change.outcome in ("won", "lost"):
        stage[change.outcome] = True


def apply_stage_change(stages: list[dict[str, Any]], change: StageChange) -> list[dict[str, Any]]:
    """``stages`` (not changed) with ``change`` made.

    Raises:
        StageEditError: an unknown operation or stage, a taken or bad name, a missing
            label, a probability out of 0..100, an unknown colour, the last stage removed.
    """
    if change.op not in OPERATIONS:
        raise StageEditError(N_("'%(op)s' is not a stage change."), op=change.op)
    changed = copy.deepcopy(stages)
    name = change.stage.strip()
    if change.op == "add":
        if not NAME.fullmatch(name):
            raise StageEditError(
                N_(
                    "'%(stage)s' is not a stage name: use lowercase letters, digits and '_', "
                    "starting with a letter."
                ),
                stage=name,
            )
        if any(s.get("name") == name for s in changed):
            raise StageEditError(N_("The pipeline already has a stage '%(stage)s'."), stage=name)
        new: dict[str, Any] = {"name": name}
        _fill(new, change)
        changed.append(new)
        return changed
    at = _index(changed, name)
    if change.op in ("up", "down"):
        to = at - 1 if change.op == "up" else at + 1
        if 0 <= to < len(changed):
            changed[at], changed[to] = changed[to], changed[at]
    elif change.op == "edit":
        _fill(changed[at], change)
    else:
        if len(changed) == 1:
            raise StageEditError(N_("A pipeline needs at least one stage."))
        changed.pop(at)
    return changed


def edit_pipeline(
    runtime: Runtime,
    tenant: str,
    name: str,
    change: StageChange,
    *,
    expected: int,
    actor: str,
) -> int:
    """Make ``change`` to pipeline ``name`` in the draft; returns the new draft revision.

    Raises:
        DraftFileNotFoundError: no such pipeline in the draft.
        StageEditError: the change cannot be made.
        InvalidDraftError: the changed package has errors it did not have (all placed).
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    path = pipeline_path(name)
    text = files.get(path)
    if text is None:
        raise DraftFileNotFoundError(f"The draft has no pipeline '{name}'.")
    data = parse_entity(text)
    stages = apply_stage_change(_stages(data), change)
    new_text = patch_yaml(text, {**data, "stages": stages})
    refuse_new_errors(runtime, files, {**files, path: new_text})
    return DraftStore(runtime.registry).save(state.info, path, new_text, expected, actor)


__all__ = [
    "OPERATIONS",
    "PipelineFile",
    "StageChange",
    "StageEditError",
    "apply_stage_change",
    "edit_pipeline",
    "pipeline_files",
    "pipeline_path",
]
