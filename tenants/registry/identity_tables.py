"""System tables of sign-in security: failed attempts (lockout) and two-factor settings."""

from __future__ import annotations

import sqlalchemy as sa


def _user_id(*, primary_key: bool = False) -> sa.Column[int]:
    return sa.Column("user_id", sa.BigInteger(), nullable=False, primary_key=primary_key)


def build_identity_tables(md: sa.MetaData) -> None:
    """Add the sign-in security tables to ``md``.

    Failed attempts are counted per normalized email in ``signin_email_failures``
    (whatever the tenant, whether or not an account has the address, so a lock does
    not reveal who has one): ``failures`` in a row since the last success, and
    ``locked_until`` once they reach the limit. ``signin_failures`` (per user id) is
    no longer written; it stays since the system schema is only ever extended. A TOTP
    secret is stored encrypted in ``user_totp``; it is active once ``confirmed_at`` is
    set. Recovery codes (``user_recovery_codes``) are stored as SHA-256 digests and used
    at most once (``used_at``).
    """
    sa.Table(
        "signin_failures",
        md,
        _user_id(primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )
    sa.Table(
        "signin_email_failures",
        md,
        sa.Column("email", sa.String(320), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )
    sa.Table(
        "user_totp",
        md,
        _user_id(primary_key=True),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        # The last 30-second step accepted: a code is never accepted twice.
        sa.Column("last_step", sa.BigInteger(), nullable=True),
    )
    codes = sa.Table(
        "user_recovery_codes",
        md,
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        _user_id(),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    sa.Index(None, codes.c.user_id)


__all__ = ["build_identity_tables"]
