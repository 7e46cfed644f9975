"""Health scores: versioned scorecard configurations and the explained score history per account.

A scorecard version is immutable; a change is a new version. Every score row records the scorecard
version it used and each measure's raw value, score, weight and contribution. A null score means
"not enough data", never zero.
"""
