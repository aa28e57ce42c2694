"""Signed links: a token that lets its holder view or change one record in a declared way.

A token is ``<id>.<expires>.<signature>``: the row id in the tenant's ``_signed_links``
table, the expiry (Unix seconds) and an HMAC-SHA256 of both under the tenant's own
secret (``_settings`` key ``link_secret``, made on first use). A token that does not
verify is refused before any row is read; then the expiry, the revocation and (for
single-use kinds) the first use are checked. Using a single-use link marks it in the
same transaction as its change, by a conditional update, so two clicks cannot both
succeed. Changes are saved through the save pipeline by the system on the link's
behalf (the link, issued by an admin, is the authority), never by the public role.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from trellis.metadata.model import LinkDef
from trellis.platform.automation import record_service
from trellis.platform.db.tables import SETTINGS_TABLE, SIGNED_LINKS_TABLE
from trellis.platform.privacy.consents import add_consent
from trellis.platform.records.compiled import CompiledApp, CompiledEntity
from trellis.platform.records.errors import NotFoundError, ValidationFailedError
from trellis.platform.records.principal import System
from trellis.platform.records.service import SaveContext
from trellis.platform.runtime import AppRuntime, Runtime, TenantNotFoundError
from trellis.tenants.registry import inserted_id

LOG = logging.getLogger("trellis.public")
LINK_SECRET_KEY = "link_secret"
#: Longest lifetime an issuer may give a link.
MAX_DAYS = 3650
#: What a redirect link may lead on to.
_WEB_ADDRESS = re.compile(r"^https?://[^\s/?#]+[^\s]*$")


class LinkRefusedError(Exception):
    """A token that cannot be used: ``reason`` is invalid, expired, used or revoked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A link just issued: its id, token and what it points at."""

    id: int
    link: str
    entity: str
    record_id: int
    expires_at: datetime
    single_use: bool
    token: str

    def as_json(self, tenant: str) -> dict[str, Any]:
        """The admin API's answer."""
        return {
            "id": self.id,
            "link": self.link,
            "entity": self.entity,
            "record_id": self.record_id,
            "expires_at": self.expires_at.isoformat().replace("+00:00", "Z"),
            "single_use": self.single_use,
            "token": self.token,
            "path": f"/p/{tenant}/s/{self.token}",
        }


