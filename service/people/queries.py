import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from service.people.tables import people


async def remember_person(
    conn: AsyncConnection, *, issuer: str, subject: str, email: str | None, display_name: str | None, role: str
) -> uuid.UUID:
    """The person's id, creating them on their first token; their email, name and role follow their tokens."""
    statement = insert(people).values(issuer=issuer, subject=subject, email=email, display_name=display_name, role=role)
    upsert = statement.on_conflict_do_update(
        index_elements=[people.c.issuer, people.c.subject],
        set_={
            "email": statement.excluded.email,
            "display_name": statement.excluded.display_name,
            "role": statement.excluded.role,
            "last_seen_at": sa.func.now(),
        },
    ).returning(people.c.id)
    person_id: uuid.UUID = (await conn.execute(upsert)).scalar_one()
    return person_id
