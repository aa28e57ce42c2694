"""A tenant's people as its admins manage them: the list, deactivation, two-factor reset,
teams and manager.

Every change is audited in the tenant (``member.deactivate``, ``member.reactivate``,
``member.2fa.reset``, ``member.update``) and reaches this process's caches at once
(``registry.changed``), other processes within 2 seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from trellis.metadata.model.local_text import Translatable
from trellis.platform.authz.call import Call
from trellis.platform.identity.totp import TwoFactor
from trellis.platform.records.errors import ConflictError, NotFoundError, ValidationFailedError
from trellis.platform.runtime import Runtime
from trellis.tenants.registry import RegistryError
from trellis.tenants.registry.member_status import (
    ADMIN_ROLE,
    Person,
    list_people,
    set_member_active,
)
from trellis.tenants.registry.members import NAME_RE, update_member


@dataclass(frozen=True, slots=True)
class PersonView:
    """A member as the users page shows them."""

    person: Person
    two_factor: bool


def _would_loop(people: dict[int, Person], user_id: int, manager_id: int) -> list[str]:
    """The reporting chain that ``manager_id`` managing ``user_id`` would close, or []."""
    chain: list[str] = []
    current: int | None = manager_id
    seen: set[int] = set()
    while current is not None and current not in seen:
        seen.add(current)
        boss = people.get(current)
        if boss is None:
            return []
        chain.append(boss.email)
        if current == user_id:
            return chain
        current = boss.manager_id
    return []


class Roster:
    """The admin operations on a tenant's members (the caller must be a tenant admin)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.registry = runtime.registry

    def _people(self, tenant: str) -> dict[int, Person]:
        info = self.runtime.tenant(tenant)
        return {p.user_id: p for p in list_people(self.registry, info.id)}

    def _person(self, tenant: str, user_id: int) -> Person:
        found = self._people(tenant).get(user_id)
        if found is None:
            raise NotFoundError(
                Translatable("No member with id %(id)s in this tenant.", id=user_id)
            )
        return found

    def people(self, tenant: str) -> list[PersonView]:
        """Every member, deactivated ones too, with their two-factor state, by e-mail."""
        people = list(self._people(tenant).values())
        totp = self.registry.metadata.tables["user_totp"]
        ids = [p.user_id for p in people]
        with self.registry.connect() as conn:
            enrolled = {
                int(uid)
                for uid in conn.execute(
                    sa.select(totp.c.user_id).where(
                        totp.c.user_id.in_(ids), totp.c.confirmed_at.is_not(None)
                    )
                ).scalars()
            }
        return [PersonView(p, p.user_id in enrolled) for p in people]

    def set_active(self, call: Call, user_id: int, active: bool) -> Person:
        """Deactivate or reactivate a member (not oneself; never the last active admin).

        Raises:
            NotFoundError: not a member of this tenant.
            ConflictError: oneself, or the last active admin.
        """
        people = self._people(call.tenant)
        person = people.get(user_id)
        if person is None:
            raise NotFoundError(
                Translatable("No member with id %(id)s in this tenant.", id=user_id)
            )
        # set_member_active checks the last admin again, under the tenant's lock.
        others = [p for p in people.values() if p.user_id != user_id and p.active]
        last_admin = not any(ADMIN_ROLE in p.roles for p in others)
        if not active and last_admin and ADMIN_ROLE in person.roles and person.active:
            raise ConflictError(
                Translatable(
                    "%(email)s is the last active admin of this tenant and cannot be "
                    "deactivated: make another member an admin first.",
                    email=person.email,
                )
            )
        if not active and user_id == call.identity.user_id:
            raise ConflictError(
                Translatable("You cannot deactivate yourself: ask another admin to do it.")
            )
        try:
            return set_member_active(
                self.registry,
                call.tenant,
                person.user_id,
                active,
                actor=call.identity.email,
                actor_user_id=call.identity.user_id,
            )
        except RegistryError as exc:
            raise ConflictError(exc.args[0] if exc.args else str(exc)) from None

    def reset_two_factor(self, call: Call, user_id: int) -> Person:
        """Clear a member's TOTP enrolment and recovery codes (they enrol again).

        Raises:
            NotFoundError: not a member of this tenant.
            ConflictError: the member has no two-factor sign-in to reset.
        """
        person = self._person(call.tenant, user_id)
        two_factor = TwoFactor(self.registry, self.runtime.config, clock=self.runtime.clock)
        if not two_factor.disable(person.user_id):
            raise ConflictError(
                Translatable("%(email)s has no two-factor sign-in to reset.", email=person.email)
            )
        self.registry.audit.record(
            self.runtime.tenant(call.tenant).id,
            "member.2fa.reset",
            actor=call.identity.email,
            actor_user_id=call.identity.user_id,
            target=f"user:{person.email}",
            detail={},
        )
        return person

    def set_teams_and_manager(
        self, call: Call, user_id: int, teams: list[str], manager_email: str
    ) -> Person:
        """Replace a member's teams and set (``""`` clears) their manager.

        Raises:
            NotFoundError: not a member of this tenant.
            ValidationFailedError: a bad team name, an unknown manager or a reporting loop.
        """
        people = self._people(call.tenant)
        person = people.get(user_id)
        if person is None:
            raise NotFoundError(
                Translatable("No member with id %(id)s in this tenant.", id=user_id)
            )
        for team in teams:
            if not NAME_RE.match(team):
                raise ValidationFailedError(
                    {
                        "teams": [
                            Translatable(
                                "Team name '%(team)s' is not valid: use letters, digits, '_' "
                                "and '-', starting with a letter.",
                                team=team,
                            )
                        ]
                    }
                )
        manager_email = manager_email.strip().lower()
        if manager_email:
            boss = next((p for p in people.values() if p.email == manager_email), None)
            if boss is None or not boss.active:
                raise ValidationFailedError(
                    {
                        "manager": [
                            Translatable(
                                "%(email)s is not an active member of this tenant.",
                                email=manager_email,
                            )
                        ]
                    }
                )
            loop = _would_loop(people, person.user_id, boss.user_id)
            if loop:
                raise ValidationFailedError(
                    {
                        "manager": [
                            Translatable(
                                "%(manager)s cannot manage %(email)s: that would make a "
                                "reporting loop (%(chain)s).",
                                manager=manager_email,
                                email=person.email,
                                chain=" → ".join([person.email, *loop]),
                            )
                        ]
                    }
                )
        try:
            update_member(
                self.registry,
                call.tenant,
                person.user_id,
                teams=teams,
                manager=manager_email,
                actor=call.identity.email,
                actor_user_id=call.identity.user_id,
            )
        except RegistryError as exc:  # a change by someone else in between
            raise ValidationFailedError({"manager": [str(exc)]}) from None
        return self._person(call.tenant, user_id)


__all__ = ["PersonView", "Roster"]
