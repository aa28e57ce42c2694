"""Preview an e-mail template as the mailer would send it about record #N.

The record is read from the tenant's database (read only) as the after-save action
puts it in the job (every column as JSON values), the context is built by the
mailer's own :func:`template_context` and rendered by its :func:`render_email`, so
the preview is what would be sent. ``signed_link()`` and ``tracked_url()`` issue
nothing here: they show a placeholder path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from trellis.platform.designers.mail_service import TemplateProblem, check_template
from trellis.platform.jobs.mail import EmailError, RenderedEmail, render_email, template_context
from trellis.platform.records.repository import RecordRepository
from trellis.platform.records.values import to_json
from trellis.platform.runtime import Runtime

_RULE = re.compile(
    r'rule\s+"(?P<rule>[^"]*)"\s+on\s+(?P<entity>[a-z][a-z0-9_]*)(?P<body>.*?)\bend\b', re.S
)


@dataclass(frozen=True, slots=True)
class Preview:
    """What the preview shows: the rendered e-mail, or why there is none."""

    email: RenderedEmail | None = None
    problems: tuple[TemplateProblem, ...] = ()
    #: A render failure the mailer would also meet (e.g. an unsafe attribute).
    error: str = ""
    #: No live record ``#N`` of the entity (or no such entity).
    missing: bool = False


def sending_rule(files: dict[str, str], name: str) -> tuple[str, str] | None:
    """The entity and name of the first rule of the draft that sends template ``name``."""
    needle = f'send email "{name}"'
    for path, text in sorted(files.items()):
        if not path.endswith(".rules") or needle not in text:
            continue
        for found in _RULE.finditer(text):
            if needle in found.group("body"):
                return found.group("entity"), found.group("rule")
    return None


def sample_record(
    runtime: Runtime, tenant: str, entity: str, record_id: int
) -> dict[str, Any] | None:
    """Record ``record_id`` of ``entity`` as an e-mail job carries it, or None."""
    app = runtime.app(tenant)
    compiled = app.entities.get(entity)
    if compiled is None:
        return None
    with runtime.engines.tenant_connection(tenant) as conn:
        row = RecordRepository(app).get(conn, compiled, record_id)
    if row is None:
        return None
    fields = compiled.entity.fields
    return {k: to_json(v, fields.get(k)) for k, v in row.items()}


def preview_template(
    runtime: Runtime,
    tenant: str,
    path: str,
    name: str,
    source: str,
    about: tuple[str, int],
    rule: str | None = None,
) -> Preview:
    """Render ``source`` (template ``name`` at ``path``) about ``(entity, record id)``.

    ``rule`` is the rule name the template sees (the rule that sends it).
    """
    entity, record_id = about
    problems = check_template(path, source)
    if problems:
        return Preview(problems=tuple(problems))
    record = sample_record(runtime, tenant, entity, record_id)
    if record is None:
        return Preview(missing=True)

    def signed_link(kind: str, days: int | None = None) -> str:
        return f"/p/{tenant}/s/preview-{kind}"

    def tracked_url(kind: str, target: str) -> str:
        return f"/p/{tenant}/s/preview-{kind}"

    context = template_context(
        record, rule=rule, tenant=tenant, signed_link=signed_link, tracked_url=tracked_url
    )
    try:
        return Preview(email=render_email(name, source, context))
    except EmailError as exc:
        return Preview(error=str(exc))


__all__ = ["Preview", "preview_template", "sample_record", "sending_rule"]
