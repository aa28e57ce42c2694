"""The dashboards designer's domain: the tiles of ``dashboards/<name>.yaml`` in the draft.

A tile is edited from a form (kind, title in English and Spanish, entity, aggregate,
field, grouping, filter; a ratio's parts) and written into its place in the file, the
rest kept as written (``tile_yaml``). Before a save or a preview the package is loaded
with the change: the errors inside the tile are placed on the input they are about
(file:line:col, code, suggestion), and a tile without errors is built by the loader
itself, so the preview computes exactly what the published dashboard will.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from trellis.metadata.model import RATIO_PARTS, TileDef
from trellis.metadata.model.local_text import Translatable, local_text
from trellis.platform.designers.field_yaml import parse_entity
from trellis.platform.designers.rules_service import draft_model
from trellis.platform.designers.service import (
    ENTITY_NAME,
    draft_state,
    draft_text,
    refuse_new_errors,
)
from trellis.platform.designers.tile_check import quick_check
from trellis.platform.designers.tile_options import TileOptionError, option_form, option_updates
from trellis.platform.designers.tile_yaml import (
    add_tile,
    move_tile,
    remove_tile,
    set_tile,
    tile_items,
    tile_key_at,
    tile_spans,
)
from trellis.platform.drafts.errors import DraftError, DraftFileNotFoundError, InvalidDraftError
from trellis.platform.drafts.service import draft_files
from trellis.platform.drafts.store import DraftStore
from trellis.platform.i18n.catalogue import N_
from trellis.platform.runtime import Runtime

DASHBOARD_FOLDER = "dashboards"
#: Keys the tile form edits (and ``having``, ``compare``, ``series_label``: tile_options);
#: the others (description, …) are kept.
AGGREGATE_KEYS = ("entity", "agg", "field", "group_by", "where")
#: What a ratio part's form gives.
PART_KEYS = ("entity", "agg", "field", "where")
MOVES = ("up", "down", "remove")


class TileInvalidError(InvalidDraftError):
    """The package does not load with the tile: every error, and the tile's placed."""

    def __init__(self, errors: list[dict[str, Any]], check: TileCheck) -> None:
        super().__init__(errors)
        self.check = check


class TileEditError(DraftError):
    """A tile change that cannot be made (the message says why; nothing changed).

    ``input_name`` is the form input the message is about, when there is one.
    """

    def __init__(self, msgid: str, *, input_name: str | None = None, **params: Any) -> None:
        self.message = Translatable(msgid, **params)
        self.input_name = input_name
        super().__init__(str(self.message))


@dataclass(frozen=True, slots=True)
class DashboardFile:
    """One dashboard as the draft has it, and the draft revision read."""

    name: str
    path: str
    revision: int
    changed: bool
    label: str
    text: str
    tiles: list[dict[str, Any]]
    #: Each tile's title (a LocalText when it has one per locale), or "".
    titles: list[str]


@dataclass(frozen=True, slots=True)
class TileCheck:
    """A drafted tile loaded with the package: its errors by input, or the built tile."""

    #: Input name (``where``, ``numerator_field``, ``label_en``, …) -> error texts.
    inline: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    #: Errors of the tile not tied to one input.
    general: list[dict[str, Any]] = field(default_factory=list)
    tile: TileDef | None = None


def dashboard_path(name: str) -> str:
    """The package path of dashboard ``name``.

    Raises:
        DraftFileNotFoundError: ``name`` is not a dashboard name.
    """
    if not ENTITY_NAME.fullmatch(name):
        raise DraftFileNotFoundError(f"'{name}' is not a dashboard name.")
    return f"{DASHBOARD_FOLDER}/{name}.yaml"


def _file(name: str, path: str, text: str, revision: int, changed: bool) -> DashboardFile:
    label = local_text(parse_entity(text).get("label")) or name
    tiles = tile_items(text)
    titles = [local_text(t.get("label")) or "" for t in tiles]
    return DashboardFile(name, path, revision, changed, label, text, tiles, titles)


