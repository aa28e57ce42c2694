"""Posting a comment: scope check, clean text, store, and notify the mentioned members.

The commenter must be able to read the record (otherwise 404, as for a read). A
mentioned member is notified only when their own roles let them read the record, so
a comment never leaks to someone who cannot open it; the answer names who was not
notified and which mentions matched nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa

from trellis.platform.activity.comments import clean_body, insert_comment
from trellis.platform.activity.mentions import Member, resolve_mentions, tenant_members
from trellis.platform.authz.call import Call, require_reachable
from trellis.platform.notifications import NotificationError, notify_mention
from trellis.platform.records.compiled import CompiledEntity
from trellis.platform.records.errors import NotFoundError

if TYPE_CHECKING:
    from trellis.platform.authz import Authorizer
    from trellis.platform.runtime import Runtime

#: Characters of the comment quoted in a mention notification.
EXCERPT = 200


class Services(Protocol):
    """What posting a comment needs of the caller's layer (the tenant API has both)."""

    @property
    def runtime(self) -> Runtime:
        """The runtime: registry, engines, clock."""

    @property
    def authz(self) -> Authorizer:
        """Decides what a member's roles may do (for the mentioned members)."""


@dataclass(slots=True)
class PostedComment:
    """The outcome of posting a comment."""

    id: int
    #: The text as stored (cleaned).
    body: str
    notified: list[Member] = field(default_factory=list)
    #: Mentioned members whose roles cannot read the record (not notified).
    cannot_read: list[Member] = field(default_factory=list)
    #: Mention tokens that named nobody, or several members.
    unresolved: list[str] = field(default_factory=list)


def _can_read(
    api: Services,
    call: Call,
    conn: sa.Connection,
    entity: CompiledEntity,
    record_id: int,
    m: Member,
) -> bool:
    identity = api.runtime.registry.member_identity(call.tenant, m.user_id)
    if identity is None:
        return False
    access = api.authz.access(call.tenant, call.rt, m.user_id, identity.roles)
    return access.can(entity.name, "read") and access.reachable(conn, entity, record_id)


def require_record(call: Call, conn: sa.Connection, entity: CompiledEntity, record_id: int) -> None:
    """404 unless live record ``record_id`` exists and is inside the caller's scope."""
    require_reachable(call, conn, entity, record_id)
    table = entity.table
    live = sa.and_(table.c.id == record_id, table.c.deleted_at.is_(None))
    if conn.execute(sa.select(table.c.id).where(live)).first() is None:
        raise NotFoundError(f"No {entity.name} with id {record_id}.")


def _stored_title(conn: sa.Connection, entity: CompiledEntity, record_id: int) -> str:
    """The record's declared title field, or ``#id`` when none is declared or it is empty."""
    name = entity.entity.title
    if name is None or name not in entity.table.c:
        return f"#{record_id}"
    value = conn.execute(
        sa.select(entity.table.c[name]).where(entity.table.c.id == record_id)
    ).scalar()
    return str(value) if value not in (None, "") else f"#{record_id}"


def _excerpt(body: str) -> str:
    line = " ".join(body.split())
    return line if len(line) <= EXCERPT else line[: EXCERPT - 1] + "…"


def post_comment(
    api: Services,
    call: Call,
    entity: CompiledEntity,
    record_id: int,
    text: str,
    *,
    title: str | None = None,
) -> PostedComment:
    """Store a comment by the caller on a record and notify the members it mentions.

    Raises:
        CommentError: the text is empty or too long.
        ForbiddenError: the caller's roles cannot read the entity.
        NotFoundError: the record does not exist or is outside the caller's scope.
    """
    call.access.require(entity.name, "read")
    body = clean_body(text)
    runtime = api.runtime
    members = tenant_members(runtime.registry, call.tenant)
    mentions = resolve_mentions(body, members)
    pairs: list[list[object]] = [[token, m.user_id] for token, m in mentions.tokens.items()]
    author = call.identity.user_id
    with runtime.engines.tenant_connection(call.tenant, write=True) as conn, conn.begin():
        require_record(call, conn, entity, record_id)
        if title is None:
            title = _stored_title(conn, entity, record_id)
        readers = [m for m in mentions.members if _can_read(api, call, conn, entity, record_id, m)]
        comment_id = insert_comment(
            conn,
            call.app.metadata,
            entity=entity.name,
            record_id=record_id,
            user_id=author,
            body=body,
            mentions=pairs,
            at=runtime.clock.now(),
        )
    posted = PostedComment(comment_id, body, unresolved=list(mentions.unresolved))
    posted.cannot_read = [m for m in mentions.members if m not in readers]
    by = next((m.name for m in members if m.user_id == author), call.identity.email)
    message = f"{by} mentioned you on {entity.entity.label} “{title}”: {_excerpt(body)}"
    for member in readers:
        try:
            note = notify_mention(
                runtime, call.tenant, author, member.user_id, entity.name, record_id, message
            )
        except NotificationError:
            continue
        if note is not None:
            posted.notified.append(member)
    return posted


__all__ = ["PostedComment", "post_comment", "require_record"]
