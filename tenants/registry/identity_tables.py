"""System tables of sign-in security: failed attempts, two-factor settings, web sessions."""

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
    build_session_tables(md)


def build_session_tables(md: sa.MetaData) -> None:
    """Add ``web_sessions`` and ``session_revocations`` to the system tables ``md``."""
    sessions = sa.Table(
        "web_sessions",
        md,
        sa.Column("sid", sa.String(64), primary_key=True),
        sa.Column("tenant", sa.String(40), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        # Seconds since the epoch on the store's clock, like Session.created_at.
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_seen", sa.Float(), nullable=False),
        sa.Column("second_factor_pending", sa.Boolean(), nullable=False),
    )
    sa.Index(None, sessions.c.user_id)
    sa.Table(
        "session_revocations",
        md,
        sa.Column("user_id", sa.BigInteger(), primary_key=True),
        # Sessions of the user created at or before this instant have ended.
        sa.Column("revoked_at", sa.Float(), nullable=False),
    )


__all__ = ["build_identity_tables", "build_session_tables"]
