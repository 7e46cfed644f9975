"""The database itself refuses impossible data (CHECK, UNIQUE and FK constraints from the migrations)."""

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from service.all_tables import (
    accounts,
    api_keys,
    contract_lines,
    contracts,
    products,
    source_links,
    survey_responses,
    tickets,
)
from tests.factories import insert_accounts

NOW = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)


async def _insert(engine: AsyncEngine, table: sa.Table, values: Mapping[str, Any]) -> None:
    async with engine.begin() as conn:
        await conn.execute(sa.insert(table).values(**values))


async def _contract(engine: AsyncEngine, account_id: uuid.UUID) -> uuid.UUID:
    async with engine.begin() as conn:
        result = await conn.execute(
            sa.insert(contracts)
            .values(account_id=account_id, status="active", start_date=dt.date(2026, 1, 1))
            .returning(contracts.c.id)
        )
        contract_id: uuid.UUID = result.scalar_one()
        return contract_id


async def test_nps_score_must_be_0_to_10_and_csat_1_to_5(engine: AsyncEngine) -> None:
    (account_id,) = await insert_accounts(engine, "Acme")
    base = {"account_id": account_id, "responded_at": NOW}
    await _insert(engine, survey_responses, {**base, "kind": "nps", "score": 0})
    await _insert(engine, survey_responses, {**base, "kind": "nps", "score": 10})
    for kind, score in (("nps", 11), ("nps", -1), ("csat", 0), ("csat", 6)):
        with pytest.raises(IntegrityError, match="ck_survey_responses_score_range"):
            await _insert(engine, survey_responses, {**base, "kind": kind, "score": score})


async def test_money_is_never_negative(engine: AsyncEngine) -> None:
    (account_id,) = await insert_accounts(engine, "Acme")
    contract_id = await _contract(engine, account_id)
    async with engine.begin() as conn:
        product_id = (await conn.execute(sa.insert(products).values(name="Core").returning(products.c.id))).scalar_one()
    line = {"contract_id": contract_id, "account_id": account_id, "product_id": product_id, "quantity": 5}
    await _insert(engine, contract_lines, {**line, "mrr": 100})
    with pytest.raises(IntegrityError, match="ck_contract_lines_mrr_non_negative"):
        await _insert(engine, contract_lines, {**line, "mrr": -1})
    with pytest.raises(IntegrityError, match="ck_contract_lines_quantity_non_negative"):
        await _insert(engine, contract_lines, {**line, "mrr": 1, "quantity": -5})


async def test_contract_end_is_after_start(engine: AsyncEngine) -> None:
    (account_id,) = await insert_accounts(engine, "Acme")
    values = {"account_id": account_id, "status": "active", "start_date": dt.date(2026, 3, 1)}
    with pytest.raises(IntegrityError, match="ck_contracts_end_date_after_start_date"):
        await _insert(engine, contracts, {**values, "end_date": dt.date(2026, 3, 1)})
    with pytest.raises(IntegrityError, match="ck_contracts_status"):
        await _insert(engine, contracts, {**values, "status": "pending"})
    with pytest.raises(IntegrityError, match="ck_contracts_currency_iso_4217"):
        await _insert(engine, contracts, {**values, "currency": "usd"})


async def test_ticket_timestamps_are_ordered(engine: AsyncEngine) -> None:
    (account_id,) = await insert_accounts(engine, "Acme")
    values = {"account_id": account_id, "status": "open", "opened_at": NOW}
    with pytest.raises(IntegrityError, match="ck_tickets_solved_at_not_before_opened_at"):
        await _insert(engine, tickets, {**values, "solved_at": NOW - dt.timedelta(hours=1)})


async def test_source_reference_maps_to_one_entity(engine: AsyncEngine) -> None:
    link = {"source": "salesforce", "object_type": "account", "external_id": "001A", "entity_id": uuid.uuid4()}
    await _insert(engine, source_links, link)
    with pytest.raises(IntegrityError, match="pk_source_links"):
        await _insert(engine, source_links, {**link, "entity_id": uuid.uuid4()})
    await _insert(engine, source_links, {**link, "source": "hubspot"})


async def test_account_rules(engine: AsyncEngine) -> None:
    (account_id,) = await insert_accounts(engine, "Acme", domain="acme.example")
    with pytest.raises(IntegrityError, match="uq_accounts_domain"):
        await insert_accounts(engine, "Acme 2", domain="acme.example")
    with pytest.raises(IntegrityError, match="ck_accounts_domain_lower_case"):
        await insert_accounts(engine, "Shouty", domain="SHOUTY.example")
    with pytest.raises(IntegrityError, match="ck_accounts_name_not_blank"):
        await insert_accounts(engine, "   ")
    with pytest.raises(IntegrityError, match="ck_accounts_segment"):
        await insert_accounts(engine, "Odd", segment="galactic")
    async with engine.begin() as conn:
        with pytest.raises(IntegrityError, match="ck_accounts_not_own_parent"):
            await conn.execute(
                sa.update(accounts).where(accounts.c.id == account_id).values(parent_account_id=account_id)
            )


async def test_facts_need_an_existing_account_and_go_with_it(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError, match="fk_tickets_account_id_accounts"):
        await _insert(engine, tickets, {"account_id": uuid.uuid4(), "status": "open", "opened_at": NOW})
    (account_id,) = await insert_accounts(engine, "Acme")
    await _insert(engine, tickets, {"account_id": account_id, "status": "open", "opened_at": NOW})
    async with engine.begin() as conn:
        await conn.execute(sa.delete(accounts).where(accounts.c.id == account_id))
        assert (await conn.execute(sa.select(sa.func.count()).select_from(tickets))).scalar_one() == 0


async def test_api_key_role_is_one_of_the_roles(engine: AsyncEngine) -> None:
    with pytest.raises(IntegrityError, match="ck_api_keys_role"):
        await _insert(engine, api_keys, {"name": "x", "role": "root", "key_prefix": "cshub_x", "key_hash": "h"})
