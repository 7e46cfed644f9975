"""Benchmark: recomputing health scores for every account, next to one hand-written SQL statement.

Ours. ``service.health_scores.service.recompute_health`` called directly over an asyncpg SQLAlchemy engine,
for all accounts: it ensures the default scorecard, runs the scores statement (10 measures per account from
contract lines, usage rollups, tickets, surveys, renewals and manual scores, scaled, weighted, with band,
tier, trend, coverage and an explained history row INSERTed per account) and then the alert rules
statement. Its two statements are also timed apart (``compute.recompute``, ``evaluate_alerts``).

Baseline. One hand-written SELECT (``baseline``) computing the same raw values of the default scorecard's
9 measures and the same weighted score, coverage and band, with the default's weights and scales written
into the SQL; its rows are fetched to the client, nothing is written. It does less than ours (no INSERT,
no explanation JSON, tier, trend or alerts): the ratio is the price of all that plus any inefficiency.

Agreement. Before timing, in one rolled-back transaction, ``recompute_health`` runs and its rows are
compared with the baseline's answer for every account (score to 0.01, band, coverage, every measure's raw
value and missing flag); a difference is printed loudly and makes the run exit with status 1 (after the
timings: they are printed either way).

Measurement. History is reset first: earlier scores and alerts deleted, one recompute as of 24 hours ago
committed, so that every measured run finds one previous score per account (trend, band_dropped) and the
alerts it opened. Then ``--rounds`` rounds, each running the whole recompute, its two statements apart,
and the baseline, in rotating order; every run on a fresh connection, in a transaction rolled back
afterwards (plus a VACUUM), so all runs see the same data and none depends on another. All use the same
``now`` (taken at the start). Prints median and min seconds, accounts/s and the ratios ours/baseline,
then EXPLAIN ANALYZE highlights of the scores statement (unless ``--no-explain``). The server's settings
apply unless ``--set`` overrides one for the bench's sessions (``--set jit=off``).

Data. A dedicated database ``cshub_bench_health``, migrated to head and seeded set-based in SQL: accounts
over four segments with a yearly contract each (the current term active today for 95%, the rest churned
within the year; drafts and cancelled deals with earlier renewal dates that must not count; lines for
core seats, add-ons, mid-term expansions and lines ending mid-term), ~15 tickets per account over 400 days
(open high/urgent among the recent ones, a spike for 3% of accounts), NPS over a year and CSAT over 180
days, manual scores (some expired) for 8%, and 62 days of usage rollups (``usage_daily``,
``usage_daily_users``, ``user_last_seen``) built as ingest builds them from per-user daily feature use,
with users joining and leaving, a few accounts gone quiet and a few that never used the product. It is
kept and reused while its marker (account count, seed version, UTC day) matches; ``--reseed`` rebuilds it,
``--drop`` drops it at the end. BENCH_DATABASE_URL names the server (default
postgresql://postgres@127.0.0.1:5432/test).

Usage: .venv/bin/python -m bench.health [--accounts N] [--rounds R] [--reseed] [--drop] [--no-explain]
       [--set NAME=VALUE ...] [--smoke]
"""
