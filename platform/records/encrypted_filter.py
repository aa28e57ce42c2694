"""Filters on ``encrypted: true`` fields: exact match only.

Such a field is stored as deterministic ciphertext, so SQL can test it for equality
with a literal (``email == "a@b.c"``, ``!=``) or emptiness (``is empty``) and nothing
else: ordering, text matching, functions and comparisons with other fields are refused
with code ``RL017``, a 400 like every other bad filter (the status the OpenAPI document
gives bad filters on every operation that takes one).
"""

from __future__ import annotations

from trellis.metadata.model import AppModel
from trellis.platform.records.errors import BadRequestError
from trellis.rules.expr import typed as t

#: The diagnostic code of a filter using an encrypted field other than by exact match.
ENCRYPTED_FILTER = "RL017"


class EncryptedFilterError(BadRequestError):
    """A filter uses an encrypted field other than by exact match (400)."""


def _encrypted(node: t.Node, model: AppModel) -> t.Field | None:
    if isinstance(node, t.Field):
        entity = model.entities.get(node.entity)
        f = entity.fields.get(node.column) if entity else None
        if f is not None and f.encrypted:
            return node
    return None


def _misused(node: t.Node, model: AppModel) -> t.Field | None:
    """The first encrypted field used other than by exact match in ``node``."""
    if isinstance(node, t.Equal):
        left, right = _encrypted(node.left, model), _encrypted(node.right, model)
        if left and isinstance(node.right, t.Const) and isinstance(node.right.value, str):
            return None
        if right and isinstance(node.left, t.Const) and isinstance(node.left.value, str):
            return None
    if isinstance(node, t.IsEmpty) and _encrypted(node.operand, model):
        return None
    found = _encrypted(node, model)
    if found is not None:
        return found
    for child in t.operands(node):
        found = _misused(child, model)
        if found is not None:
            return found
    return None


def refuse_encrypted_use(tree: t.Node, model: AppModel, param: str = "filter") -> None:
    """Raise :class:`EncryptedFilterError` when ``tree`` uses an encrypted field other than
    by ``==``/``!=`` with a text literal or ``is [not] empty``."""
    field = _misused(tree, model)
    if field is None:
        return
    name = ".".join(field.path)
    message = (
        f"'{name}' is encrypted: a filter can only compare it with == or != to a text "
        "value, or test it with 'is empty'"
    )
    raise EncryptedFilterError(
        f"The {param} cannot use the encrypted field '{name}' that way.",
        {param: [f"line {field.line}, column {field.col}: {message}"]},
        diagnostics=[
            {
                "code": ENCRYPTED_FILTER,
                "message": message,
                "line": field.line,
                "column": field.col,
                "suggestion": None,
                "context": None,
            }
        ],
    )


__all__ = ["ENCRYPTED_FILTER", "EncryptedFilterError", "refuse_encrypted_use"]
