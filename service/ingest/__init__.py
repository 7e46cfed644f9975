"""Ingest: validate source records, resolve them to accounts, upsert them in one unit of work."""
