"""Role definitions changed at run time by tenant admins (the service of ``_roles``).

``GET /t/{t}/api/_roles`` returns the published ``roles.yaml`` (``source``), the role
names and the version. ``PUT /t/{t}/api/_roles`` with ``{"source": "<roles.yaml>",
"version": n}`` publishes a new version of the tenant's app whose only change is that
file: the same checks as ``trellis publish`` (every error with its line, column and
code, nothing applied on error), audited as ``roles.update`` beside the publish
entry, in effect at once in this process (a new version means new enforcers) and in
the others at their next version check or Redis message. ``version`` (optional) is
the version the admin edited; a newer published one answers 409 instead of
overwriting it, checked under the publish's lock (of concurrent saves of one version,
one wins and the others get 409).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from trellis.metadata.diagnostics import MetadataError
from trellis.metadata.model.local_text import Translatable
from trellis.platform.publish import PublishResult, publish
from trellis.platform.records.errors import ConflictError, ValidationFailedError
from trellis.platform.runtime import Runtime
from trellis.tenants.registry import MetadataVersion, VersionConflictError

ROLES_FILE = "roles.yaml"
#: Saves without a ``version`` re-read a version published meanwhile this many times.
REBASE_ATTEMPTS = 3


def current_roles(runtime: Runtime, tenant: str) -> dict[str, Any]:
    """The published ``roles.yaml`` of ``tenant``, its role names and version."""
    info = runtime.tenant(tenant, fresh=True)
    version = runtime.registry.get_version(info.id, info.current_version or 0)
    if version is None:
        raise ConflictError(
            Translatable("Tenant '%(tenant)s' has no published app.", tenant=tenant)
        )
    model = runtime.app(tenant).model
    return {
        "version": version.version_no,
        "source": version.files.get(ROLES_FILE, ""),
        "roles": ["admin", *sorted(model.roles)],
    }


def check_roles_body(body: dict[str, Any]) -> tuple[str, int | None]:
    """The ``source`` and optional ``version`` of a ``PUT _roles`` body (422 otherwise)."""
    errors: dict[str, list[str]] = {}
    for key in body:
        if key not in ("source", "version"):
            errors[key] = ["Unknown key; send source and, optionally, version."]
    source = body.get("source")
    if not isinstance(source, str) or not source.strip():
        errors["source"] = ["Send the whole roles.yaml text as a string."]
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        errors["version"] = ["Must be the version number you edited."]
    if errors:
        raise ValidationFailedError(errors)
    return str(source), version


def _stale(expected: int, current: int | None) -> ConflictError:
    return ConflictError(
        f"Roles changed since version {expected}: the tenant is at version "
        f"{current}. Reload, re-apply your change and save again.",
        current_version=current,
    )


#: Work done on the system database in the publish's version transaction.
WithVersion = Callable[[sa.Connection], None]


def _publish_roles(
    runtime: Runtime,
    tenant: str,
    base: MetadataVersion,
    files: Mapping[str, str],
    actor: str,
    with_version: WithVersion | None = None,
) -> PublishResult:
    """Publish ``base``'s files with ``files`` replaced, only while ``base`` is current."""
    with tempfile.TemporaryDirectory(prefix="trellis-roles-") as folder:
        root = Path(folder)
        for relative, text in {**base.files, **files}.items():
            target = root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        try:
            return publish(
                runtime,
                tenant,
                root,
                published_by=actor,
                expected_version=base.version_no,
                with_version=with_version,
            )
        except MetadataError as exc:
            shown = exc.placed(root)
            raise ValidationFailedError({"source": [d["text"] for d in shown]}) from None


def replace_roles(
    runtime: Runtime,
    tenant: str,
    source: str,
    expected: int | None,
    actor: str,
    *,
    also: Callable[[MetadataVersion], Mapping[str, str]] | None = None,
    with_version: WithVersion | None = None,
) -> dict[str, Any]:
    """Publish the tenant's current package with ``roles.yaml`` replaced by ``source``.

    ``also`` gives other files to replace in the same publish, from the version it is
    based on (references to a renamed role); ``with_version`` runs in the transaction
    that records the version (:func:`~trellis.platform.publish.publish`).

    The version check runs under the publish's locks: of concurrent saves based on one
    version exactly one wins and the others get 409. Without ``expected`` the change is
    re-based on a version published meanwhile (other files are never reverted).

    Raises:
        ConflictError: a newer version than ``expected`` exists, or no app is published.
        ValidationFailedError: ``source`` is not a valid roles file (every error).
    """
    for attempt in range(REBASE_ATTEMPTS):
        info = runtime.tenant(tenant, fresh=True)
        if expected is not None and expected != info.current_version:
            raise _stale(expected, info.current_version)
        base = runtime.registry.get_version(info.id, info.current_version or 0)
        if base is None:
            raise ConflictError(
                Translatable("Tenant '%(tenant)s' has no published app.", tenant=tenant)
            )
        try:
            files = {**(also(base) if also is not None else {}), ROLES_FILE: source}
            result = _publish_roles(runtime, tenant, base, files, actor, with_version)
            break
        except VersionConflictError as exc:
            if expected is not None or attempt + 1 == REBASE_ATTEMPTS:
                raise _stale(base.version_no, exc.current) from None
    runtime.registry.audit.record(
        info.id,
        "roles.update",
        actor=actor,
        target=f"version:{result.version_no}",
        detail={"roles": sorted(result.model.roles), "unchanged": result.unchanged},
    )
    return {**current_roles(runtime, tenant), "unchanged": result.unchanged}


__all__ = ["ROLES_FILE", "WithVersion", "check_roles_body", "current_roles", "replace_roles"]
