"""Support tickets in SQL: an account's ticket connection (the resolvers' ``TicketQuery``) and the Ticket type."""

from typing import Any

import sqlalchemy as sa

from service.compiled.connections import account_page, connection
from service.compiled.declare import mapped_columns
from service.compiled.planner import Call, ObjectSql, refused_by_resolver
from service.table_map import TICKET
from service.tickets.queries import conditions
from service.tickets.resolvers import ticket_query
from service.tickets.tables import tickets


def _account_tickets(call: Call) -> sa.ColumnElement[Any]:
    with refused_by_resolver():
        query = ticket_query(call.args.get("filter"), call.args.get("first"), call.args.get("after"))
    return connection(call, account_page(call, tickets, "opened_at", query.page, conditions(query)))


ACCOUNT_FIELDS = {"tickets": _account_tickets}

OBJECTS = {"Ticket": ObjectSql(mapped_columns(TICKET))}
