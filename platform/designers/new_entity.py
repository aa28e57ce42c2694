"""Add a new entity to the tenant's draft: ``entities/<name>.yaml`` with its title field.

The name follows the loader's rule for entity names (MD006) and must not be a word the
platform reserves: a keyword of the rule language (MD015's list) or a path segment the
screens and the API use. The whole package is validated with the new file, like a
field save, and the file is stored at the draft revision the admin read.
"""

from __future__ import annotations

from dataclasses import dataclass

from trellis.metadata.loader._entity_checks import NAME, NAME_HINT
from trellis.metadata.loader._field_checks import RESERVED_WORDS
from trellis.platform.designers.field_yaml import flow
from trellis.platform.designers.service import ENTITY_FOLDER, draft_state, refuse_new_errors
from trellis.platform.drafts.errors import DraftError
from trellis.platform.drafts.service import draft_files
from trellis.platform.drafts.store import DraftStore
from trellis.platform.runtime import Runtime

#: Path segments of the platform's screens and API (``/t/{t}/<segment>``, ``/t/{t}/api/…``),
#: but words that applications commonly use as entity names (their screens live under ``e/``).
PLATFORM_SEGMENTS = frozenset(
    {
        "admin",
        "api",
        "calendar",
        "dashboards",
        "e",
        "forms",
        "imports",
        "invitation",
        "login",
        "logout",
        "meta",
        "notifications",
        "s",
        "search",
        "static",
    }
)
#: Names a new entity may not take.
RESERVED_ENTITY_NAMES = RESERVED_WORDS | PLATFORM_SEGMENTS


class EntityExistsError(DraftError):
    """The draft already has an entity of that name."""


class EntityNameError(DraftError):
    """The name breaks the entity-name rule (``reserved`` False) or is reserved."""

    def __init__(self, message: str, *, reserved: bool) -> None:
        super().__init__(message)
        self.reserved = reserved


@dataclass(frozen=True, slots=True)
class NewEntity:
    """What the admin typed: the entity's name and labels, and its title field."""

    name: str
    label_en: str
    label_es: str = ""
    title: str = "name"
    title_en: str = "Name"
    title_es: str = ""


def _label(en: str, es: str) -> str | dict[str, str]:
    return {"en": en, "es": es} if es else en


def _entry(key: str, value: object) -> str:
    """``key: value`` as one YAML line (quoted where YAML needs it)."""
    return flow({key: value})[1:-1]


def entity_yaml(new: NewEntity) -> str:
    """The new entity file: its name, label and one required text title field."""
    title_label = _label(new.title_en or new.title, new.title_es)
    field = {"type": "string", "required": True, "max_length": 200, "label": title_label}
    return (
        f"{_entry('entity', new.name)}\n"
        f"{_entry('label', _label(new.label_en, new.label_es))}\n"
        f"{_entry('title', new.title)}\n"
        "fields:\n"
        f"  {_entry(new.title, field)}\n"
    )


def check_entity_name(name: str) -> None:
    """Refuse a name the loader would refuse, or one the platform reserves.

    Raises:
        EntityNameError: the name breaks the rule or is reserved.
    """
    if not NAME.fullmatch(name):
        raise EntityNameError(f"'{name}' is not a valid entity name; {NAME_HINT}", reserved=False)
    if name in RESERVED_ENTITY_NAMES:
        raise EntityNameError(f"'{name}' is reserved by the platform", reserved=True)


def add_entity(runtime: Runtime, tenant: str, new: NewEntity, *, expected: int, actor: str) -> int:
    """Write ``entities/<name>.yaml`` into the draft; returns the new draft revision.

    Raises:
        EntityNameError: the name breaks the entity-name rule or is reserved.
        EntityExistsError: the draft already has an entity of that name.
        InvalidDraftError: the package with the new file has errors it did not have.
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    check_entity_name(new.name)
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    path = f"{ENTITY_FOLDER}/{new.name}.yaml"
    if path in files:
        raise EntityExistsError(f"The draft already has an entity '{new.name}'.")
    text = entity_yaml(new)
    refuse_new_errors(runtime, files, {**files, path: text})
    return DraftStore(runtime.registry).save(state.info, path, text, expected, actor)


__all__ = [
    "PLATFORM_SEGMENTS",
    "RESERVED_ENTITY_NAMES",
    "EntityExistsError",
    "EntityNameError",
    "NewEntity",
    "add_entity",
    "check_entity_name",
    "entity_yaml",
]
