"""SQL expressions the baseline statements are assembled from: ``json_build_object``/``json_agg`` shaped like
the GraphQL answer, and the service's rules written out in SQL (active lines, counted contracts, open
tickets, next renewal, zero-filled usage days, newest-first connections, global ids).

Day parameters: $2 is today, $3/$4 the usage range [from, to).
"""

NOT_COUNTED = "('draft', 'cancelled')"
OPEN_TICKETS = "('new', 'open', 'pending', 'on_hold')"


def obj(fields: dict[str, str]) -> str:
    """``json_build_object`` of GraphQL field names to SQL expressions."""
    return "json_build_object(" + ", ".join(f"'{name}', {expression}" for name, expression in fields.items()) + ")"


def global_id(type_name: str, column: str) -> str:
    """The service's global id in SQL: unpadded base64url of '<Type>:<uuid>' (PostgreSQL wraps base64 lines)."""
    return (
        f"rtrim(translate(encode(convert_to('{type_name}:' || {column}::text, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')"
    )


def money(amount: str, currency: str) -> str:
    return obj({"amount": f"({amount})::text", "currency": currency})


def json_list(expression: str, order: str, source: str) -> str:
    return f"(SELECT coalesce(json_agg({expression} ORDER BY {order}), '[]'::json) FROM {source})"


def active_lines(account: str) -> str:
    """Lines counted on day $2: the service's active-line rule."""
    return f"""SELECT c.currency, l.product_id, l.quantity, l.mrr
        FROM contract_lines l JOIN contracts c ON c.id = l.contract_id
        WHERE l.account_id = {account} AND coalesce(l.start_date, c.start_date) <= $2::date
          AND (coalesce(l.end_date, c.end_date) IS NULL OR coalesce(l.end_date, c.end_date) > $2::date)
          AND c.status NOT IN {NOT_COUNTED}"""


def account_figures(account: str) -> str:
    """Lateral joins giving ``revenue.mrr``/``revenue.arr`` (JSON), ``seats.seats`` and ``recent.users``."""
    return f"""
    CROSS JOIN LATERAL (
        SELECT json_agg({money("x.mrr", "x.currency")} ORDER BY x.currency) AS mrr,
               json_agg({money("x.mrr * 12", "x.currency")} ORDER BY x.currency) AS arr
        FROM (SELECT currency, sum(mrr) AS mrr FROM ({active_lines(account)}) AS active GROUP BY currency) AS x
    ) AS revenue
    CROSS JOIN LATERAL (
        SELECT coalesce(max(quantity), 0) AS seats
        FROM (SELECT sum(quantity) AS quantity FROM ({active_lines(account)}) AS active GROUP BY product_id) AS x
    ) AS seats
    CROSS JOIN LATERAL (  -- activeUsers / licenseUtilization with the API's default window, 30 days
        SELECT count(*) AS users FROM user_last_seen
        WHERE account_id = {account} AND last_seen_at >= now() - interval '30 days'
    ) AS recent"""


def figure_fields() -> dict[str, str]:
    return {
        "mrr": "coalesce(revenue.mrr, '[]'::json)",
        "arr": "coalesce(revenue.arr, '[]'::json)",
        "licensedSeats": "seats.seats",
        "activeUsers": "recent.users",
        "licenseUtilization": "CASE WHEN seats.seats = 0 THEN NULL"
        " ELSE round(recent.users::numeric / seats.seats, 4) END",
    }


def renewal_date(account: str) -> str:
    return (
        f"(SELECT min(renewal_date) FROM contracts WHERE account_id = {account} AND renewal_date >= $2::date"
        f" AND status NOT IN {NOT_COUNTED})"
    )


def usage_series(account: str) -> str:
    """Daily points over [$3, $4): events and distinct users from the rollups, empty days as zeros."""
    point = obj({"periodStart": "d.day", "events": "coalesce(e.events, 0)", "activeUsers": "coalesce(u.users, 0)"})
    return f"""(SELECT json_agg({point} ORDER BY d.day)
        FROM (SELECT g::date AS day FROM generate_series($3::date::timestamp, $4::date::timestamp - interval '1 day',
                                                         interval '1 day') AS g) AS d
        LEFT JOIN (SELECT day, sum(events) AS events FROM usage_daily
                   WHERE account_id = {account} AND day >= $3::date AND day < $4::date GROUP BY day) AS e USING (day)
        LEFT JOIN (SELECT day, count(DISTINCT user_ref) AS users FROM usage_daily_users
                   WHERE account_id = {account} AND day >= $3::date AND day < $4::date GROUP BY day) AS u
        USING (day))"""


def connection(node: dict[str, str], table: str, where: str, time_column: str, first: int, *, page_info: bool) -> str:
    """A newest-first page of ``first`` rows as ``{edges: [{node}], pageInfo: {hasNextPage}}``."""
    order = f"t.{time_column} DESC, t.id DESC"
    fields = {
        "edges": f"coalesce(json_agg(json_build_object('node', {obj(node)}) ORDER BY {order})"
        f" FILTER (WHERE t.position <= {first}), '[]'::json)"
    }
    if page_info:
        fields["pageInfo"] = f"json_build_object('hasNextPage', count(*) > {first})"
    return f"""(SELECT {obj(fields)}
        FROM (SELECT *, row_number() OVER (ORDER BY {time_column} DESC, id DESC) AS position
              FROM {table} WHERE {where} ORDER BY {time_column} DESC, id DESC LIMIT {first + 1}) AS t)"""


def seconds_between(start: str, end: str) -> str:
    return f"trunc(extract(epoch FROM {end} - {start}))::int"


def contract_list(account: str, fields: dict[str, str], line_fields: dict[str, str], where: str = "") -> str:
    lines = json_list(
        obj(line_fields),
        "l.start_date NULLS FIRST, pr.name, l.id",
        "contract_lines l JOIN products pr ON pr.id = l.product_id WHERE l.contract_id = c.id",
    )
    return json_list(
        obj({**fields, "lines": lines}), "c.start_date DESC, c.id", f"contracts c WHERE c.account_id = {account}{where}"
    )
