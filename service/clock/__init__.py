"""What the clock says: events no write causes — a renewal coming up, an action item overdue, a ticket's SLA
breached — appended to the outbox by a sweep (``sweep.py``) that every process runs on an interval
(``sweeper.py``), an admin can run now (``runClockSweep``) and ``cshub events sweep`` runs from the shell.

Each is announced once (per contract, renewal date and window; per action item and due date; per ticket and
breach kind): the outbox's unique ``(type, subject_id, dedupe_key)`` index decides, so sweeps running at once
in several processes never announce one twice.
"""
