"""Contracts, their lines and the product catalogue: the source of MRR and ARR.

A line is active on day d when start <= d < end (end exclusive, null = open) and its contract is not
draft or cancelled (docs/kpis.md). MRR and ARR are derived from lines, never stored on the contract.
"""
