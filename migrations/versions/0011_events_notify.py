"""Events out, live: every appended event is announced on the ``cshub_events`` channel (NOTIFY), with its id only.

A row trigger on ``events`` calls ``pg_notify`` in the inserting transaction, so the announcement is sent when
that transaction commits and never for one that rolls back (PostgreSQL delivers notifications at commit). The
payload is the event's id; listeners read the event itself from the outbox (a NOTIFY payload is capped at 8000
bytes, and an id never is too long). Listened to by ``service.subscriptions.hub``.

Revision ID: 0011_events_notify
Revises: 0010_events_and_webhooks
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_events_notify"
down_revision: str | None = "0010_events_and_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
CREATE FUNCTION events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('cshub_events', NEW.id::text);
  RETURN NULL;
END
$$""")
    op.execute("CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_notify()")


def downgrade() -> None:
    op.execute("DROP TRIGGER events_notify ON events")
    op.execute("DROP FUNCTION events_notify()")
