"""The demo company as the batches three real sources would push: a CRM, a support desk, product analytics.

Each source has its own ids for the same customer (``crm-0001``, ``org-0001``, ``ws-0001``); the
support desk and the analytics tool match the CRM's accounts by domain, as in real life. About one
ticket in ten names its account only by a messy domain (``https://www.Acme-Corp.example/``), and a few
reference domains nobody knows, so identity resolution and the unmatched queue have real work.

Batches come in dependency order (accounts, contacts, contracts, tickets, surveys, timeline, usage)
and hold at most ``BATCH_SIZE`` records, the published per-request limit.
"""

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from service.seed.company import Customer, Fate, Term, add_months, plan_company

BATCH_SIZE = 1000
CRM, SUPPORT, PRODUCT = "crm", "support", "product"
ORDER = ("accounts", "contacts", "contracts", "tickets", "survey-responses", "timeline-events", "usage-events")
USAGE_WINDOW_DAYS = 90
FEATURES = ("login", "dashboard.view", "search", "report.export", "comment.create", "integration.sync")
ADD_ON_FEATURES = {"Insights": ("insights.query",), "Automations": ("automation.run",)}

Record = dict[str, Any]


@dataclass(frozen=True)
class Batch:
    source: str
    entity: str
    records: list[Record]


def generate_demo(
    *, accounts: int = 300, seed: int = 7, today: dt.date, usage_events_per_account: int = 200
) -> list[Batch]:
    """The whole demo company as ingest batches; the same arguments always give the same batches."""
    rng = random.Random(seed)
    customers = plan_company(accounts, rng, today)
    records: dict[tuple[str, str], list[Record]] = {}

    def add(source: str, entity: str, new: list[Record]) -> None:
        records.setdefault((source, entity), []).extend(new)

    synced = _timestamp(today, 0, 6)
    for customer in customers:
        add(CRM, "accounts", [_crm_account(customer, today, synced)])
        in_support_desk = rng.random() < 0.9
        if in_support_desk:
            add(SUPPORT, "accounts", [_known_as(_org(customer), customer)])
        add(PRODUCT, "accounts", [_known_as(_workspace(customer), customer)])
        add(CRM, "contacts", _contacts(customer, synced))
        add(CRM, "contracts", [_contract(customer, term, today, synced) for term in customer.terms])
        tickets = _tickets(customer, rng, today, in_support_desk)
        add(SUPPORT, "tickets", tickets)
        add(SUPPORT, "survey-responses", _csat_responses(customer, tickets, rng))
        add(PRODUCT, "survey-responses", _nps_responses(customer, rng, today))
        add(CRM, "timeline-events", _timeline(customer, today))
        add(PRODUCT, "usage-events", _usage(customer, rng, today, usage_events_per_account))
    return list(_batches(records))


def _batches(records: dict[tuple[str, str], list[Record]]) -> Iterator[Batch]:
    for entity in ORDER:
        for source in (CRM, SUPPORT, PRODUCT):
            rows = records.get((source, entity), [])
            for start in range(0, len(rows), BATCH_SIZE):
                yield Batch(source, entity, rows[start : start + BATCH_SIZE])


def _crm(customer: Customer) -> str:
    return f"crm-{customer.number:05d}"


def _org(customer: Customer) -> str:
    return f"org-{customer.number:05d}"


def _workspace(customer: Customer) -> str:
    return f"ws-{customer.number:05d}"


def _timestamp(day: dt.date, hour: int, minute: int = 0) -> str:
    return dt.datetime.combine(day, dt.time(hour % 24, minute), tzinfo=dt.UTC).isoformat()


def _known_as(external_id: str, customer: Customer) -> Record:
    """How the support desk and the analytics tool know a customer: their own id, a name and a domain."""
    return {"external_id": external_id, "name": customer.name, "domain": customer.domain}


def _crm_account(customer: Customer, today: dt.date, synced: str) -> Record:
    return {
        "external_id": _crm(customer),
        "name": customer.name,
        "domain": customer.domain,
        "industry": customer.industry,
        "segment": customer.segment,
        "lifecycle_stage": customer.lifecycle_stage(today),
        "touch_model": customer.touch_model,
        "csm_owner": customer.csm_owner,
        "sales_owner": customer.sales_owner,
        "parent_external_id": f"crm-{customer.parent_number:05d}" if customer.parent_number else None,
        "updated_at": synced,
    }