def dashboard_files(runtime: Runtime, tenant: str) -> tuple[list[DashboardFile], int]:
    """Every dashboard of the draft, in name order, and the draft revision."""
    state, draft = draft_state(runtime, tenant)
    found = []
    for path, text in sorted(draft_files(state, draft).items()):
        parts = path.split("/")
        if len(parts) != 2 or parts[0] != DASHBOARD_FOLDER or not parts[1].endswith(".yaml"):
            continue
        name = parts[1].removesuffix(".yaml")
        found.append(_file(name, path, text, draft.revision, path in draft.files))
    return found, draft.revision


def dashboard_file(runtime: Runtime, tenant: str, name: str) -> DashboardFile:
    """Dashboard ``name`` as the draft has it.

    Raises:
        DraftFileNotFoundError: the draft has no such dashboard.
    """
    path = dashboard_path(name)
    text, draft = draft_text(runtime, tenant, path)
    if text is None:
        raise DraftFileNotFoundError(f"The draft has no dashboard '{name}'.")
    return _file(name, path, text, draft.revision, path in draft.files)


def _text(values: dict[str, str], key: str) -> str | None:
    return values.get(key, "").strip() or None


def tile_updates(values: dict[str, str], previous: dict[str, Any] | None) -> dict[str, Any]:
    """The tile keys a form describes (None clears a key).

    Raises:
        TileEditError: an unknown kind, no title in English, or a ``having`` or
            ``compare`` input the form cannot mean (named by ``input_name``).
    """
    kind = values.get("kind", "").strip()
    if kind not in ("kpi", "ratio", "bar", "line", "funnel", "pie"):
        raise TileEditError(N_("'%(kind)s' is not a kind of tile."), kind=kind)
    en, es = _text(values, "label_en"), _text(values, "label_es")
    if en is None:
        raise TileEditError(N_("Give the tile a title in English."))
    updates: dict[str, Any] = {"kind": kind, "label": {"en": en, "es": es} if es else {"en": en}}
    ratio = kind == "ratio"
    for key in AGGREGATE_KEYS:
        updates[key] = None if ratio else _text(values, key)
    updates["percent"] = True if ratio and values.get("percent") in ("on", "true") else None
    for part in RATIO_PARTS:
        given = {k: _text(values, f"{part}_{k}") for k in PART_KEYS}
        if not ratio or given["entity"] is None:
            updates[part] = None
            continue
        old = (previous or {}).get(part)
        kept = {k: v for k, v in (old if isinstance(old, dict) else {}).items() if k not in given}
        updates[part] = {**{k: v for k, v in given.items() if v is not None}, **kept}
    try:
        updates.update(option_updates(values, previous))
    except TileOptionError as exc:
        raise TileEditError(exc.msgid, input_name=exc.field, **exc.params) from None
    return updates


def form_of(tile: dict[str, Any]) -> dict[str, str]:
    """The tile form's values for an existing tile (the inverse of :func:`tile_updates`)."""
    label = tile.get("label")
    names = label if isinstance(label, dict) else {"en": label or ""}
    values = {
        "kind": str(tile.get("kind") or "kpi"),
        "label_en": str(names.get("en") or ""),
        "label_es": str(names.get("es") or ""),
        "percent": "on" if tile.get("percent") is True else "",
    }
    for key in AGGREGATE_KEYS:
        values[key] = str(tile.get(key) or "")
    for part in RATIO_PARTS:
        found = tile.get(part)
        for key in PART_KEYS:
            value = found.get(key) if isinstance(found, dict) else None
            values[f"{part}_{key}"] = str(value or "")
    return {**values, **option_form(tile)}


def changed_text(text: str, index: int | None, values: dict[str, str]) -> tuple[str, int]:
    """The file with tile ``index`` (None: a new one) as the form says, and its index.

    Raises:
        TileEditError: the form is refused, or there is no tile ``index``.
    """
    tiles = tile_items(text)
    if index is None:
        updates = tile_updates(values, None)
        return add_tile(text, {k: v for k, v in updates.items() if v is not None}), len(tiles)
    if not 0 <= index < len(tiles):
        raise TileEditError(N_("The dashboard has no tile %(n)s."), n=index + 1)
    return set_tile(text, index, tile_updates(values, tiles[index])), index


