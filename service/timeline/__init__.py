"""The unified timeline: meetings, QBRs, calls, notes, escalations and other touchpoints per account."""
