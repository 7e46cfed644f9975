"""Normalisers for the identifiers that identity resolution compares: e-mail addresses (web domains are an
account rule: ``service.accounts.web_domains``)."""

import re

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    if not _EMAIL.match(email):
        raise ValueError(f"{value!r} is not an e-mail address")
    return email