def placed(errors: list[dict[str, Any]], text: str, path: str, index: int) -> TileCheck:
    """The errors of tile ``index`` of ``path`` (written as ``text``), by input."""
    spans = tile_spans(text)
    lines = (spans[index].first_line, spans[index].last_line) if spans else (0, 10**9)
    check = TileCheck()
    for error in errors:
        if error.get("file") != path or not lines[0] <= int(error.get("line") or 0) <= lines[1]:
            continue
        key = tile_key_at(text, index, int(error["line"]), int(error.get("column") or 1))
        if key is None:
            check.general.append(error)
        else:
            check.inline.setdefault(key, []).append(error)
    return check


def preview_check(
    runtime: Runtime, tenant: str, name: str, index: int | None, values: dict[str, str]
) -> TileCheck:
    """The drafted tile checked against the draft's model (nothing is saved).

    Only the dashboard file is checked (:func:`quick_check`); a save validates the whole
    package.

    Raises:
        DraftFileNotFoundError: no such dashboard in the draft.
        TileEditError: the form is refused.
    """
    path = dashboard_path(name)
    found, _draft = draft_text(runtime, tenant, path)
    if found is None:
        raise DraftFileNotFoundError(f"The draft has no dashboard '{name}'.")
    text, at = changed_text(found, index, values)
    spans = tile_spans(text)
    lines = (spans[at].first_line, spans[at].last_line) if spans else (0, 10**9)
    model = draft_model(runtime, tenant)
    errors, tile = quick_check(model, runtime.checker, path, text, lines)
    check = placed(errors, text, path, at)
    return replace(check, tile=tile if not (check.inline or check.general) else None)


def save_tile(
    runtime: Runtime,
    tenant: str,
    name: str,
    index: int | None,
    values: dict[str, str],
    *,
    expected: int,
    actor: str,
) -> int:
    """Write the tile the form describes into the draft; returns the new draft revision.

    Raises:
        DraftFileNotFoundError: no such dashboard in the draft.
        TileEditError: the form is refused.
        TileInvalidError: the changed package has errors it did not have (all placed).
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    path = dashboard_path(name)
    if path not in files:
        raise DraftFileNotFoundError(f"The draft has no dashboard '{name}'.")
    text, at = changed_text(files[path], index, values)
    try:
        refuse_new_errors(runtime, files, {**files, path: text})
    except InvalidDraftError as exc:
        raise TileInvalidError(exc.errors, placed(exc.errors, text, path, at)) from None
    return DraftStore(runtime.registry).save(state.info, path, text, expected, actor)


def move_or_remove(
    runtime: Runtime, tenant: str, name: str, op: str, index: int, *, expected: int, actor: str
) -> int:
    """Move tile ``index`` up or down, or remove it; returns the new draft revision.

    Raises:
        DraftFileNotFoundError: no such dashboard in the draft.
        TileEditError: an unknown operation or tile, or the last tile removed.
        InvalidDraftError: the changed package has errors it did not have.
        DraftConflictError: the draft is no longer at revision ``expected``.
    """
    state, draft = draft_state(runtime, tenant)
    files = draft_files(state, draft)
    path = dashboard_path(name)
    text = files.get(path)
    if text is None:
        raise DraftFileNotFoundError(f"The draft has no dashboard '{name}'.")
    count = len(tile_items(text))
    if op not in MOVES:
        raise TileEditError(N_("'%(op)s' is not a tile change."), op=op)
    if not 0 <= index < count:
        raise TileEditError(N_("The dashboard has no tile %(n)s."), n=index + 1)
    if op == "remove":
        if count == 1:
            raise TileEditError(N_("A dashboard needs at least one tile."))
        changed = remove_tile(text, index)
    else:
        to = index - 1 if op == "up" else index + 1
        if not 0 <= to < count:
            return draft.revision
        changed = move_tile(text, index, to)
    refuse_new_errors(runtime, files, {**files, path: changed})
    return DraftStore(runtime.registry).save(state.info, path, changed, expected, actor)


__all__ = [
    "DashboardFile",
    "TileCheck",
    "TileEditError",
    "TileInvalidError",
    "changed_text",
    "dashboard_file",
    "dashboard_files",
    "dashboard_path",
    "form_of",
    "move_or_remove",
    "placed",
    "preview_check",
    "save_tile",
    "tile_updates",
]