def _contacts(customer: Customer, synced: str) -> list[Record]:
    return [
        {
            "external_id": f"{_crm(customer)}-c{index}",
            "account_external_id": _crm(customer),
            "name": name,
            "email": email,
            "title": title,
            "role": role,
            "updated_at": synced,
        }
        for index, (name, email, title, role) in enumerate(customer.contacts, start=1)
    ]


def _contract(customer: Customer, term: Term, today: dt.date, synced: str) -> Record:
    current = term.end_date > today
    return {
        "external_id": f"{_crm(customer)}-t{term.number}",
        "account_external_id": _crm(customer),
        "status": "active" if current else "ended",
        "start_date": term.start_date.isoformat(),
        "end_date": term.end_date.isoformat(),
        "renewal_date": term.end_date.isoformat() if current else None,
        "auto_renew": customer.segment in ("smb", "startup"),
        "currency": "USD",
        "kind": "new" if term.number == 1 else "renewal",
        "lines": [
            {
                "product": line.product,
                "quantity": line.quantity,
                "unit_price": str(line.unit_price),
                **({"start_date": line.start_date.isoformat()} if line.start_date else {}),
            }
            for line in term.lines
        ],
        "updated_at": synced,
    }


def _messy(domain: str, rng: random.Random) -> str:
    """How people type a domain into a support form."""
    return rng.choice((f"https://www.{domain}/", domain.upper(), f"www.{domain}", f"http://{domain}/contact"))


_TICKET_SUBJECTS = {
    "bug": "Export fails with a timeout",
    "question": "How do I add a teammate?",
    "feature_request": "Please add SSO group sync",
    "incident": "Dashboards not loading",
    "billing": "Invoice shows the wrong seat count",
    "other": "Contract question",
}
_TROUBLED = (Fate.AT_RISK, Fate.CHURNED, Fate.CONTRACTING)


def _tickets(customer: Customer, rng: random.Random, today: dt.date, in_support_desk: bool) -> list[Record]:
    troubled = customer.fate in _TROUBLED
    end = min(today, customer.active_until or today)
    span = (end - customer.since).days
    count = max(1, round(span / 365 * (6 + customer.seats / 40) * (1.8 if troubled else 1.0)))
    tickets = []
    for index in range(1, count + 1):
        opened_day = customer.since + dt.timedelta(days=rng.randint(0, max(0, span - 1)))
        opened = dt.datetime.combine(opened_day, dt.time(rng.randint(0, 23), rng.randint(0, 59)), tzinfo=dt.UTC)
        priority = rng.choices(("low", "normal", "high", "urgent"), weights=(3, 6, 3 if troubled else 1, 1))[0]
        category = rng.choices(tuple(_TICKET_SUBJECTS), weights=(3, 5, 2, 1, 1, 1))[0]
        first_response = opened + dt.timedelta(hours=rng.uniform(0.2, 4 if priority in ("high", "urgent") else 30))
        still_open = (today - opened_day).days < 10 and rng.random() < 0.7
        solved = None if still_open else first_response + dt.timedelta(hours=rng.uniform(1, 120))
        ticket: Record = {
            "external_id": f"tk-{customer.number:05d}-{index}",
            "subject": _TICKET_SUBJECTS[category],
            "status": rng.choice(("open", "pending", "new")) if still_open else rng.choice(("solved", "closed")),
            "priority": priority,
            "category": category,
            "opened_at": opened.isoformat(),
            "first_response_at": first_response.isoformat(),
            "solved_at": solved.isoformat() if solved else None,
            "csat": rng.randint(1, 3 if troubled else 5) if solved and rng.random() < 0.4 else None,
            "updated_at": (solved or first_response).isoformat(),
        }
        roll = rng.random()
        if roll < 0.02:
            ticket["account_domain"] = f"unknown-{customer.number}-{index}.example"  # nobody has this customer
        elif roll < 0.12 or not in_support_desk:
            ticket["account_domain"] = _messy(customer.domain, rng)
        else:
            ticket["account_external_id"] = _org(customer)
        tickets.append(ticket)
    return tickets


