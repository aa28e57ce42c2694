"""SQL column types of number fields: NUMERIC read back exactly on SQLite, BIGINT ids."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from trellis.metadata.model.defs import FieldDef
from trellis.metadata.model.ranges import numeric_precision


class _FloatBackedNumeric(sa.types.TypeDecorator[Decimal]):
    """NUMERIC on SQLite, which keeps numbers as 8-byte floats: read back exactly.

    SQLAlchemy formats the stored float with the column's scale, so 1234567890123.45
    in a scale-6 column reads as 1234567890123.449951; the float's shortest repr is
    the stored decimal itself for up to 15 significant digits (the save refuses
    more on SQLite). SQLite keeps a whole float as INTEGER (64773971539513100 as
    ...104), which is read the same way. The DDL is the same NUMERIC(p, s).
    """

    impl = sa.Numeric
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        super().__init__(precision, scale)
        self._precision = precision
        self._scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        floats = sa.Numeric(self._precision, self._scale, asdecimal=False)
        return dialect.type_descriptor(floats)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        floating = isinstance(value, (int, float))
        number = Decimal(repr(float(value))) if floating else Decimal(value)
        return number.quantize(self._quantum) if number.is_finite() else number


def numeric_column(f: FieldDef) -> sa.types.TypeEngine[Any]:
    """NUMERIC(p, s) of a decimal, money or percent field (exact on SQLite too)."""
    precision, scale = numeric_precision(f) or (24, 6)
    return sa.Numeric(precision, scale).with_variant(
        _FloatBackedNumeric(precision, scale), "sqlite"
    )


def bigint_column() -> sa.types.TypeEngine[Any]:
    """BIGINT; INTEGER on SQLite."""
    # SQLite only auto-increments INTEGER PRIMARY KEY; elsewhere BIGINT.
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


__all__ = ["bigint_column", "numeric_column"]
