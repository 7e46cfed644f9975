"""Reading the outbox in tests: every event read here is checked against its catalogue schema on the way.

That is the catalogue's drift test for payloads: any event a test makes the code emit must validate.
"""

from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy.ext.asyncio import AsyncEngine

from service.events.catalogue import schemas
from service.events.messages import event_data
from service.events.queries import EventRow, events_in_order

VALIDATED_TYPES: set[str] = set()  # the types some test of this process emitted and validated


def check_against_catalogue(event: EventRow) -> dict[str, Any]:
    data = event_data(event)
    schema = schemas()[event.type]
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(data), key=lambda error: list(error.path))
    assert not errors, f"{event.type} does not match its schema: " + "; ".join(
        f"{list(error.path)}: {error.message}" for error in errors
    )
    VALIDATED_TYPES.add(event.type)
    return data


async def emitted(engine: AsyncEngine, *types: str) -> list[EventRow]:
    """The events in the outbox (of these types, if given), in append order, each validated."""
    async with engine.connect() as conn:
        found = await events_in_order(conn, types=types or None)
    for event in found:
        check_against_catalogue(event)
    return found


async def emitted_types(engine: AsyncEngine) -> list[str]:
    return [event.type for event in await emitted(engine)]
