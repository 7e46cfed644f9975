"""Accounts: the customer organisations every other record hangs off.

Invariants: a name is never blank; a domain is lower-case and unique; an account is never its own
parent. Deleting an account deletes its facts (every fact table cascades on ``account_id``).
"""
