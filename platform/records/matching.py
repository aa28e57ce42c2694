"""Find the one live record whose key fields hold given values (bulk upserts, imports)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import ConflictError, ValidationFailedError
from trellis.platform.records.save_context import SaveContext
from trellis.rules.expr import EvalContext

if TYPE_CHECKING:
    from trellis.platform.authz import Access


def match_record(
    ctx: SaveContext, access: Access, entity: CompiledEntity, keys: Mapping[str, Any]
) -> int | None:
    """The id of the one live record whose ``keys`` fields equal the values (None: no match).

    The values are checked and converted like field values first, so a value the
    column cannot hold is the item's 422, not a database error. Several matches are
    the item's 409: updating one of them would be arbitrary.
    """
    values, errors = entity.validator.check(dict(keys))
    if errors:
        raise ValidationFailedError(errors)
    t = entity.table
    # Only records inside the caller's scope can be matched (and so updated).
    scope = access.scope(entity, EvalContext(now=ctx.now, user_id=access.user_id))
    where = [t.c[key] == values[key] for key in keys]
    where.append(t.c.deleted_at.is_(None))
    if scope is not None:
        where.append(scope)
    found = [int(i) for i in ctx.conn.execute(sa.select(t.c.id).where(*where).limit(2)).scalars()]
    if len(found) < 2:
        return found[0] if found else None
    count = ctx.conn.execute(sa.select(sa.func.count()).select_from(t).where(*where)).scalar()
    named = ", ".join(keys)
    what = f"upsert_key '{named}'" if len(keys) == 1 else f"The key ({named})"
    message = f"{what} matches {count} records; make it unique or update them by id."
    raise ConflictError(message, {key: [message] for key in keys})


__all__ = ["match_record"]
