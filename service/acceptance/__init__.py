"""Accepting a handoff: the workflow step that spans domains, above handoffs, goals and action items.

The CSM takes the account over; in the ACCEPTED transition's transaction the handoff's goals become the
account's success plan and the CSM's first action items are created (``service.py``). The handoffs domain
knows nothing of goals or action items; this package imports all three.
"""
