"""The audit log: every write (mutation, ingest batch, API key change) with who, what, when and the outcome."""
