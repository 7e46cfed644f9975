"""Events out: the event catalogue, the transactional outbox and signed webhooks.

Owns ``events`` (the outbox: one row per thing the hub learned, with its type, schema version, account, actor
and payload), ``webhook_endpoints`` (where admins asked events to be posted, with their secrets) and
``webhook_deliveries`` / ``webhook_attempts`` (one message per endpoint and event, and each try to post it).

Invariants:

- An event row commits in the same transaction as the change that causes it (``outbox.append_event``, called by
  the writing domain with its connection): a rolled-back write emits nothing, a committed one is never lost.
- The deliveries of an event are written with it, one per enabled endpoint whose patterns and account filter
  match, so an event committed is an event queued for every endpoint that wanted it at that moment.
- Every payload validates against its type's JSON Schema in ``catalogue/`` (drift-tested); every type the code
  emits has a schema and every schema a type.
- A delivery keeps its ``webhook-id`` on every attempt, manual redeliveries included (Standard Webhooks).
"""
