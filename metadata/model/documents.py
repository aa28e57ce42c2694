"""Document templates: ``documents/<name>.html.j2`` with their ``<name>.yaml`` sidecar."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from trellis.metadata.model.source import UNKNOWN_SOURCE, SourceSpan

_NO_LABELS: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class RelatedSource:
    """A related list a template reads: ``related.<key>`` = children of ``entity``
    whose reference ``field`` points at the record."""

    key: str
    entity: str
    field: str


@dataclass(frozen=True, slots=True)
class DocumentDef:
    """One printable document of an entity (rendered to PDF by the platform)."""

    name: str
    entity: str
    label: str
    #: The template text (Jinja2, rendered in a sandbox with autoescape).
    template: str
    #: Package-relative path of the template, as error messages name it.
    template_path: str
    #: Per-locale labels when the sidecar gives ``label: {en: …, es: …}``.
    labels: Mapping[str, str] = field(default_factory=lambda: _NO_LABELS)
    #: The related lists the template reads (only these are queried).
    related: tuple[RelatedSource, ...] = ()
    #: A versioned (or multiple) file field of the entity the PDF may be saved on.
    store_in: str | None = None
    source: SourceSpan = UNKNOWN_SOURCE


__all__ = ["DocumentDef", "RelatedSource"]
