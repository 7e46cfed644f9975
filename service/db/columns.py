"""Column and constraint builders shared by every domain's ``tables.py``, so conventions live in one place.

Enumerations are ``text`` with a named CHECK (not PostgreSQL ENUM types, which are painful to evolve);
timestamps are tz-aware; money is ``numeric(14, 2)`` and never negative.
"""

from collections.abc import Iterable

import sqlalchemy as sa

MONEY = sa.Numeric(14, 2)


def uuid_pk() -> sa.Column[object]:
    return sa.Column("id", sa.Uuid, primary_key=True, server_default=sa.text("gen_random_uuid()"))


def created_at() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def updated_at() -> sa.Column[object]:
    return sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now())


def account_fk(*, nullable: bool = False) -> sa.Column[object]:
    """``account_id``: every fact table carries it (co-location by account, docs/architecture.md#data-model)."""
    return sa.Column("account_id", sa.Uuid, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=nullable)


def one_of(column: str, values: Iterable[str], *, name: str | None = None) -> sa.CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=name or column)


def non_negative(column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} >= 0", name=f"{column}_non_negative")


def currency_code(column: str = "currency") -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} ~ '^[A-Z]{{3}}$'", name=f"{column}_iso_4217")


def ends_after_start(start: str, end: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{end} IS NULL OR {start} IS NULL OR {end} > {start}", name=f"{end}_after_{start}")


def not_before(earlier: str, later: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{later} IS NULL OR {later} >= {earlier}", name=f"{later}_not_before_{earlier}")