@dataclass(frozen=True, slots=True)
class OpenedLink:
    """A verified, usable link with its kind, entity and record."""

    tenant: str
    id: int
    kind: LinkDef
    entity: CompiledEntity
    record: dict[str, Any]
    app: CompiledApp


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class SignedLinks:
    """Issues, revokes, opens and uses signed links of every tenant."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    # plumbing -----------------------------------------------------------------------
    def _secret(self, conn: sa.Connection, app: CompiledApp) -> bytes:
        table = app.metadata.tables[SETTINGS_TABLE]
        query = sa.select(table.c.value).where(table.c.key == LINK_SECRET_KEY)
        value = conn.execute(query).scalar()
        if value is None:
            value = secrets.token_hex(32)
            conn.execute(table.insert().values(key=LINK_SECRET_KEY, value=value))
        return str(value).encode()

    @staticmethod
    def _signature(secret: bytes, tenant: str, link_id: int, expires: int) -> str:
        message = f"{tenant}\x00{link_id}\x00{expires}".encode()
        return _b64(hmac.new(secret, message, hashlib.sha256).digest())

    # admin --------------------------------------------------------------------------
    def issue(
        self,
        tenant: str,
        name: str,
        record_id: int,
        *,
        days: int | None = None,
        by: int | None = None,
    ) -> IssuedLink:
        """Issue a link of kind ``name`` for live record ``record_id``.

        Raises:
            NotFoundError: unknown tenant, link kind or record.
            ValidationFailedError: ``days`` outside 1..3650.
        """
        app = self.runtime.app(tenant)
        kind = app.model.links.get(name)
        if kind is None:
            raise NotFoundError(f"No link kind '{name}' in this tenant (links/{name}.yaml).")
        if days is not None and not 1 <= days <= MAX_DAYS:
            raise ValidationFailedError({"expires_days": [f"Must be between 1 and {MAX_DAYS}."]})
        entity = app.entities[kind.entity]
        now = self.runtime.clock.now()
        expires = int((now + timedelta(days=days or kind.expires_days)).timestamp())
        table = app.metadata.tables[SIGNED_LINKS_TABLE]
        t = entity.table
        with self.runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            live = sa.select(t.c.id).where(t.c.id == record_id, t.c.deleted_at.is_(None))
            if conn.execute(live).first() is None:
                raise NotFoundError(f"No {entity.name} with id {record_id}.")
            secret = self._secret(conn, app)
            result = conn.execute(
                table.insert().values(
                    link=name,
                    entity=entity.name,
                    record_id=record_id,
                    expires_at=datetime.fromtimestamp(expires, UTC),
                    single_use=kind.single_use,
                    created_at=now,
                    created_by=by,
                )
            )
            link_id = inserted_id(result)
        token = f"{link_id}.{expires}.{self._signature(secret, tenant, link_id, expires)}"
        at = datetime.fromtimestamp(expires, UTC)
        return IssuedLink(link_id, name, entity.name, record_id, at, kind.single_use, token)

    def revoke(self, tenant: str, link_id: int) -> None:
        """Revoke link ``link_id`` (already revoked: nothing changes).

        Raises:
            NotFoundError: no such link.
        """
        app = self.runtime.app(tenant)
        table = app.metadata.tables[SIGNED_LINKS_TABLE]
        now = self.runtime.clock.now()
        with self.runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            found = conn.execute(sa.select(table.c.id).where(table.c.id == link_id)).first()
            if found is None:
                raise NotFoundError(f"No signed link with id {link_id}.")
            conn.execute(
                table.update()
                .where(table.c.id == link_id, table.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )

    # holders ------------------------------------------------------------------------
    def _app_runtime(self, tenant: str) -> AppRuntime:
        try:
            return self.runtime.app_runtime(tenant)
        except TenantNotFoundError:
            raise LinkRefusedError("invalid") from None

    def _verify(self, conn: sa.Connection, tenant: str, app: CompiledApp, token: str) -> Any:
        """The link's row, or :class:`LinkRefusedError` (nothing is read before the MAC)."""
        parts = token.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
            raise LinkRefusedError("invalid")
        link_id, expires = int(parts[0]), int(parts[1])
        if link_id > 2**62 or expires > 2**40:
            raise LinkRefusedError("invalid")
        wanted = self._signature(self._secret(conn, app), tenant, link_id, expires)
        if not hmac.compare_digest(wanted, parts[2]):
            raise LinkRefusedError("invalid")
        table = app.metadata.tables[SIGNED_LINKS_TABLE]
        row = conn.execute(sa.select(table).where(table.c.id == link_id)).first()
        if row is None or int(_aware(row.expires_at).timestamp()) != expires:
            raise LinkRefusedError("invalid")
        if row.revoked_at is not None:
            raise LinkRefusedError("revoked")
        if self.runtime.clock.now().timestamp() >= expires:
            raise LinkRefusedError("expired")
        if row.single_use and row.used_at is not None:
            raise LinkRefusedError("used")
        if row.link not in app.model.links or row.entity != app.model.links[row.link].entity:
            raise LinkRefusedError("invalid")  # the kind was removed or changed since
        return row

    def _consume(self, conn: sa.Connection, app: CompiledApp, link_id: int) -> None:
        table = app.metadata.tables[SIGNED_LINKS_TABLE]
        done = conn.execute(
            table.update()
            .where(table.c.id == link_id, table.c.used_at.is_(None), table.c.revoked_at.is_(None))
            .values(used_at=self.runtime.clock.now())
        )
        if done.rowcount != 1:
            raise LinkRefusedError("used")

    def open(self, tenant: str, token: str, *, consume_view: bool = True) -> OpenedLink:
        """Verify ``token`` and read its record; a single-use ``view`` link is used up.

        Raises:
            LinkRefusedError: invalid (unknown tenant, tampered, record gone), expired,
                revoked, or already used.
        """
        rt = self._app_runtime(tenant)
        app = rt.app
        with self.runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            row = self._verify(conn, tenant, app, token)
            kind = app.model.links[row.link]
            entity = app.entities[kind.entity]
            record = record_service(rt).get(conn, entity, row.record_id)
            if record is None:
                raise LinkRefusedError("invalid")
            if consume_view and kind.action == "view" and row.single_use:
                self._consume(conn, app, row.id)
        return OpenedLink(tenant, row.id, kind, entity, record, app)

    def target_signature(self, tenant: str, token: str, target: str) -> str:
        """The MAC binding ``target`` to the link ``token`` (a ``redirect`` link's address)."""
        app = self.runtime.app(tenant)
        with self.runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            secret = self._secret(conn, app)
        return self._target_mac(secret, token, target)

    @staticmethod
    def _target_mac(secret: bytes, token: str, target: str) -> str:
        message = f"target\x00{token}\x00{target}".encode()
        return _b64(hmac.new(secret, message, hashlib.sha256).digest())

    def tracked_path(self, tenant: str, token: str, target: str) -> str:
        """``/p/{tenant}/s/{token}?to=…&sig=…``: a redirect link on to ``target``."""
        if not _WEB_ADDRESS.match(target):
            raise ValidationFailedError({"to": ["An http(s) address is required."]})
        sig = self.target_signature(tenant, token, target)
        return f"/p/{tenant}/s/{token}?{urlencode({'to': target, 'sig': sig})}"

    def track(
        self, tenant: str, token: str, target: str | None = None, sig: str | None = None
    ) -> tuple[OpenedLink, str | None]:
        """Fetch an ``open`` or ``redirect`` link: store its values; the address to go on
        to (redirect links: only the one signed into the link, else ``invalid``).

        Raises:
            LinkRefusedError: as :meth:`open`, and a target or signature that does not match.
        """
        rt = self._app_runtime(tenant)
        app = rt.app
        with self.runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            row = self._verify(conn, tenant, app, token)
            kind = app.model.links[row.link]
            if kind.action not in ("open", "redirect"):
                raise LinkRefusedError("invalid")
            if kind.action == "redirect":
                wanted = self._target_mac(self._secret(conn, app), token, target or "")
                if not target or not sig or not hmac.compare_digest(wanted, sig):
                    raise LinkRefusedError("invalid")
            entity = app.entities[kind.entity]
            if row.single_use:
                self._consume(conn, app, row.id)
            principal = System(f"signed link {row.link} #{row.id}")
            ctx = SaveContext(conn, principal, self.runtime.clock.now())
            service, values = record_service(rt), dict(kind.set_values)
            try:
                with conn.begin_nested():
                    record = service.update(ctx, entity, row.record_id, values, None)
            except ValidationFailedError as exc:
                # The holder still gets the image or goes on; the refusal is logged.
                LOG.warning("Signed link %s #%s stored nothing: %s", row.link, row.id, exc.errors)
                record = {}
        opened = OpenedLink(tenant, row.id, kind, entity, record, app)
        return opened, target if kind.action == "redirect" else None

    def act(self, tenant: str, token: str, values: dict[str, Any]) -> OpenedLink:
        """Do what the link is for (answer: store ``values`` of its fields; set: its values).

        Raises:
            LinkRefusedError: as :meth:`open`.
            ValidationFailedError: the save pipeline refused the change (nothing changed).
        """
        rt = self._app_runtime(tenant)
        app = rt.app
        service = record_service(rt)
        with self.runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            row = self._verify(conn, tenant, app, token)
            kind = app.model.links[row.link]
            if kind.action not in ("answer", "set"):
                raise LinkRefusedError("invalid")
            entity = app.entities[kind.entity]
            if kind.action == "answer":
                shown = {f.name for f in kind.fields}
                data = {k: v for k, v in values.items() if k in shown}
                missing = {
                    f.name: ["This field is required."]
                    for f in kind.fields
                    if f.required and data.get(f.name) in (None, "", [])
                }
                if missing:
                    raise ValidationFailedError(missing)
            else:
                data = dict(kind.set_values)
            if row.single_use:
                self._consume(conn, app, row.id)
            principal = System(f"signed link {row.link} #{row.id}")
            ctx = SaveContext(conn, principal, self.runtime.clock.now())
            record = service.update(ctx, entity, row.record_id, data, None)
            self._withdraw(conn, app, kind, record, row.id)
        return OpenedLink(tenant, row.id, kind, entity, record, app)

    def _withdraw(
        self, conn: sa.Connection, app: CompiledApp, kind: LinkDef, record: Any, link_id: int
    ) -> None:
        """``withdraw_consent``: a withdrawn ledger entry for the record's address."""
        email = record.get(kind.withdraw_email) if kind.withdraw_email else None
        if kind.withdraw_purpose is None or not isinstance(email, str) or "@" not in email:
            return
        entry = {
            "email": email,
            "purpose": kind.withdraw_purpose,
            "basis": "consent",
            "granted": False,
            "source": f"signed link {kind.name}",
            "evidence": f"link #{link_id}",
        }
        add_consent(conn, app.metadata, entry, self.runtime.clock.now(), None)


__all__ = ["LINK_SECRET_KEY", "IssuedLink", "LinkRefusedError", "OpenedLink", "SignedLinks"]
