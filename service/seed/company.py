"""The simulated customer base behind the demo: who each customer is, how its contracts evolved, and its fate.

Everything is drawn from one ``random.Random`` so the same seed and ``today`` give the same company.
The plan is source-neutral; ``generator`` turns it into the records a CRM, a support desk and a
product-analytics tool would each push.

Contract history per customer: yearly terms back to its start (at most 24 months ago). At each renewal
the seat count moves by the customer's fate (growing customers upsell, contracting ones drop seats),
growing customers cross-sell add-on products mid-term, and churned customers stop at the end of a term.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

HISTORY_MONTHS = 24


class Fate(StrEnum):
    """Where the customer is heading; drives seats, usage trend, tickets and NPS."""

    GROWING = "growing"
    STEADY = "steady"
    CONTRACTING = "contracting"
    AT_RISK = "at_risk"  # still a customer, usage decaying towards the next renewal
    CHURNED = "churned"  # left at the end of a past term


@dataclass(frozen=True)
class Line:
    product: str
    quantity: int
    unit_price: Decimal
    start_date: dt.date | None = None  # None: runs with its contract


@dataclass(frozen=True)
class Term:
    number: int
    start_date: dt.date
    end_date: dt.date  # exclusive
    lines: tuple[Line, ...]


@dataclass(frozen=True)
class Customer:
    number: int
    name: str
    domain: str
    industry: str
    segment: str
    touch_model: str
    csm_owner: str
    sales_owner: str
    seats: int
    since: dt.date
    fate: Fate
    terms: tuple[Term, ...]
    parent_number: int | None = None
    contacts: tuple[tuple[str, str, str, str], ...] = field(default=())  # name, email, title, role

    @property
    def churned_on(self) -> dt.date | None:
        return self.terms[-1].end_date if self.fate is Fate.CHURNED else None

    @property
    def active_until(self) -> dt.date | None:
        """The last day (exclusive) the customer uses the product, None while it still does."""
        return self.churned_on

    def lifecycle_stage(self, today: dt.date) -> str:
        if self.fate is Fate.CHURNED:
            return "churned"
        if (today - self.since).days < 90:
            return "onboarding"
        if (self.terms[-1].end_date - today).days <= 90:
            return "renewal"
        return "expansion" if self.fate is Fate.GROWING else "adoption"


# fmt: off
_NAME_HEADS = (
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell", "Cyberdyne",
    "Oscorp", "Soylent", "Aperture", "Massive", "Nakatomi", "Wonka", "Gringotts", "Monarch", "Pied Piper",
    "Dunder", "Prestige", "Sterling", "Blue Sun", "Kaiju", "Sakura", "Fuji", "Kumo", "Hikari", "Midori", "Tsubasa",
)
_NAME_TAILS = (
    "Corp", "Labs", "Systems", "Retail", "Foods", "Logistics", "Health", "Energy", "Works", "Partners",
    "Holdings", "Analytics", "Robotics", "Media", "Finance", "Motors",
)
_INDUSTRIES = ("software", "retail", "manufacturing", "health", "finance", "logistics", "media", "energy", "education")
_FIRST_NAMES = ("Aiko", "Ben", "Cara", "Daniel", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jun", "Kenji", "Lena",
                "Mei", "Noah", "Olivia", "Priya", "Quinn", "Ren", "Sara", "Taro", "Uma", "Yuki")
_LAST_NAMES = ("Tanaka", "Ortiz", "Lind", "Kim", "Sato", "Haddad", "Suzuki", "Chen", "Patel", "Novak", "Ito",
               "Moreau", "Kobayashi", "Silva", "Watanabe", "Nakamura")
# fmt: on
_CSMS = {
    "enterprise": ("Aiko Tanaka", "Kenji Ito"),
    "mid_market": ("Daniel Kim", "Emma Sato", "Lena Novak"),
    "smb": ("Pooled CSM team",),
    "startup": ("Pooled CSM team",),
}
_SALES = ("Ben Ortiz", "Cara Lind", "Farid Haddad", "Grace Chen")
_SEGMENTS = (("enterprise", 0.15), ("mid_market", 0.35), ("smb", 0.35), ("startup", 0.15))
_TOUCH = {"enterprise": "high", "mid_market": "low", "smb": "tech", "startup": "tech"}
_SEATS = {"enterprise": (150, 800), "mid_market": (30, 150), "smb": (5, 30), "startup": (3, 15)}
SEAT_PRICE = {"enterprise": Decimal("45.00"), "mid_market": Decimal("35.00"), "smb": Decimal("25.00"),
              "startup": Decimal("20.00")}  # fmt: skip
CORE = "Hub Core"
ADD_ONS = {"Insights": Decimal("12.00"), "Automations": Decimal("8.00")}
_CONTACT_ROLES = (
    ("decision_maker", "VP Customer Operations"),
    ("champion", "Operations Manager"),
    ("admin", "IT Administrator"),
    ("billing", "Finance Manager"),
    ("user", "Analyst"),
    ("user", "Team Lead"),
)


def add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def plan_company(count: int, rng: random.Random, today: dt.date) -> list[Customer]:
    """``count`` customers with their history up to ``today``."""
    customers: list[Customer] = []
    for number in range(1, count + 1):
        customers.append(_plan_customer(number, rng, today, customers))
    return customers


def _plan_customer(number: int, rng: random.Random, today: dt.date, earlier: list[Customer]) -> Customer:
    head, tail = rng.choice(_NAME_HEADS), rng.choice(_NAME_TAILS)
    name = f"{head} {tail}" if number <= len(_NAME_HEADS) * len(_NAME_TAILS) else f"{head} {tail} {number}"
    name = name if all(c.name != name for c in earlier) else f"{name} {number}"
    domain = f"{name.lower().replace(' ', '-')}.example"
    segment = rng.choices([s for s, _ in _SEGMENTS], weights=[w for _, w in _SEGMENTS])[0]
    seats = rng.randint(*_SEATS[segment])
    since = today - dt.timedelta(days=rng.randint(20, HISTORY_MONTHS * 30))
    fate = _draw_fate(rng, today, since)
    terms = _plan_terms(rng, today, since, fate, segment, seats)
    parents = [c for c in earlier if c.segment == "enterprise" and c.parent_number is None]
    parent = rng.choice(parents).number if segment != "enterprise" and parents and rng.random() < 0.05 else None
    people = rng.sample([(f, la) for f in _FIRST_NAMES for la in _LAST_NAMES], k=rng.randint(3, len(_CONTACT_ROLES)))
    contacts = tuple(
        (f"{first} {last}", f"{first}.{last}@{domain}".lower(), title, role)
        for (first, last), (role, title) in zip(people, _CONTACT_ROLES, strict=False)
    )
    return Customer(
        number=number,
        name=name,
        domain=domain,
        industry=rng.choice(_INDUSTRIES),
        segment=segment,
        touch_model=_TOUCH[segment],
        csm_owner=rng.choice(_CSMS[segment]),
        sales_owner=rng.choice(_SALES),
        seats=seats,
        since=since,
        fate=fate,
        terms=terms,
        parent_number=parent,
        contacts=contacts,
    )


def _draw_fate(rng: random.Random, today: dt.date, since: dt.date) -> Fate:
    # About half the customers have finished a term; a quarter of those left, ~12% of all accounts.
    if add_months(since, 12) <= today and rng.random() < 0.25:
        return Fate.CHURNED
    roll = rng.random()
    if roll < 0.10:
        return Fate.AT_RISK
    if roll < 0.18:
        return Fate.CONTRACTING
    if roll < 0.46:
        return Fate.GROWING
    return Fate.STEADY


def _plan_terms(
    rng: random.Random, today: dt.date, since: dt.date, fate: Fate, segment: str, seats: int
) -> tuple[Term, ...]:
    starts = [since]
    while add_months(starts[-1], 12) <= today:
        starts.append(add_months(starts[-1], 12))
    if fate is Fate.CHURNED:
        # They left at the end of one of the terms that have ended: the current one never started.
        starts = starts[: rng.randint(1, len(starts) - 1)]
    price = SEAT_PRICE[segment]
    terms: list[Term] = []
    quantity = seats
    add_ons: list[str] = []
    for number, start in enumerate(starts, start=1):
        end = add_months(start, 12)
        if number > 1:
            quantity = max(1, round(quantity * _renewal_change(rng, fate)))
        lines = [Line(CORE, quantity, price)]
        lines += [Line(product, max(1, quantity // 2), ADD_ONS[product]) for product in add_ons]
        if fate is Fate.GROWING and rng.random() < 0.6:
            # Mid-term moves: more seats (upsell) or an add-on the customer did not have (cross-sell).
            moved_on = start + dt.timedelta(days=rng.randint(60, 300))
            if moved_on < min(end, today):
                new_products = [p for p in ADD_ONS if p not in add_ons]
                if new_products and rng.random() < 0.5:
                    product = rng.choice(new_products)
                    add_ons.append(product)
                    lines.append(Line(product, max(1, quantity // 2), ADD_ONS[product], moved_on))
                else:
                    lines.append(Line(CORE, max(1, quantity // 5), price, moved_on))
                    quantity += max(1, quantity // 5)  # the next renewal starts from the grown seat count
        terms.append(Term(number, start, end, tuple(lines)))
    return tuple(terms)


def _renewal_change(rng: random.Random, fate: Fate) -> float:
    if fate is Fate.GROWING:
        return 1 + rng.uniform(0.1, 0.4)
    if fate in (Fate.CONTRACTING, Fate.AT_RISK):
        return 1 - rng.uniform(0.1, 0.3)
    return 1 + rng.uniform(-0.03, 0.05)
