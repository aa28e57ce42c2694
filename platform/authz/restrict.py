"""Requests as a role sees them: hidden fields are unknown names."""

from __future__ import annotations

from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz.authorizer import Access
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import BadRequestError
from trellis.platform.records.unknown_names import unknown_among


def _unknown(key: str, name: str, visible: tuple[str, ...], message: str) -> BadRequestError:
    return BadRequestError(message, {key: [unknown_among(name, visible)]})


def check_list_names(
    access: Access, entity: CompiledEntity, sort: str | None, fields: str | None
) -> None:
    """Refuse ``sort=`` and ``fields=`` naming a hidden field, exactly as an unknown one."""
    visible = access.entity(entity.name).columns
    hidden = access.entity(entity.name).hidden
    if not hidden:
        return
    for part in (sort or "").split(","):
        name = part.strip().lstrip("+-").strip()
        if name in hidden:
            message = Translatable("Cannot sort by unknown field '%(name)s'.", name=name)
            raise _unknown("sort", name, visible, message)
    for part in (fields or "").split(","):
        name = part.strip()
        if name in hidden:
            raise _unknown("fields", name, visible, Translatable("Unknown field in fields=."))


def assignable_owners(access: Access, entity: str) -> list[int] | None:
    """The owners the user may give a record of ``entity`` (None: anyone).

    A role without ``all`` scope assigns records to its own user, and with ``team``
    scope also to the team (as :meth:`Access.check_write` checks).
    """
    grants = access.entity(entity)
    if access.admin or grants.unrestricted:
        return None
    owners = {access.user_id}
    if access.subject is not None and any(g.scope == "team" for g in grants.grants):
        owners.update(access.subject.team)
    return sorted(owners)


__all__ = ["assignable_owners", "check_list_names"]
