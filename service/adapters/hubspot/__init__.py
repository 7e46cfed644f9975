"""HubSpot CRM: v3 companies, contacts, deals (with their line items) as its API returns them, and its webhook
subscriptions' events, mapped by ``mapping`` (``default_mapping.toml``, or ``CSHUB_HUBSPOT_MAPPING_FILE`` over
it), read into ingest records by ``objects``, ``deals`` and ``events``, and written by ``service`` through the
ingest service. The HTTP side is ``service.http.hubspot_routes``.
"""
