"""``set owner_id = …``: the record owner may only be given a user.

A user is ``current_user()``, the standard user columns (``owner_id``,
``created_by``, ``updated_by``), a ``user`` field (also through references, e.g.
``account.owner_id``), ``empty`` (no owner) or an ``if()``/``coalesce()`` of these.
Anything else (a number, a text, an id of another entity) is ``RL116``.
"""

from __future__ import annotations

from typing import Protocol

from trellis.metadata.model import FieldType
from trellis.rules.expr import CompiledExpression
from trellis.rules.expr import typed as t
from trellis.rules.triggers import codes
from trellis.rules.triggers.syntax import Pos

#: The column a rule sets to give a record its owner.
OWNER_COLUMN = "owner_id"
#: Standard columns holding a user id.
USER_COLUMNS = frozenset({"owner_id", "created_by", "updated_by"})
#: Functions whose value is one of their arguments (the argument positions).
_PASSING = {"if": slice(1, 3), "coalesce": slice(0, None)}


def gives_user(node: t.Node) -> bool:
    """Whether every value ``node`` can have is a user id (or empty)."""
    match node:
        case t.ContextValue(kind=kind):
            return kind is t.ContextKind.USER
        case t.Field(column=column, field_type=field_type):
            return field_type == FieldType.USER or column in USER_COLUMNS
        case t.Const(value=value):
            return value is None
        case t.Call(name=name, args=args) if name in _PASSING:
            return all(gives_user(a) for a in args[_PASSING[name]])
    return False


class ErrorSink(Protocol):
    """Where a rule file's diagnostics go (the file checker)."""

    def error(self, code: str, message: str, pos: Pos, suggestion: str | None = None) -> None:
        """Record a diagnostic at ``pos``."""


def owner_ok(sink: ErrorSink, expr: CompiledExpression | None, pos: Pos) -> bool:
    """Whether ``expr`` (None: already reported) gives a user; reports ``RL116`` if not."""
    if expr is None or gives_user(expr.tree):
        return expr is not None
    sink.error(
        codes.BAD_OWNER,
        f"The owner must be a user, not '{expr.source}': use current_user(), a user "
        "field or a path to one (e.g. account.owner_id), or 'assign owner "
        'round_robin("role")\'',
        pos,
        "current_user()",
    )
    return False


__all__ = ["OWNER_COLUMN", "USER_COLUMNS", "ErrorSink", "gives_user", "owner_ok"]
