"""The tenant registry: tenants, users, memberships, API tokens and metadata versions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta

import sqlalchemy as sa

from trellis.tenants.registry.audit import AuditLog
from trellis.tenants.registry.changes import ChangeNotifier
from trellis.tenants.registry.entries import (
    Connect,
    MetadataVersion,
    Now,
    RegistryError,
    TenantInfo,
    TokenIdentity,
    VersionConflictError,
    aware,
    inserted_id,
    utcnow,
)
from trellis.tenants.registry.identities import member_identity, token_identity
from trellis.tenants.registry.passwords import hash_password
from trellis.tenants.registry.tables import build_system_metadata
from trellis.tenants.registry.tokens import new_token, token_digest


class TenantRegistry(ChangeNotifier):
    """Reads and writes the system database through a connection factory.

    ``connect(write=...)`` must return a connection whose schema-less tables
    resolve to the system schema. Mutating methods call :meth:`changed` after their
    commit, so listeners (``on_change``) can drop cached state.
    """

    def __init__(self, connect: Connect, *, now: Now | None = None) -> None:
        super().__init__()
        self._connect = connect
        #: The current time (aware UTC): created, published, token expiry and use.
        self.now: Now = now or utcnow
        md = build_system_metadata()
        self.metadata = md
        self.tenants = md.tables["tenants"]
        self.users = md.tables["users"]
        self.memberships = md.tables["memberships"]
        self.tokens = md.tables["api_tokens"]
        self.versions = md.tables["metadata_versions"]
        #: The append-only audit log (insert and select only).
        self.audit = AuditLog(md.tables["audit_log"], connect, now=self.now)

    # tenants -----------------------------------------------------------------
    def create_tenant(self, name: str, label: str | None = None) -> TenantInfo:
        """Register tenant ``name``; raises ``RegistryError`` if it exists."""
        with self._connect(write=True) as conn, conn.begin():
            if conn.execute(
                sa.select(self.tenants.c.id).where(self.tenants.c.name == name)
            ).first():
                raise RegistryError(f"Tenant '{name}' already exists.")
            result = conn.execute(
                self.tenants.insert().values(name=name, label=label or name, created_at=self.now())
            )
            tenant_id = inserted_id(result)
        self.changed(name, "tenant")
        return TenantInfo(tenant_id, name, label or name, None)

    def get_tenant(self, name: str) -> TenantInfo | None:
        """Return tenant ``name`` or None."""
        t = self.tenants
        with self._connect() as conn:
            row = conn.execute(
                sa.select(t.c.id, t.c.name, t.c.label, t.c.current_version).where(t.c.name == name)
            ).first()
        return TenantInfo(int(row.id), row.name, row.label, row.current_version) if row else None

    def list_tenants(self) -> list[TenantInfo]:
        """Every tenant, by name."""
        t = self.tenants
        with self._connect() as conn:
            rows = conn.execute(
                sa.select(t.c.id, t.c.name, t.c.label, t.c.current_version).order_by(t.c.name)
            ).all()
        return [TenantInfo(int(r.id), r.name, r.label, r.current_version) for r in rows]

    # users and memberships -------------------------------------------------------
    def ensure_user(
        self, email: str, password: str | None = None, display_name: str | None = None
    ) -> int:
        """Return the id of user ``email``, creating it (and setting the password) if needed."""
        email = email.strip().lower()
        if "@" not in email:
            raise RegistryError(f"'{email}' is not an email address.")
        password_hash = hash_password(password) if password is not None else None
        u = self.users
        with self._connect(write=True) as conn, conn.begin():
            row = conn.execute(sa.select(u.c.id).where(u.c.email == email)).first()
            if row:
                if password_hash is not None:
                    conn.execute(
                        u.update().where(u.c.id == row.id).values(password_hash=password_hash)
                    )
                return int(row.id)
            result = conn.execute(
                u.insert().values(
                    email=email,
                    display_name=display_name or email.split("@")[0],
                    password_hash=password_hash,
                    created_at=self.now(),
                )
            )
            return inserted_id(result)

    def add_membership(
        self, tenant: str, user_id: int, roles: list[str], *, actor: str | None = None
    ) -> None:
        """Make the user a member of ``tenant`` with ``roles`` (merged with existing ones).

        The change is audited (``member.add`` or ``roles.change``) with ``actor``
        (default ``cli``).
        """
        info = self._require_tenant(tenant)
        m, u = self.memberships, self.users
        with self._connect(write=True) as conn, conn.begin():
            self.lock_tenant(conn, info.id)  # concurrent merges must not lose roles
            row = conn.execute(
                sa.select(m.c.id, m.c.roles).where(m.c.tenant_id == info.id, m.c.user_id == user_id)
            ).first()
            email = conn.execute(sa.select(u.c.email).where(u.c.id == user_id)).scalar()
            target = f"user:{email or user_id}"
            if row:
                before = sorted(row.roles or ())
                merged = sorted(set(before) | set(roles))
                if merged == before:
                    return
                conn.execute(m.update().where(m.c.id == row.id).values(roles=merged))
                detail = {"before": before, "after": merged}
                self.audit.record(
                    info.id, "roles.change", actor=actor, target=target, detail=detail, conn=conn
                )
            else:
                conn.execute(
                    m.insert().values(
                        tenant_id=info.id,
                        user_id=user_id,
                        roles=sorted(set(roles)),
                        created_at=self.now(),
                    )
                )
                detail = {"roles": sorted(set(roles))}
                self.audit.record(
                    info.id, "member.add", actor=actor, target=target, detail=detail, conn=conn
                )
        self.changed(tenant, "members")

    def members_with_role(
        self,
        tenant_id: int,
        role: str,
        *,
        team: str | None = None,
        attributes: Mapping[str, str] | None = None,
    ) -> list[int]:
        """Ids of the active members of tenant ``tenant_id`` having ``role``, ascending;
        with ``team``, only members of that team; with ``attributes``, only members whose
        attributes have those values."""
        m, u = self.memberships, self.users
        query = (
            sa.select(m.c.user_id, m.c.roles, m.c.teams, m.c.attributes)
            .join(u, u.c.id == m.c.user_id)
            .where(
                m.c.tenant_id == tenant_id, u.c.is_active.is_(True), m.c.deactivated_at.is_(None)
            )
            .order_by(m.c.user_id)
        )
        with self._connect() as conn:
            rows = conn.execute(query).all()
        wanted = dict(attributes or {})
        found: list[int] = []
        for row in rows:
            in_team = team is None or team in (row.teams or ())
            if role not in (row.roles or ()) or not in_team:
                continue
            attrs = row.attributes if isinstance(row.attributes, dict) else {}
            if all(str(attrs.get(k)) == v and k in attrs for k, v in wanted.items()):
                found.append(int(row.user_id))
        return found

    def user_id(self, email: str) -> int | None:
        """Return the id of user ``email`` or None."""
        with self._connect() as conn:
            row = conn.execute(
                sa.select(self.users.c.id).where(self.users.c.email == email.strip().lower())
            ).first()
        return int(row.id) if row else None

    # tokens -----------------------------------------------------------------------
    def create_token(
        self,
        tenant: str,
        email: str,
        *,
        expires_in: timedelta | None = None,
        actor: str | None = None,
    ) -> str:
        """Create an API token for member ``email`` of ``tenant``; returns the secret once.

        Audited as ``token.create`` by ``actor`` (default ``cli``).
        """
        info = self._require_tenant(tenant)
        user_id = self.user_id(email)
        if user_id is None:
            raise RegistryError(f"No user '{email}'.")
        m = self.memberships
        with self._connect(write=True) as conn, conn.begin():
            member = conn.execute(
                sa.select(m.c.id).where(m.c.tenant_id == info.id, m.c.user_id == user_id)
            ).first()
            if member is None:
                raise RegistryError(f"User '{email}' is not a member of tenant '{tenant}'.")
            token = new_token()
            now = self.now()
            expires_at = now + expires_in if expires_in else None
            result = conn.execute(
                self.tokens.insert().values(
                    tenant_id=info.id,
                    user_id=user_id,
                    token_hash=token_digest(token),
                    prefix=token[:12],
                    created_at=now,
                    expires_at=expires_at,
                )
            )
            detail = {
                "user": email.strip().lower(),
                "prefix": token[:12],
                "expires_at": expires_at.isoformat() if expires_at else None,
            }
            self.audit.record(
                info.id,
                "token.create",
                actor=actor,
                target=f"token:{inserted_id(result)}",
                detail=detail,
                conn=conn,
            )
        self.changed(tenant, "tokens")
        return token

    def verify_token(self, token: str) -> TokenIdentity | None:
        """Return who ``token`` speaks for, or None when unknown, revoked or expired."""
        return token_identity(self, token)

    def member_identity(self, tenant: str, user_id: int) -> TokenIdentity | None:
        """Who an active member ``user_id`` of ``tenant`` is (for sessions; ``token_id`` 0)."""
        return member_identity(self, tenant, user_id)

    def member_names(self, tenant: str, ids: Iterable[int] | None = None) -> dict[int, str]:
        """Display names of the members of ``tenant`` by user id (only ``ids`` when given)."""
        u, t, m = self.users, self.tenants, self.memberships
        query = (
            sa.select(u.c.id, u.c.display_name, u.c.email)
            .join(m, m.c.user_id == u.c.id)
            .join(t, t.c.id == m.c.tenant_id)
            .where(t.c.name == tenant)
        )
        if ids is not None:
            query = query.where(u.c.id.in_(sorted(set(ids))))
        with self._connect() as conn:
            return {int(r.id): str(r.display_name or r.email) for r in conn.execute(query)}

    def password_hash(self, user_id: int) -> str | None:
        """The stored argon2 hash of ``user_id``'s password (None when unset or unknown)."""
        u = self.users
        with self._connect() as conn:
            value = conn.execute(sa.select(u.c.password_hash).where(u.c.id == user_id)).scalar()
        return str(value) if value else None

    def user_tenants(self, user_id: int) -> list[str]:
        """Names of the tenants ``user_id`` is a member of, sorted."""
        t, m = self.tenants, self.memberships
        query = (
            sa.select(t.c.name)
            .join(m, m.c.tenant_id == t.c.id)
            .where(m.c.user_id == user_id, m.c.deactivated_at.is_(None))
            .order_by(t.c.name)
        )
        with self._connect() as conn:
            return [str(name) for name in conn.execute(query).scalars()]

    # metadata versions ------------------------------------------------------------
    def record_version(
        self,
        conn: sa.Connection,
        tenant: TenantInfo,
        *,
        app_name: str,
        app_version: str,
        digest: str,
        files: Mapping[str, str],
        plan: str,
        published_by: str | None,
        expected_version: int | None = None,
    ) -> int:
        """Store a new published version in ``conn``'s transaction; returns its number.

        The tenant's row is locked first (:meth:`lock_tenant`), so the check of
        ``expected_version`` (when given) and the write happen under one lock.

        Raises:
            VersionConflictError: the current version is not ``expected_version``.
        """
        current_version = self.lock_tenant(conn, tenant.id)
        if expected_version is not None and current_version != expected_version:
            raise VersionConflictError(tenant.name, expected_version, current_version)
        v = self.versions
        current = conn.execute(
            sa.select(sa.func.max(v.c.version_no)).where(v.c.tenant_id == tenant.id)
        ).scalar()
        version_no = int(current or 0) + 1
        conn.execute(
            v.insert().values(
                tenant_id=tenant.id,
                version_no=version_no,
                app_name=app_name,
                app_version=app_version,
                digest=digest,
                files=dict(files),
                plan=plan,
                published_at=self.now(),
                published_by=published_by,
            )
        )
        conn.execute(
            self.tenants.update()
            .where(self.tenants.c.id == tenant.id)
            .values(current_version=version_no)
        )
        return version_no

    def get_version(self, tenant_id: int, version_no: int) -> MetadataVersion | None:
        """Return a stored version or None."""
        v = self.versions
        with self._connect() as conn:
            row = conn.execute(
                sa.select(v).where(v.c.tenant_id == tenant_id, v.c.version_no == version_no)
            ).first()
        if row is None:
            return None
        return MetadataVersion(
            int(row.tenant_id),
            int(row.version_no),
            row.app_name,
            row.app_version,
            row.digest,
            dict(row.files),
            aware(row.published_at) or self.now(),
        )

    def lock_tenant(self, conn: sa.Connection, tenant_id: int) -> int | None:
        """Lock tenant ``tenant_id``'s row until ``conn``'s transaction ends.

        Read-check-write changes of one tenant's registry rows (versions, memberships)
        take this lock before they read, so concurrent ones run one after the other.
        PostgreSQL: ``SELECT ... FOR UPDATE``; SQLite writers already hold the database
        write lock (``BEGIN IMMEDIATE``). Returns the tenant's current version.

        Raises:
            RegistryError: no such tenant.
        """
        t = self.tenants
        row = conn.execute(
            sa.select(t.c.current_version).where(t.c.id == tenant_id).with_for_update()
        ).first()
        if row is None:
            raise RegistryError(f"No tenant with id {tenant_id}.")
        return None if row.current_version is None else int(row.current_version)

    def connect(self, *, write: bool = False) -> sa.Connection:
        """A connection to the system database."""
        return self._connect(write=write)

    def _require_tenant(self, name: str) -> TenantInfo:
        info = self.get_tenant(name)
        if info is None:
            raise RegistryError(f"No tenant '{name}'.")
        return info


__all__ = [
    "MetadataVersion",
    "RegistryError",
    "TenantInfo",
    "TenantRegistry",
    "TokenIdentity",
    "VersionConflictError",
    "inserted_id",
    "utcnow",
]
