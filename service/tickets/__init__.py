"""Support tickets: volume, SLA timestamps (first response, resolution) and CSAT per account."""
