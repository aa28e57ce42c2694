"""Who a save is made by: a member of the tenant, or the platform itself.

Every save carries one principal. A :class:`Member` is a person calling through the
API or the screens; the save pipeline's authorize step checks their roles, scope and
field access. :class:`System` is the platform acting on its own account (timers,
SLA breaches, jobs, imports) or on behalf of a member's save (trigger rules, rollups):
it is allowed, and recorded with the user id the change rows have always shown
(none for timers and jobs, the member whose save caused a rule's or rollup's save).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from trellis.metadata.model import ADMIN_ROLE

if TYPE_CHECKING:
    from trellis.platform.authz import Access


@dataclass(frozen=True, slots=True)
class Member:
    """A member saving through the API or the screens, with what their roles allow."""

    user_id: int
    roles: tuple[str, ...]
    access: Access


@dataclass(frozen=True, slots=True)
class System:
    """The platform saving: timers, SLA, jobs and imports, or rules and rollups.

    ``user_id`` is what change rows record (None for timers, SLA and jobs); ``roles``
    are what workflow transitions are checked against (every role for timers; a rule
    keeps the roles of the save that fired it).
    """

    reason: str
    user_id: int | None = None
    roles: tuple[str, ...] = (ADMIN_ROLE,)


Principal = Member | System
#: The platform on its own account (no user, every role).
SYSTEM = System("system")


def on_behalf(principal: Principal, reason: str) -> System:
    """The system saving because of ``principal``'s save (a rule action, a rollup)."""
    return System(reason, principal.user_id, principal.roles)


__all__ = ["SYSTEM", "Member", "Principal", "System", "on_behalf"]
