"""Reading the outbox in commit order: an event's position, the horizon below which the outbox is final, and the
position a client's ``after`` sequence resumes from.

``sequence`` is drawn when an event is inserted, not when its transaction commits. Transaction T1 appends 10,
T2 appends 11 and commits first: a reader that reads 11 and moves its cursor to "after 11" never reads 10. So
readers do not go by sequence alone. Each row records the appending transaction's id (``tx_id``, an ``xid8``:
64 bits, increasing, never wrapping), and the outbox is read

- in **position** order, ``(tx_id, sequence)``: a transaction's events together, in the order it appended them;
- only **below the horizon** (``events_horizon()``, migration ``0013``): an id lower than every transaction of this
  database still in progress. Every transaction below it has ended, so the rows below it are final: committed, or
  never there (a rolled-back transaction leaves a gap that holds nothing back once it ended), and a transaction
  that starts later gets a higher id. A cursor moved along positions below the horizon therefore misses nothing.

The price: an event committed while an older transaction of the database (one that had written anything) is
still open waits until that one ends; its events come first. Nothing is added to an append: ``tx_id`` is a
column default, the transaction id exists already (it is writing), and one more index entry is written. The
horizon is computed in a statement of its own *before* the read that uses it (the read's snapshot is later, so
it sees every transaction the horizon counts as ended). Readers must use the primary: see the migration.
"""

from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from service.errors import InvalidInput
from service.events.tables import events


class Position(NamedTuple):
    """Where an event is in commit order: compare positions, never sequences."""

    tx_id: int
    sequence: int


START = Position(0, 0)  # before every event (rows older than migration 0013 have tx_id 0)


class Horizon(NamedTuple):
    tx_id: int  # the outbox is final below this
    held_back: bool  # committed events wait at or above it (an older transaction was still open)


# ``held_back`` is read in the statement's snapshot, taken before the horizon's: an event committed in between is
# missed here, but its own announcement (NOTIFY, at its commit) comes after this read began.
_HORIZON = sa.text("SELECT h, EXISTS (SELECT 1 FROM events WHERE tx_id >= h) FROM events_horizon() AS h")


async def horizon(conn: AsyncConnection) -> Horizon:
    """Where the outbox is final, and whether committed events wait above it; read the rows in a later statement."""
    tx_id, waiting = (await conn.execute(_HORIZON)).one()
    return Horizon(int(tx_id), bool(waiting))


def below(horizon_tx_id: int) -> sa.ColumnElement[bool]:
    """Events under the horizon: those a cursor may move past."""
    return events.c.tx_id < sa.bindparam(None, horizon_tx_id, type_=events.c.tx_id.type)


def after(position: Position) -> sa.ColumnElement[bool]:
    """Events after ``position``, in commit order."""
    return sa.tuple_(events.c.tx_id, events.c.sequence) > sa.tuple_(
        sa.bindparam(None, position.tx_id, type_=events.c.tx_id.type), sa.literal(position.sequence, sa.BigInteger)
    )


IN_ORDER = (events.c.tx_id, events.c.sequence)


async def head(conn: AsyncConnection, horizon_tx_id: int) -> Position:
    """The last event below the horizon; ``START`` when there is none."""
    last = (
        await conn.execute(
            sa.select(events.c.tx_id, events.c.sequence)
            .where(below(horizon_tx_id))
            .order_by(events.c.tx_id.desc(), events.c.sequence.desc())
            .limit(1)
        )
    ).first()
    return Position(int(last.tx_id), last.sequence) if last is not None else START


async def resume_position(conn: AsyncConnection, sequence: int) -> Position:
    """The position of the event a client last received (its ``sequence``); 0: before every event."""
    if sequence == 0:
        return START
    tx_id = (await conn.execute(sa.select(events.c.tx_id).where(events.c.sequence == sequence))).scalar_one_or_none()
    if tx_id is None:
        raise InvalidInput(
            f"no event has sequence {sequence}: resume after the `sequence` of an event received (0: from the start)"
        )
    return Position(int(tx_id), sequence)
