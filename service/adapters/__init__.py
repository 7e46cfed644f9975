"""Source adapters: payloads as each vendor's API or webhooks send them, translated into ingest records.

An adapter decides nothing the ingest service decides: it reads a vendor payload, maps it with the source's
mapping file (``mapping``: loaded and checked at start-up, errors naming the file's line) and writes the records
through ``service.ingest.service.ingest_audited`` (``writing``), so idempotency, stale protection, identity
resolution, the unmatched queue and provenance are the ingest service's (the account of a record cshub already
knows: ``service.sources.queries.accounts_of``). One subpackage per source (``zendesk``, ``salesforce``,
``hubspot``); the HTTP side is ``service.http.<source>_routes``, over ``service.http.source_endpoint``.
"""
