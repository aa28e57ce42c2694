"""Refusals naming an unknown field of a request, with a near name when there is one."""

from __future__ import annotations

from collections.abc import Collection

from trellis.metadata.diagnostics import did_you_mean
from trellis.metadata.model.local_text import Translatable


def unknown_field(name: str, hint: str | None) -> Translatable:
    """``Unknown field 'x'.``, or with ``(did you mean 'y'?)`` when ``hint`` is given."""
    if hint:
        return Translatable(
            "Unknown field '%(name)s' (did you mean '%(hint)s'?).", name=name, hint=hint
        )
    return Translatable("Unknown field '%(name)s'.", name=name)


def unknown_among(name: str, known: Collection[str]) -> Translatable:
    """:func:`unknown_field` suggesting the nearest of ``known``."""
    return unknown_field(name, did_you_mean(name, list(known)))


__all__ = ["unknown_among", "unknown_field"]
