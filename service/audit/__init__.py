"""The audit log: every write (mutation, ingest batch, API key change) with who, what, when and the outcome.

Invariants: an ``ok`` row is written in the same transaction as the write it records (no write without
its row, no row without its write); a write that was refused or failed rolls back and is recorded
afterwards in a short transaction of its own. Details never hold PII or secrets: argument *names*,
error codes, counts and source names — never values people typed.
"""
