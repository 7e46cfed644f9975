"""Making and hashing API key secrets. Keys are 256-bit random; only their SHA-256 is stored.

A fast hash is right here (unlike passwords): the secret has full entropy, so there is nothing to
brute-force, and authentication stays a single indexed lookup per request.
"""

import hashlib
import secrets

KEY_PREFIX = "cshub_"
DISPLAY_PREFIX_LENGTH = len(KEY_PREFIX) + 6


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(secret: str) -> str:
    return secret[:DISPLAY_PREFIX_LENGTH]
