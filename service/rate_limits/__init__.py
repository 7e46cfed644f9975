"""Per-key rate limits: a token bucket per API key and scope, kept in PostgreSQL so every replica shares it."""
