"""Person export, erasure and the consent ledger for the API and the CLI, each audited.

Export and erasure are for tenant admins (the API's guard; the CLI is the operator).
An address no record holds is a 404 saying so, and nothing is written; erasing a person
already erased answers the same tombstone and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trellis.platform.files.factory import file_store
from trellis.platform.privacy.consents import add_consent, consents_of, parse_entry
from trellis.platform.privacy.erase import Erasure, erase_person
from trellis.platform.privacy.export import export_bytes
from trellis.platform.privacy.person import find_person, keyed_hash, normal_email, privacy_secret
from trellis.platform.records.errors import NotFoundError, ValidationFailedError
from trellis.platform.runtime import Runtime

EXPORT_ACTION = "gdpr.export"
ERASE_ACTION = "gdpr.erase"
CONSENT_ACTION = "gdpr.consent"


def email_of(body: Any) -> str:
    """The ``email`` of a request body (422 when missing or not an address)."""
    email = body.get("email") if isinstance(body, Mapping) else None
    if not isinstance(email, str) or "@" not in email or len(email) > 254 or "\0" in email:
        raise ValidationFailedError({"email": ["An e-mail address is required."]})
    return email.strip()


class PrivacyService:
    """The privacy operations of one runtime; ``actor`` names who asked (audit log)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _audit(
        self, tenant: str, action: str, actor: str | None, user: int | None, subject: str, **d: Any
    ) -> None:
        self.runtime.registry.audit.record(
            self.runtime.tenant(tenant).id,
            action,
            actor=actor,
            actor_user_id=user,
            target=f"person:{subject[:16]}",
            detail=d,
        )

    def export(self, tenant: str, email: str, actor: str | None, user: int | None) -> bytes:
        """The person's archive (see platform/privacy/export.py)."""
        app = self.runtime.app(tenant)
        with self.runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            subject = keyed_hash(privacy_secret(conn, app.metadata), normal_email(email))
            person = find_person(conn, app, email)
            data = None if person.empty else export_bytes(conn, app, person, email, self._now())
        self._audit(tenant, EXPORT_ACTION, actor, user, subject, records=len(person.records()))
        if data is None:
            raise _no_records(email)
        return data

    def erase(
        self, tenant: str, email: str, dry_run: bool, actor: str | None, user: int | None
    ) -> Erasure:
        """Erase the person (or say what would be erased); files go after the commit."""
        app = self.runtime.app(tenant)
        removed: list[str] = []
        with self.runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            secret = privacy_secret(conn, app.metadata)
            subject = keyed_hash(secret, normal_email(email))
            person = find_person(conn, app, email)
            remove = None if dry_run else removed.append
            done = erase_person(
                conn, app, person, secret, email, self._now(), actor or "cli", remove
            )
        store = file_store(self.runtime.config)
        for key in removed:
            store.delete(tenant, key)
        detail = {"dry_run": dry_run, "records": len(done.records), "fields": done.fields}
        self._audit(tenant, ERASE_ACTION, actor, user, subject, **detail, files=done.files)
        if not done.records and done.tombstone_id is None:
            raise _no_records(email)
        return done

    def add_consent(
        self, tenant: str, body: Any, actor: str | None, user: int | None
    ) -> dict[str, Any]:
        """Append a consent entry (422 naming each bad part)."""
        entry = parse_entry(body)
        app = self.runtime.app(tenant)
        with self.runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            added = add_consent(conn, app.metadata, entry, self._now(), user)
            subject = keyed_hash(privacy_secret(conn, app.metadata), normal_email(entry["email"]))
        detail = {"purpose": added["purpose"], "granted": added["granted"]}
        self._audit(tenant, CONSENT_ACTION, actor, user, subject, **detail)
        return added

    def consents(self, tenant: str, email: str) -> list[dict[str, Any]]:
        """The person's consent entries, oldest first."""
        app = self.runtime.app(tenant)
        with self.runtime.engines.tenant_connection(tenant, write=True) as conn, conn.begin():
            return consents_of(conn, app.metadata, email)

    def _now(self) -> Any:
        return self.runtime.clock.now()


def _no_records(email: str) -> NotFoundError:
    message = f"No records hold or reference '{email}'; nothing was written."
    return NotFoundError(message, {"email": [message]})


__all__ = ["CONSENT_ACTION", "ERASE_ACTION", "EXPORT_ACTION", "PrivacyService", "email_of"]
