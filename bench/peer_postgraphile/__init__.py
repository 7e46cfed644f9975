"""Benchmark: cshub next to PostGraphile 5 serving the same database, the same two pages, in one run.

Pages (``bench.peer_postgraphile.queries``). *portfolio*: one CSM's first 50 accounts by name with their
active contracts and lines (quantity, MRR, product), the 5 newest open tickets and the contacts; requests
rotate over the CSMs. *360*: one account with its columns, source links, parent, children, contacts, all
contracts with lines and products, the 20 newest tickets and the 10 newest survey responses; requests
rotate over 100 accounts. Each side is asked in its own API's words for the same rows.

Sides. *cshub*: a real ``cshub serve`` (one worker, default settings) on the database ``cshub_bench_360``
that ``bench.graphql_360`` seeds and keeps (the same seed, the same marker: either bench reuses it).
*postgraphile*: PostGraphile 5 (the amber preset, simplified inflection, the connection-filter plugin) on
Node 22, installed with npm into a scratch folder outside the repository (``bench.peer_postgraphile.install``)
and serving the same database over a read-only connection, on a free loopback port. It creates nothing in
the database. Before timing, both sides' answers to every rotation entry are reduced to the same form and
compared; any difference stops the bench.

Measurement. For 1 and 4 concurrent keep-alive HTTP clients, warm-up, then ``--rounds`` rounds in which
cshub and PostGraphile alternate. Prints per page and client count requests/s (median of the rounds),
p50/p90 latency and the ratio cshub/PostGraphile of requests/s, and the bytes and rows of each page.

Usage: .venv/bin/python -m bench.peer_postgraphile [--accounts N] [--requests R] [--rounds K] [--warmup W]
       [--reseed] [--drop] [--smoke]
"""
