"""Sales-to-CSM handoffs: the structured record of a closed deal and its workflow events.

Every state change is a ``handoff_events`` row (actor, role, from, to, at, comment); ``version``
guards concurrent edits (optimistic concurrency).
"""
