"""Segment-compatible tracking: the calls of Segment's HTTP Tracking API (track, identify, group, page, screen,
alias, batch) read (``calls``), their traits mapped (``mapping``) and written as ingest records by the ingest
service (``service``). The HTTP side — routes, write keys, sizes, the answer — is ``service.http.segment_routes``.
"""
