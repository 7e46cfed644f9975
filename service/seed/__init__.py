"""A deterministic, realistic demo company, generated and loaded through the ingest service."""