def _csat_responses(customer: Customer, tickets: list[Record], rng: random.Random) -> list[Record]:
    return [
        {
            "external_id": f"csat-{ticket['external_id']}",
            **{k: ticket[k] for k in ("account_external_id", "account_domain") if k in ticket},
            "contact_email": rng.choice(customer.contacts)[1],
            "kind": "csat",
            "score": ticket["csat"],
            "responded_at": ticket["solved_at"],
        }
        for ticket in tickets
        if ticket["csat"] is not None
    ]


def _nps_responses(customer: Customer, rng: random.Random, today: dt.date) -> list[Record]:
    low, high = (0, 7) if customer.fate in _TROUBLED else (6, 10)
    responses = []
    survey_day = add_months(customer.since, 2)
    end = min(today, customer.active_until or today)
    while survey_day < end:
        for index, (_, email, _title, _role) in enumerate(customer.contacts, start=1):
            if rng.random() < 0.5:
                score = rng.randint(low, high)
                responses.append(
                    {
                        "external_id": f"nps-{customer.number:05d}-{survey_day.isoformat()}-{index}",
                        "account_external_id": _workspace(customer),
                        "contact_email": email,
                        "kind": "nps",
                        "score": score,
                        "comment": "Great support team" if score >= 9 else ("Too slow" if score <= 6 else None),
                        "responded_at": _timestamp(survey_day, 9 + index),
                    }
                )
        survey_day = add_months(survey_day, 6)
    return responses


def _timeline(customer: Customer, today: dt.date) -> list[Record]:
    account = _crm(customer)
    events: list[tuple[str, dt.date, str]] = [
        ("handoff", customer.since - dt.timedelta(days=3), "Sales handed the account over to customer success"),
        ("kickoff", customer.since + dt.timedelta(days=7), "Kickoff meeting with the project team"),
    ]
    for term in customer.terms:
        if customer.touch_model == "high":
            events += [
                ("qbr", add_months(term.start_date, quarter * 3), f"Quarterly business review (term {term.number})")
                for quarter in (1, 2, 3)
            ]
        renewal_talk = term.end_date - dt.timedelta(days=60)
        events.append(("renewal", renewal_talk, f"Renewal conversation for term {term.number}"))
    if customer.fate in (Fate.AT_RISK, Fate.CHURNED):
        last = (customer.active_until or today) - dt.timedelta(days=30)
        events.append(("escalation", last, "Executive escalation: adoption dropping, champion left"))
    return [
        {
            "external_id": f"{account}-ev{index}",
            "account_external_id": account,
            "kind": kind,
            "occurred_at": _timestamp(day, 10),
            "summary": summary,
            "actor": customer.csm_owner,
        }
        for index, (kind, day, summary) in enumerate(sorted(events, key=lambda e: e[1]), start=1)
        if day < today
    ]


def _usage(customer: Customer, rng: random.Random, today: dt.date, per_account: int) -> list[Record]:
    """Events over the last ``USAGE_WINDOW_DAYS`` of use: flat for steady customers, rising for growing
    ones, decaying towards the end for those at risk or churned (usage fades before churn)."""
    end = customer.active_until or today
    start = max(customer.since, end - dt.timedelta(days=USAGE_WINDOW_DAYS))
    seconds = int((end - start).total_seconds())
    if seconds <= 0:
        return []
    users = [f"u-{customer.number:05d}-{n}" for n in range(1, min(customer.seats, 40) + 1)]
    active = users[: max(1, round(len(users) * (0.4 if customer.fate in _TROUBLED else 0.85)))]
    products = {line.product for line in customer.terms[-1].lines}
    features = FEATURES + tuple(f for product in products for f in ADD_ON_FEATURES.get(product, ()))
    events = []
    for index in range(1, per_account + 1):
        position = rng.random()
        if customer.fate in (Fate.AT_RISK, Fate.CHURNED):
            position = 1 - (1 - position) ** 0.5  # density falls linearly to zero at the end
        elif customer.fate is Fate.GROWING:
            position = position**0.5
        occurred = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC) + dt.timedelta(seconds=int(position * seconds))
        event = rng.choice(features)
        events.append(
            {
                "event_id": f"evt-{customer.number:05d}-{index}",
                "account_external_id": _workspace(customer),
                "user_id": rng.choice(active),
                "event": event,
                "occurred_at": occurred.isoformat(),
                "value": rng.randint(1, 50) if event == "report.export" else None,
            }
        )
    return events
