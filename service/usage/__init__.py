"""Product usage: raw events, the daily rollup and each user's last-seen time.

Events are deduplicated by ``(source, source_event_id)``. ``usage_daily`` and ``user_last_seen`` are
maintained on ingest so that the 360 reads and health measures never scan raw events.
"""
