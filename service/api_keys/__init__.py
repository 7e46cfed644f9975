"""API keys: random secrets stored only as SHA-256 hashes, each carrying one role, revocable.

Invariants: a secret is shown once at creation and never stored or logged; a revoked key never
authenticates again.
"""
