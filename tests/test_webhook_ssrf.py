"""The SSRF guard at delivery time: the worker connects only to an address the guard has just checked.

The endpoint names a made-up host (``hooks.cshub.test``: no real DNS answers it), which the test's resolver answers
for the guard. The message still reaches the receiver on loopback — the socket goes to the address the guard
checked, not to a second lookup — with the name in the ``Host`` header; and when the name answers an address the
policy refuses (loopback allowed, private networks not), nothing is connected to."""

import dataclasses
import datetime as dt
import ipaddress
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from service.events import service as webhooks
from service.events.delivery import DeliveryConfig, DeliveryWorker
from service.events.outbox import append_event
from service.events.ssrf import Address, AddressPolicy
from service.events.tables import webhook_deliveries, webhook_endpoints
from tests.webhook_receiver import Receiver, receiver

LOOPBACK = AddressPolicy(allow_loopback=True)
NAME = "hooks.cshub.test"


@dataclasses.dataclass
class Answering:
    """A resolver answering ``addresses`` for any host, noting each question."""

    addresses: list[str]
    asked: list[tuple[str, int]] = dataclasses.field(default_factory=list)

    async def __call__(self, host: str, port: int) -> list[Address]:
        self.asked.append((host, port))
        return [ipaddress.ip_address(address) for address in self.addresses]


@pytest.fixture
def receiving() -> Iterator[Receiver]:
    with receiver() as running:
        yield running


async def _named_endpoint_and_event(engine: AsyncEngine, receiving: Receiver) -> int:
    """An endpoint for the receiver, its URL then naming ``NAME`` (as if that had resolved when it was set), and an
    event for it; the receiver's port."""
    port = urlsplit(receiving.url).port
    assert port is not None
    async with engine.begin() as conn:
        made = await webhooks.create_endpoint(conn, webhooks.NewEndpoint(receiving.url, ["*"]), by="t", policy=LOOPBACK)
        await conn.execute(
            sa.update(webhook_endpoints)
            .where(webhook_endpoints.c.id == made.endpoint.id)
            .values(url=f"http://{NAME}:{port}/hooks/cshub")
        )
        payload = {"goalId": uuid.uuid4(), "fromStatus": "on_track", "toStatus": "at_risk", "achievedOn": None,
                   "note": None}  # fmt: skip
        await append_event(conn, "goal.status_changed", payload, account_id=None)
    return port


def _worker(engine: AsyncEngine, resolver: Answering) -> DeliveryWorker:
    config = DeliveryConfig(timeout_seconds=5, policy=LOOPBACK, resolver=resolver)
    return DeliveryWorker(engine, config, clock=lambda: dt.datetime.now(dt.UTC))


async def test_the_worker_connects_to_the_address_the_guard_checked_and_keeps_the_name_as_host(
    engine: AsyncEngine, receiving: Receiver
) -> None:
    port = await _named_endpoint_and_event(engine, receiving)
    resolver = Answering(["127.0.0.1"])
    sender = _worker(engine, resolver)
    try:
        assert await sender.run_once() == 1
    finally:
        await sender.stop()
    (request,) = receiving.received
    assert request.headers["host"] == f"{NAME}:{port}"
    assert resolver.asked == [(NAME, port)]  # one lookup: the guard's, and the connection used its answer
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(webhook_deliveries))).one()
    assert (row.status, row.response_status, row.last_error) == ("delivered", 200, None)


@pytest.mark.parametrize(
    ("answers", "says"),
    [
        (["10.9.8.7"], f"{NAME} resolves to 10.9.8.7, a private or reserved address"),
        (["127.0.0.1", "169.254.169.254"], f"{NAME} resolves to 169.254.169.254, a link-local address"),
    ],
)
async def test_a_name_answering_a_refused_address_at_the_attempt_is_not_connected_to(
    engine: AsyncEngine, receiving: Receiver, answers: list[str], says: str
) -> None:
    await _named_endpoint_and_event(engine, receiving)
    sender = _worker(engine, Answering(answers))
    try:
        assert await sender.run_once() == 1
    finally:
        await sender.stop()
    assert receiving.received == []
    async with engine.connect() as conn:
        row = (await conn.execute(sa.select(webhook_deliveries))).one()
    assert (row.status, row.response_status) == ("pending", None)  # retried later, on the schedule
    assert row.last_error.startswith(f"url: {says}; webhooks go to public addresses only"), row.last_error
