"""Zendesk Support: tickets as its REST and incremental-export APIs return them (with their users and organizations
sideloads) and its webhook events (``zen:event-type:ticket.*``), mapped by ``mapping`` (``default_mapping.toml``,
or ``CSHUB_ZENDESK_MAPPING_FILE`` over it), read into ingest records by ``payloads`` and ``events``, and written
by ``service`` through the ingest service. The HTTP side is ``service.http.zendesk_routes``.
"""
