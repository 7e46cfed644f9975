"""Events are read in commit order: ``events.tx_id`` (the appending transaction's id) and ``events_horizon()``.

``sequence`` is drawn when a row is inserted, not when its transaction commits: a transaction that appends 10
and commits after the one that appends 11 makes 11 visible first, and a reader that moved its cursor past 11
would never read 10. Each row now records ``pg_current_xact_id()`` (a 64-bit ``xid8``, never wrapping), and
readers take the outbox in ``(tx_id, sequence)`` order, only below ``events_horizon()``: an id below every
transaction of this database still in progress. Every row below it is committed for good (or never will be),
and no row can appear below it later, so a cursor advanced through that order misses nothing. A transaction
that rolls back leaves no row and holds nothing back once it has ended. Rows written before this migration
are all committed: they get ``tx_id`` 0 and keep their ``sequence`` order.

``events_horizon()`` looks at transactions of the current database only (``pg_stat_activity``), so a long
transaction in another database of the cluster does not hold events back. It takes the horizon's snapshot
first and lists running transactions after it, and its caller reads the outbox in a later statement (a later
snapshot): a transaction it saw finished is then visible to that read. On a standby ``pg_stat_activity`` does
not show the primary's transactions, and in a repeatable-read transaction the read shares the horizon's snapshot:
there it falls back to the snapshot's xmin (every database's), which is safe for both.

Revision ID: 0013_events_commit_order
Revises: 0012_clock_events
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_events_commit_order"
down_revision: str | None = "0012_clock_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A constant default first (no table rewrite: existing rows read 0), then the one new rows take.
    op.execute("ALTER TABLE events ADD COLUMN tx_id xid8 NOT NULL DEFAULT '0'")
    op.execute("ALTER TABLE events ALTER COLUMN tx_id SET DEFAULT pg_current_xact_id()")
    op.execute("CREATE INDEX ix_events_tx_id_sequence ON events (tx_id, sequence)")
    op.execute("""
CREATE FUNCTION events_horizon() RETURNS xid8 LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  taken pg_snapshot;
  lowest xid8;
BEGIN
  PERFORM pg_stat_clear_snapshot();  -- no pg_stat_activity cached earlier in the caller's transaction
  taken := pg_current_snapshot();  -- its own statement: taken before the activity below is read
  -- A standby's pg_stat_activity does not show the primary's transactions; a repeatable-read caller reads with
  -- this very snapshot: in both cases, below its xmin (every database's) is what it surely sees ended.
  IF pg_is_in_recovery() OR current_setting('transaction_isolation') <> 'read committed' THEN
    RETURN pg_snapshot_xmin(taken);
  END IF;
  SELECT min(running) INTO lowest
  FROM pg_snapshot_xip(taken) AS running
  WHERE running::xid IN (
    SELECT backend_xid FROM pg_stat_activity WHERE datname = current_database() AND backend_xid IS NOT NULL
  );
  RETURN coalesce(lowest, pg_snapshot_xmax(taken));
END
$$""")


def downgrade() -> None:
    op.execute("DROP FUNCTION events_horizon()")
    op.execute("DROP INDEX ix_events_tx_id_sequence")
    op.execute("ALTER TABLE events DROP COLUMN tx_id")
