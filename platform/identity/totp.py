"""TOTP two-factor sign-in (RFC 6238, 30-second codes) with single-use recovery codes.

Enrolment stores a new secret (encrypted with the deployment's secret key, see
:mod:`trellis.platform.jobs.crypto`) that only becomes
active once the person proves their app works by typing a code. Ten recovery codes
are then shown once; only their SHA-256 digests are stored, and each works once.
A code is accepted in the current 30-second step or one step either side, and never
twice (the last accepted step is stored).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from trellis.platform.config import Clock, RuntimeConfig
from trellis.platform.jobs.crypto import decrypt, encrypt
from trellis.tenants.registry import TenantRegistry

STEP_SECONDS = 30
RECOVERY_CODE_COUNT = 10
#: Recovery codes avoid look-alike characters (no 0/o, 1/l/i).
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class TwoFactorError(Exception):
    """A two-factor operation was refused; the message is meant for the person."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A secret waiting for confirmation, as the enrolment screen shows it."""

    secret: str
    uri: str
    #: ``data:image/svg+xml;base64,…`` of the QR code of ``uri``.
    qr_data_uri: str


def qr_svg_data_uri(text: str) -> str:
    """An SVG QR code of ``text`` as a base64 data URI (for ``<img src>``)."""
    import segno  # about 5 MiB resident: loaded by the first enrolment only

    buffer = io.BytesIO()
    segno.make(text, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def normalize_code(code: str) -> str:
    """A typed code without spaces and dashes, lower-cased."""
    return "".join(ch for ch in code.strip().lower() if ch not in " -")


def _digest(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def new_recovery_code() -> str:
    """A fresh recovery code such as ``k7m2p-x9qrt`` (about 50 bits)."""
    chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


class TwoFactor:
    """Enrol, confirm, verify and disable TOTP for users (system database)."""

    def __init__(
        self,
        registry: TenantRegistry,
        config: RuntimeConfig,
        *,
        clock: Clock,
        issuer: str = "Trellis",
    ) -> None:
        """``config`` gives the deployment's secret key (secrets are encrypted with it)."""
        self._registry = registry
        self._config = config
        self._totp = registry.metadata.tables["user_totp"]
        self._codes = registry.metadata.tables["user_recovery_codes"]
        self._clock = clock
        self.issuer = issuer

    def _now(self) -> datetime:
        return self._clock.now()

    def is_enabled(self, user_id: int) -> bool:
        """Whether ``user_id`` has a confirmed second factor."""
        t = self._totp
        with self._registry.connect() as conn:
            confirmed = conn.execute(
                sa.select(t.c.confirmed_at).where(t.c.user_id == user_id)
            ).first()
        return confirmed is not None and confirmed.confirmed_at is not None

    def begin(self, user_id: int, email: str, tenant: str) -> Enrolment:
        """Store a new unconfirmed secret (replacing an unconfirmed one) and describe it.

        Raises:
            TwoFactorError: two-factor sign-in is already on (disable it first).
        """
        if self.is_enabled(user_id):
            raise TwoFactorError("Two-factor sign-in is already on; turn it off first.")
        import pyotp  # loaded on first use, like the other sign-in extras

        secret = pyotp.random_base32()
        t = self._totp
        with self._registry.connect(write=True) as conn, conn.begin():
            conn.execute(t.delete().where(t.c.user_id == user_id))
            conn.execute(
                t.insert().values(
                    user_id=user_id,
                    secret_encrypted=encrypt(self._config, secret),
                    created_at=self._now(),
                )
            )
        return self.describe(secret, email, tenant)

    def describe(self, secret: str, email: str, tenant: str) -> Enrolment:
        """The ``otpauth://`` URI and QR code of ``secret``."""
        import pyotp

        uri = pyotp.TOTP(secret).provisioning_uri(
            name=email, issuer_name=f"{self.issuer} ({tenant})"
        )
        return Enrolment(secret, uri, qr_svg_data_uri(uri))

    def pending(self, user_id: int, email: str, tenant: str) -> Enrolment | None:
        """The unconfirmed enrolment of ``user_id``, if one is waiting."""
        row = self._row(user_id)
        if row is None or row.confirmed_at is not None:
            return None
        return self.describe(decrypt(self._config, row.secret_encrypted), email, tenant)

    def confirm(self, user_id: int, code: str) -> list[str]:
        """Turn the pending secret on when ``code`` matches; returns new recovery codes.

        Raises:
            TwoFactorError: nothing pending, or a wrong code.
        """
        row = self._row(user_id)
        if row is None or row.confirmed_at is not None:
            raise TwoFactorError("Start the set-up first: there is no secret waiting.")
        if not self._check_totp(user_id, row, code):
            raise TwoFactorError("That code is not right: type the 6 digits your app shows now.")
        t = self._totp
        with self._registry.connect(write=True) as conn, conn.begin():
            conn.execute(t.update().where(t.c.user_id == user_id).values(confirmed_at=self._now()))
        return self.new_recovery_codes(user_id)

    def new_recovery_codes(self, user_id: int) -> list[str]:
        """Replace the recovery codes of ``user_id`` with ten new ones (returned once)."""
        codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
        c = self._codes
        now = self._now()
        with self._registry.connect(write=True) as conn, conn.begin():
            conn.execute(c.delete().where(c.c.user_id == user_id))
            conn.execute(
                c.insert(),
                [{"user_id": user_id, "code_hash": _digest(x), "created_at": now} for x in codes],
            )
        return codes

    def remaining_recovery_codes(self, user_id: int) -> int:
        """How many unused recovery codes ``user_id`` has."""
        c = self._codes
        with self._registry.connect() as conn:
            count = conn.execute(
                sa.select(sa.func.count())
                .select_from(c)
                .where(c.c.user_id == user_id, c.c.used_at.is_(None))
            ).scalar()
        return int(count or 0)

    def verify(self, user_id: int, code: str) -> str | None:
        """Check a sign-in code: ``"totp"`` or ``"recovery"`` when accepted, else None.

        An accepted recovery code is used up; an accepted TOTP code cannot be replayed.
        """
        row = self._row(user_id)
        if row is None or row.confirmed_at is None:
            return None
        digits = normalize_code(code)
        if digits.isdigit() and len(digits) == 6:
            return "totp" if self._check_totp(user_id, row, digits) else None
        return "recovery" if self._use_recovery_code(user_id, digits) else None

    def disable(self, user_id: int) -> bool:
        """Remove the secret and recovery codes; returns whether anything was on."""
        t, c = self._totp, self._codes
        with self._registry.connect(write=True) as conn, conn.begin():
            removed = conn.execute(t.delete().where(t.c.user_id == user_id)).rowcount
            conn.execute(c.delete().where(c.c.user_id == user_id))
        return bool(removed)

    def _row(self, user_id: int) -> Any:
        t = self._totp
        with self._registry.connect() as conn:
            return conn.execute(
                sa.select(t.c.secret_encrypted, t.c.confirmed_at, t.c.last_step).where(
                    t.c.user_id == user_id
                )
            ).first()

    def _check_totp(self, user_id: int, row: Any, code: str) -> bool:
        """Whether ``code`` is the code of a step near now, newer than the last one used."""
        digits = normalize_code(code)
        if not (digits.isdigit() and len(digits) == 6):
            return False
        import pyotp

        totp = pyotp.TOTP(decrypt(self._config, row.secret_encrypted))
        current = int(self._clock.now().timestamp() // STEP_SECONDS)
        last = row.last_step
        for step in (current - 1, current, current + 1):
            if last is not None and step <= int(last):
                continue
            if hmac.compare_digest(totp.generate_otp(step), digits):
                return self._claim_step(user_id, step)
        return False

    def _claim_step(self, user_id: int, step: int) -> bool:
        """Record ``step`` as used unless another request used it (or a later one) first."""
        t = self._totp
        with self._registry.connect(write=True) as conn, conn.begin():
            claimed = conn.execute(
                t.update()
                .where(
                    t.c.user_id == user_id,
                    sa.or_(t.c.last_step.is_(None), t.c.last_step < step),
                )
                .values(last_step=step)
            ).rowcount
        return claimed == 1

    def _use_recovery_code(self, user_id: int, code: str) -> bool:
        c = self._codes
        with self._registry.connect(write=True) as conn, conn.begin():
            used = conn.execute(
                c.update()
                .where(
                    c.c.user_id == user_id,
                    c.c.code_hash == _digest(code),
                    c.c.used_at.is_(None),
                )
                .values(used_at=self._now())
            ).rowcount
        return used == 1


__all__ = [
    "RECOVERY_CODE_COUNT",
    "Enrolment",
    "TwoFactor",
    "TwoFactorError",
    "new_recovery_code",
    "normalize_code",
    "qr_svg_data_uri",
]
