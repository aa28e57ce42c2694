"""@mentions in comment text, resolved against the members of a tenant.

``@ann@acme.test`` names a member by e-mail address; ``@ann`` by the local part of
the address, by the display name without spaces (``@AnnLee``, ``@ann.lee``) or by a
first name that only one member has. A token that matches nobody, or several
members, is reported as unresolved and notifies no one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from trellis.tenants.registry import TenantRegistry

#: ``@`` not preceded by a word character, then an e-mail address or a name word.
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|\w[\w.-]*)")
#: At most this many distinct people are notified by one comment.
MAX_MENTIONS = 20


@dataclass(frozen=True, slots=True)
class Member:
    """A member of the tenant who can be mentioned."""

    user_id: int
    email: str
    name: str


@dataclass(slots=True)
class Mentions:
    """What the mentions of a text resolved to."""

    #: Token as written (without ``@``, lower case) -> the member it names.
    tokens: dict[str, Member] = field(default_factory=dict)
    #: Tokens that named nobody or several members, in order of appearance.
    unresolved: list[str] = field(default_factory=list)

    @property
    def members(self) -> list[Member]:
        """The mentioned members, each once, in order of first mention."""
        seen: dict[int, Member] = {}
        for member in self.tokens.values():
            seen.setdefault(member.user_id, member)
        return list(seen.values())


def tenant_members(registry: TenantRegistry, tenant: str) -> list[Member]:
    """The active members of ``tenant`` (one query on the system database)."""
    u, t, m = registry.users, registry.tenants, registry.memberships
    query = (
        sa.select(u.c.id, u.c.email, u.c.display_name)
        .join(m, m.c.user_id == u.c.id)
        .join(t, t.c.id == m.c.tenant_id)
        .where(t.c.name == tenant, u.c.is_active.is_(True), m.c.deactivated_at.is_(None))
        .order_by(u.c.id)
    )
    with registry.connect() as conn:
        return [
            Member(int(r.id), str(r.email), str(r.display_name or r.email))
            for r in conn.execute(query)
        ]


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def tokens_of(text: str) -> list[str]:
    """The mention tokens of ``text`` (lower case, without ``@`` or a trailing dot)."""
    return [match.group(1).rstrip(".-").lower() for match in MENTION.finditer(text)]


def _candidates(token: str, members: Iterable[Member]) -> list[Member]:
    members = list(members)
    if "@" in token:
        return [m for m in members if m.email.lower() == token]
    squashed = _squash(token)
    tests: list[Callable[[Member], bool]] = [
        lambda m: m.email.lower().split("@", 1)[0] == token,
        lambda m: squashed != "" and _squash(m.name) == squashed,
        lambda m: m.name.split()[0].lower() == token if m.name.split() else False,
    ]
    for test in tests:
        found = [m for m in members if test(m)]
        if found:
            return found
    return []


def resolve_mentions(text: str, members: Iterable[Member]) -> Mentions:
    """Resolve every ``@token`` of ``text`` against ``members``."""
    pool = list(members)
    out = Mentions()
    for token in tokens_of(text):
        if token in out.tokens or token in out.unresolved or not token:
            continue
        found = _candidates(token, pool)
        if len(found) == 1 and len(out.members) < MAX_MENTIONS:
            out.tokens[token] = found[0]
        else:
            out.unresolved.append(token)
    return out


__all__ = [
    "MAX_MENTIONS",
    "MENTION",
    "Member",
    "Mentions",
    "resolve_mentions",
    "tenant_members",
    "tokens_of",
]
