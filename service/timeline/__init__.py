"""The unified account timeline: touchpoints recorded as such (meetings, QBRs, calls, notes, escalations…,
ingested or added in the hub) merged with entries derived from the hub's own records (contracts, tickets,
surveys, handoff transitions, health band changes; see ``derived``).

Invariants: only recorded kinds are stored (``timeline_events`` and ingest accept nothing else); derived
entries are computed on read, never stored, so they cannot drift from their records; every entry has a
stable unique id, and entries are ordered by ``(occurred_at, id)`` newest first.
"""
