"""Salesforce: Account, Contact, Opportunity (with its OpportunityLineItems) and Case records as its REST API's
query results and its Bulk API 2.0 CSV return them, and its Change Data Capture events, mapped by ``mapping``
(``default_mapping.toml``, or ``CSHUB_SALESFORCE_MAPPING_FILE`` over it), read into ingest records by ``objects``
and ``payloads``, and written by ``service`` through the ingest service. The HTTP side is
``service.http.salesforce_routes``.
"""
