"""Former members on restore: accounts the restored rows refer to, never members.

Someone who left the tenant still owns records, authored changes and audit rows. The
backup lists them in ``members/users.jsonl`` with ``member`` false; the restore finds
the account with that e-mail in the target installation, or creates one without a
password (so it cannot sign in anywhere until one is set), and makes it no member of
the tenant: the references keep a name, the person gets no access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from trellis.platform.backup.user_ids import ArchivedUser
from trellis.platform.runtime import Runtime
from trellis.tenants.registry.entries import inserted_id

#: The audit action of the restore of former members.
AUDIT_ACTION = "members.restore_former"


@dataclass(frozen=True, slots=True)
class FormerResult:
    """Per former member, the e-mail and the account's id in the target installation;
    the e-mails of the accounts created (without a password)."""

    user_ids: tuple[tuple[str, int], ...]
    new_accounts: tuple[str, ...]


def restore_former(
    runtime: Runtime, target: str, users: Mapping[int, ArchivedUser], actor: str | None
) -> FormerResult:
    """Find or create the account of each former member of ``users`` (no membership)."""
    former = sorted({u.email: u for u in users.values() if not u.member}.items())
    if not former:
        return FormerResult((), ())
    registry = runtime.registry
    info = runtime.tenant(target, fresh=True)
    u = registry.users
    now = registry.now()
    created: list[str] = []
    ids: list[tuple[str, int]] = []
    with registry.connect(write=True) as conn, conn.begin():
        for email, user in former:
            found = conn.execute(sa.select(u.c.id).where(u.c.email == email)).scalar()
            if found is None:
                values = {
                    "email": email,
                    "display_name": user.display_name or email.split("@")[0],
                    "password_hash": None,
                    "is_active": True,
                    "created_at": now,
                }
                found = inserted_id(conn.execute(u.insert().values(**values)))
                created.append(email)
            ids.append((email, int(found)))
        detail = {"former_members": len(former), "new_accounts": created}
        registry.audit.record(info.id, AUDIT_ACTION, actor=actor, detail=detail, conn=conn)
    return FormerResult(tuple(ids), tuple(created))


__all__ = ["AUDIT_ACTION", "FormerResult", "restore_former"]
