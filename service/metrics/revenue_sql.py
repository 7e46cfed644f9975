"""SQL shared by the revenue metrics: the active-line rule inlined into their hand-written statements, and
the grouping of per-account (or per account and product) MRR rows into metric rows.

A *unit* is what a revenue metric classifies: an account, or — grouped by PRODUCT — an account's revenue
on one product (the lines of that product only), treated like an account of its own. Every statement
reads MRR through ``contracts.queries.line_active_on``, the one definition of an active line.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from service.accounts.tables import accounts
from service.contracts.queries import line_active_on, line_start
from service.metrics.dimensions import Dimension, account_column

_POSTGRESQL = postgresql.dialect()  # type: ignore[no-untyped-call]

# The lines of the asked currency; ``active_on`` conditions are written over these two tables.
LINES = "contract_lines JOIN contracts ON contracts.id = contract_lines.contract_id"
CURRENCY = "contracts.currency = CAST(:currency AS text)"


def inline(expression: sa.ColumnElement[Any]) -> str:
    """A Core expression as SQL text, constants inlined (only our own rule and column names)."""
    return str(expression.compile(dialect=_POSTGRESQL, compile_kwargs={"literal_binds": True}))


def active_on(day_sql: str) -> str:
    """The active-line rule for the day given as SQL (a bound parameter, a boundary column)."""
    return inline(line_active_on(sa.literal_column(day_sql, sa.Date)))


def line_start_sql() -> str:
    """A line's first day (its own start date, else its contract's) as SQL."""
    return inline(line_start())


@dataclass(frozen=True, slots=True)
class Grouping:
    """The dimensions of one call, and the SQL they turn into."""

    dimensions: tuple[Dimension, ...]

    @property
    def by_product(self) -> bool:
        return Dimension.PRODUCT in self.dimensions

    @property
    def unit_columns(self) -> tuple[str, ...]:
        """The unit's key columns: the account, and the product when grouping by it."""
        return ("account_id", "product_id") if self.by_product else ("account_id",)

    def unit_key(self, table: str = "contract_lines") -> str:
        return ", ".join(f"{table}.{column}" for column in self.unit_columns)

    def unit_match(self, left: str, right: str) -> str:
        """Join condition of two unit-keyed relations."""
        same = f"{left}.account_id = {right}.account_id"
        return f"{same} AND {left}.product_id = {right}.product_id" if self.by_product else same

    def joins(self, units: str) -> str:
        """Joins from a unit-keyed relation to what its group values come from."""
        joined = []
        if any(dimension is not Dimension.PRODUCT for dimension in self.dimensions):
            joined.append(f"JOIN accounts ON accounts.id = {units}.account_id")
        if self.by_product:
            joined.append(f"JOIN products ON products.id = {units}.product_id")
        return " ".join(joined)

    def _value(self, dimension: Dimension) -> str:
        if dimension is Dimension.PRODUCT:
            return "products.name"
        return inline(account_column(accounts, dimension))

    def columns(self) -> str:
        """``g0, g1, …``: the group values, each followed by a comma (empty when ungrouped)."""
        return "".join(f"{self._value(dimension)} AS g{i}, " for i, dimension in enumerate(self.dimensions))

    def group_by(self, *more: str) -> str:
        keys = [f"g{i}" for i in range(len(self.dimensions))] + list(more)
        return f"GROUP BY {', '.join(keys)}" if keys else ""

    def order_by(self, *more: str) -> str:
        keys = [f"g{i} NULLS LAST" for i in range(len(self.dimensions))] + list(more)
        return f"ORDER BY {', '.join(keys)}" if keys else ""

    def values(self, row: sa.Row[Any]) -> tuple[str | None, ...]:
        mapping = row._mapping
        return tuple(mapping[f"g{i}"] for i in range(len(self.dimensions)))


def grouping(dimensions: Sequence[Dimension]) -> Grouping:
    return Grouping(tuple(dimensions))


async def fetch(conn: AsyncConnection, sql: str, parameters: Mapping[str, Any]) -> Sequence[sa.Row[Any]]:
    """Run one metric statement and return its rows (sessions run without JIT: see ``service.db.pool``)."""
    return (await conn.execute(sa.text(sql), parameters)).all()
