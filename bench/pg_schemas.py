"""Clean-up of the PostgreSQL schemas a bench run created (they share one prefix)."""

from __future__ import annotations

import sqlalchemy as sa


def drop_schemas(url: str, prefix: str) -> None:
    """Drop every schema whose name starts with ``prefix`` (``_`` matched literally)."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        names = conn.execute(
            sa.text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
            {"p": prefix.replace("_", r"\_") + "%"},
        ).scalars()
        for name in list(names):
            conn.execute(sa.schema.DropSchema(name, cascade=True))
    engine.dispose()


__all__ = ["drop_schemas"]
