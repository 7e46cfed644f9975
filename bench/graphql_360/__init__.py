"""Benchmark: the customer-360 GraphQL pages of a real ``cshub serve`` next to one hand-written SQL statement each.

Pages. *portfolio*: one CSM's first 50 accounts (``accounts(filter: {csmOwner: [...]}, first: 50)``) with
active contracts and their lines, MRR/ARR, next renewal, licensed seats, active users, license utilization,
the first 5 open tickets and a 30-day daily usage series; requests rotate over the 8 CSMs. *360*: one
account with everything (profile, sources, parent/children, contacts, all contracts with lines, revenue
figures, usage series, active users, utilization, feature adoption, last-seen spread, 20 tickets with SLA
durations, 10 surveys, NPS, the 10 newest timeline entries, recorded and derived); requests rotate over 100
accounts.

Variants. *ours*: the GraphQL query POSTed over HTTP to the server, a separate process with the service's
default settings (one worker, default connection pool) unless told otherwise. *baseline*: the same data as
one SQL statement that builds the whole JSON answer in PostgreSQL (``json_build_object``/``json_agg``,
correlated subqueries, the service's rules: active lines, zero-filled usage days, open statuses...), run
through asyncpg directly with one connection per client. Before timing, every portfolio, 20 360 answers
(``--checked-accounts``) and those accounts' whole timelines are compared field by field; any difference
stops the bench. Every GraphQL
answer is checked (200, no ``errors``).

Measurement. For 1 and 4 concurrent clients (closed loop), each (page, variant, clients) cell is warmed
up, then measured in ``--rounds`` interleaved rounds (ours and baseline alternate, so both see the same
machine noise). Latency is the request's I/O only; parsing and checks run between requests and count for
requests/s. Prints p50/p99 latency, requests/s (median of the rounds) and the ratios ours/baseline. The
bench client shares the machine with the server and PostgreSQL.

Data. A dedicated database ``cshub_bench_360`` on the server, migrated to head and seeded set-based in SQL:
accounts over 8 CSMs (some subsidiaries of others), 5 contracts each with 1-3 lines (yearly terms, plus a
draft, an expansion or a cancelled deal), ~20 tickets, contacts, surveys, recorded timeline entries, source
links of most contracts, tickets and surveys, a handoff's transitions for every fourth account, 9 weekly
health scores (the timeline derives entries from all of these), and 35 days of usage
rollups (``usage_daily``, ``usage_daily_users``, ``user_last_seen``) built as ingest builds them from
per-user daily feature activity (raw ``usage_events`` stay empty: no read uses them). The database is kept
and reused while its marker (account count, seed version, UTC day: usage is relative to today) matches;
``--reseed`` rebuilds it, ``--drop`` drops it at the end. BENCH_DATABASE_URL names the server (default
postgresql://postgres@127.0.0.1:5432/test).

Usage: .venv/bin/python -m bench.graphql_360 [--accounts N] [--requests R] [--rounds K] [--warmup W]
       [--checked-accounts C] [--workers W] [--db-pool-size P] [--connections-per-request N] [--reseed] [--drop]
       [--smoke]
"""
