"""The body of a merge, checked before anything is read or written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.model import STANDARD_COLUMNS
from trellis.metadata.model.local_text import Translatable
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError, ValidationFailedError

#: Most records one merge may fold into its survivor.
MAX_LOSERS = 50
#: Largest record id (a BIGINT).
MAX_ID = 2**63 - 1
_KEYS = ("survivor", "losers", "fields")


@dataclass(frozen=True, slots=True)
class MergeRequest:
    """Keep ``survivor``; fold ``losers`` into it; take each of ``fields`` from its record."""

    survivor: int
    losers: tuple[int, ...]
    fields: Mapping[str, int]


def _record_id(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise BadRequestError(
            Translatable("%(key)s must be a record id.", key=where),
            {where: [Translatable("%(value)s is not a record id.", value=repr(value))]},
        )
    return value


def parse_merge(entity: CompiledEntity, body: Any) -> MergeRequest:
    """Check a merge body: ids, no survivor among the losers, known writable fields.

    Raises:
        BadRequestError: not an object, an unknown key, ids missing or malformed (400).
        ValidationFailedError: ``fields`` names an unknown or computed field, or a
            record that is neither the survivor nor a loser (422).
    """
    if not isinstance(body, dict):
        raise BadRequestError(Translatable("The body must be a JSON object."))
    unknown = [k for k in body if k not in _KEYS]
    if unknown:
        keys = ", ".join(_KEYS)
        expected: list[str] = [Translatable("Unknown key; expected %(keys)s.", keys=keys)]
        errors = {str(k): list(expected) for k in unknown}
        raise BadRequestError(Translatable("Unknown key '%(key)s'.", key=unknown[0]), errors)
    survivor = _record_id(body.get("survivor"), "survivor")
    raw = body.get("losers")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_LOSERS:
        message = Translatable("losers must list 1 to %(most)s record ids.", most=MAX_LOSERS)
        raise BadRequestError(message, {"losers": [message]})
    losers = tuple(_record_id(v, "losers") for v in raw)
    if survivor in losers:
        message = Translatable(
            "Record %(id)s cannot be both the survivor and a loser.", id=survivor
        )
        raise BadRequestError(message, {"losers": [message]})
    if len(set(losers)) != len(losers):
        raise BadRequestError(
            Translatable("losers repeats a record id."), {"losers": [Translatable("Repeated id.")]}
        )
    return MergeRequest(survivor, losers, _fields(entity, body.get("fields"), survivor, losers))


def _fields(
    entity: CompiledEntity, raw: Any, survivor: int, losers: tuple[int, ...]
) -> dict[str, int]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BadRequestError(Translatable("fields must map field names to record ids."))
    known = entity.entity.fields
    errors: dict[str, list[str]] = {}
    chosen: dict[str, int] = {}
    for name, winner in raw.items():
        spec = known.get(name)
        if spec is None or name in STANDARD_COLUMNS:
            hint = did_you_mean(str(name), known)
            errors[str(name)] = [
                Translatable(
                    "Unknown field '%(name)s'. Did you mean '%(hint)s'?", name=name, hint=hint
                )
                if hint
                else Translatable("Unknown field '%(name)s'.", name=name)
            ]
        elif spec.formula is not None or spec.rollup is not None:
            errors[name] = [Translatable("A computed field cannot be chosen; it is recomputed.")]
        elif isinstance(winner, bool) or winner not in (survivor, *losers):
            errors[name] = [
                Translatable(
                    "%(value)s is neither the survivor nor one of the losers.", value=repr(winner)
                )
            ]
        else:
            chosen[name] = int(winner)
    if errors:
        raise ValidationFailedError(errors)
    return chosen


__all__ = ["MAX_LOSERS", "MergeRequest", "parse_merge"]
